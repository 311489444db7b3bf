/*
 * Adam's update of one variable in one pass on several threads: the same float32 operations
 * in the same order as tf.train.adam and the wasm kernel `adam_update` (csrc/kernels.c), so
 * the same bits. Built without contraction into fused multiply-adds (each product rounded) and
 * without errno for sqrt, so that it vectorises (binding.gyp).
 */
#include "adam.h"

#include <math.h>

#include "conv.h"

/* Below this many values one thread (a small variable's update takes microseconds). */
#define PARALLEL_MIN (1L << 18)

typedef struct {
  const float *w, *g, *m, *v;
  float *w_out, *m_out, *v_out;
  long n;
  float b1, omb1, b2, omb2, c1, c2, eps, neg_lr;
} adam_job;

/* The update of values [i0, i1): a plain loop over restrict pointers, which the compiler vectorises. */
static void adam_range(const float *restrict w, const float *restrict g, const float *restrict m, const float *restrict v,
                       float *restrict wo, float *restrict mo, float *restrict vo, long i0, long i1, float b1, float omb1, float b2,
                       float omb2, float c1, float c2, float eps, float nlr) {
  for (long i = i0; i < i1; i++) {
    float gi = g[i];
    float mn = m[i] * b1 + gi * omb1;
    float vn = v[i] * b2 + (gi * gi) * omb2;
    mo[i] = mn;
    vo[i] = vn;
    wo[i] = ((mn / c1) / (sqrtf(vn / c2) + eps)) * nlr + w[i];
  }
}

static void adam_part(void *ctx, int part, int parts) {
  const adam_job *j = ctx;
  long i0 = j->n * part / parts, i1 = j->n * (part + 1) / parts;
  adam_range(j->w, j->g, j->m, j->v, j->w_out, j->m_out, j->v_out, i0, i1, j->b1, j->omb1, j->b2, j->omb2, j->c1, j->c2, j->eps, j->neg_lr);
}

void cn_adam_update(const float *w, const float *g, const float *m, const float *v, float *w_out, float *m_out, float *v_out, long n,
                    const float *hyper, int threads) {
  adam_job j = {w, g, m, v, w_out, m_out, v_out, n, hyper[0], hyper[1], hyper[2], hyper[3], hyper[4], hyper[5], hyper[6], hyper[7]};
  run_parallel(adam_part, &j, n < PARALLEL_MIN ? 1 : threads);
}
