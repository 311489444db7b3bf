// Public API of src/miners: re-exports only.
export {};
