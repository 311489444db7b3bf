/* Native memory-bound kernels of a conv layer's training step (see eltwise.c). */
#ifndef CONTRASTIVE_NATIVE_ELTWISE_H
#define CONTRASTIVE_NATIVE_ELTWISE_H

void cn_bias_add(const float *x, const float *b, float *out, long rows, int cols, int threads);
void cn_relu(const float *x, float *out, long n, int threads);
/* sums may be 0; returns 0, or -2 when memory ran out. */
int cn_relu_grad(const float *dy, const float *x, float *out, float *sums, long rows, int cols, int threads);
/* Column sums over rows, per block of 1024 rows in row order, blocks added in order (the
 * relu gradient's sums are the same values). Returns 0, or -2 when memory ran out. */
int cn_sum_rows(const float *x, float *sums, long rows, int cols, int threads);
void cn_max_pool(const float *x, float *y, int N, int H, int W, int C, int OH, int OW, int ph, int pw, int threads);
void cn_max_pool_grad(const float *x, const float *dy, float *dx, int N, int H, int W, int C, int OH, int OW, int ph, int pw,
                      int threads);

#endif
