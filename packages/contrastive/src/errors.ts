/** The one error type of every contrastive package, and its argument checks (defined with the kernels, the lowest layer). */
export * from '@contrastive/kernels/internal/errors.js';
