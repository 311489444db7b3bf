/* Adam's fused update (see adam.c). */
#ifndef CONTRASTIVE_NATIVE_ADAM_H
#define CONTRASTIVE_NATIVE_ADAM_H

/* hyper: beta1, 1 - beta1, beta2, 1 - beta2, c1 = 1 - beta1^t, c2 = 1 - beta2^t, epsilon, -learning rate. */
void cn_adam_update(const float *w, const float *g, const float *m, const float *v, float *w_out, float *m_out, float *v_out, long n,
                    const float *hyper, int threads);

#endif
