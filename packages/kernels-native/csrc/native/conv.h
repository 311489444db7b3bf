/* Native convolution kernels for the Node build (see conv.c). */
#ifndef CONTRASTIVE_NATIVE_CONV_H
#define CONTRASTIVE_NATIVE_CONV_H

/* The geometry TF.js's Conv2DInfo gives, NHWC input [N,H,W,C], filter [FH,FW,C,K], output [N,OH,OW,K]. */
typedef struct {
  int N, H, W, C, OH, OW, K, FH, FW, sh, sw, dh, dw, pt, pl;
} conv_dims;

/* Each returns 0, -1 for a shape the kernels do not take, -2 when memory ran out. */
int cn_conv2d_forward(const float *x, const float *w, const float *bias, float *out, const conv_dims *d, int relu, int threads);
int cn_conv2d_backprop_input(const float *dy, const float *w, float *dx, const conv_dims *d, int threads);
int cn_conv2d_backprop_filter(const float *x, const float *dy, float *dw, const conv_dims *d, int threads);
/* The instruction set the kernels run with: "avx512", "avx2", or "generic". */
const char *cn_isa(void);
/* Runs f(ctx, part, parts) for part = 0..parts-1, on parts threads (the caller runs part 0). */
void run_parallel(void (*f)(void *, int, int), void *ctx, int parts);

#endif
