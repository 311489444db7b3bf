// Public API of src/distances: re-exports only.
export {};
