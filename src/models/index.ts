// Public API of src/models: re-exports only.
export {};
