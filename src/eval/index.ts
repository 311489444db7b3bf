// Public API of src/eval: re-exports only.
export {};
