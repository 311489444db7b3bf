/*
 * Batch normalisation over channels-last float32 tensors (rows x C, C <= 1024), for the
 * training step of a BatchNormalization layer on the wasm backend (src/engine/kernels/
 * batch-norm.ts). One pass each way, SIMD over channels.
 */
#include <wasm_simd128.h>

typedef float f32;
#define EXPORT(name) __attribute__((export_name(name)))
#define BN_MAX_C 1024
#define BN_BLOCK 64

/* y = (x - mean) * gain + offset per channel; gain = scale / sqrt(variance + eps). */
EXPORT("batch_norm_apply")
void batch_norm_apply(const f32 *x, f32 *y, const f32 *mean, const f32 *gain, const f32 *offset, int rows, int C) {
  for (int r = 0; r < rows; r++) {
    const f32 *xr = x + (long)r * C;
    f32 *yr = y + (long)r * C;
    int c = 0;
    for (; c + 4 <= C; c += 4) {
      v128_t v = wasm_f32x4_sub(wasm_v128_load(xr + c), wasm_v128_load(mean + c));
      wasm_v128_store(yr + c, wasm_f32x4_add(wasm_f32x4_mul(v, wasm_v128_load(gain + c)), wasm_v128_load(offset + c)));
    }
    for (; c < C; c++) yr[c] = (xr[c] - mean[c]) * gain[c] + offset[c];
  }
}

/*
 * The gradient's one pass: dx = dy * gain, and per channel sum(dy) and sum(dy * (x - mean)).
 * Sums run in float32 over blocks of BN_BLOCK rows and in double across blocks (a whole batch
 * of 173k rows in float32 would lose digits).
 */
EXPORT("batch_norm_grad")
void batch_norm_grad(const f32 *x, const f32 *dy, f32 *dx, const f32 *mean, const f32 *gain,
                     f32 *sum_dy, f32 *sum_dyxc, int rows, int C) {
  double s1[BN_MAX_C], s2[BN_MAX_C];
  f32 b1[BN_MAX_C], b2[BN_MAX_C];
  for (int c = 0; c < C; c++) s1[c] = s2[c] = 0.0;
  for (int r0 = 0; r0 < rows; r0 += BN_BLOCK) {
    const int r1 = r0 + BN_BLOCK < rows ? r0 + BN_BLOCK : rows;
    for (int c = 0; c < C; c++) b1[c] = b2[c] = 0.f;
    for (int r = r0; r < r1; r++) {
      const f32 *xr = x + (long)r * C, *gr = dy + (long)r * C;
      f32 *o = dx + (long)r * C;
      int c = 0;
      for (; c + 4 <= C; c += 4) {
        v128_t g = wasm_v128_load(gr + c);
        v128_t xc = wasm_f32x4_sub(wasm_v128_load(xr + c), wasm_v128_load(mean + c));
        wasm_v128_store(b1 + c, wasm_f32x4_add(wasm_v128_load(b1 + c), g));
        wasm_v128_store(b2 + c, wasm_f32x4_add(wasm_v128_load(b2 + c), wasm_f32x4_mul(g, xc)));
        wasm_v128_store(o + c, wasm_f32x4_mul(g, wasm_v128_load(gain + c)));
      }
      for (; c < C; c++) {
        const f32 g = gr[c];
        b1[c] += g;
        b2[c] += g * (xr[c] - mean[c]);
        o[c] = g * gain[c];
      }
    }
    for (int c = 0; c < C; c++) {
      s1[c] += b1[c];
      s2[c] += b2[c];
    }
  }
  for (int c = 0; c < C; c++) {
    sum_dy[c] = (f32)s1[c];
    sum_dyxc[c] = (f32)s2[c];
  }
}
