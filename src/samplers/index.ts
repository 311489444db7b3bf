// Public API of src/samplers: re-exports only.
export {};
