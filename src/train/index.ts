// Public API of src/train: re-exports only.
export {};
