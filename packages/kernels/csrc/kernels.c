/*
 * Training kernels for the TensorFlow.js wasm backend (NHWC, float32).
 *
 * Built with clang --target=wasm32 -msimd128 into wasm/contrastive-kernels.wasm
 * (scripts/build-wasm.sh). The module imports the wasm backend's own linear
 * memory, so every pointer below is a tensor's memoryOffset in that heap: no copies.
 * It has no data segment and no heap of its own; scratch space comes from the
 * backend's malloc, and the shadow stack is moved by the loader into a block
 * malloc'ed there too.
 */
#include <wasm_simd128.h>

typedef float f32;
#define EXPORT(name) __attribute__((export_name(name)))
#define INLINE static inline __attribute__((always_inline))

static void zero(f32 *p, int n) {
  int i = 0;
  v128_t z = wasm_f32x4_splat(0.f);
  for (; i + 4 <= n; i += 4) wasm_v128_store(p + i, z);
  for (; i < n; i++) p[i] = 0.f;
}

/* First o in [0, O) with o*s + off >= 0, and one past the last with o*s + off < L. */
INLINE int range_lo(int off, int s) {
  if (off >= 0) return 0;
  return (-off + s - 1) / s;
}
INLINE int range_hi(int off, int s, int L, int O) {
  int last = L - 1 - off; /* o*s <= last */
  if (last < 0) return 0;
  int hi = last / s + 1;
  return hi < O ? hi : O;
}

/* ---------------------------------------------------------------- Conv2DBackpropFilter
 * dw[fh,fw,c,k] = sum_{n,oh,ow} x[n, oh*sh + fh*dh - pt, ow*sw + fw*dwd - pl, c] * dy[n,oh,ow,k]
 * One image at a time (its x and dy stay in cache); for each tap a CB x (4*KV) tile of dw is
 * accumulated in registers over all output pixels of that image. */
INLINE void bpf_tile(const f32 *x, const f32 *dy, f32 *dwt, int CB, int KV, int C, int K, int W,
                     int oh0, int oh1, int ow0, int ow1, int sh, int sw, int ihoff, int iwoff, int OW) {
  v128_t acc[4][4];
  for (int i = 0; i < CB; i++)
    for (int j = 0; j < KV; j++) acc[i][j] = wasm_f32x4_splat(0.f);
  for (int oh = oh0; oh < oh1; oh++) {
    const f32 *xr = x + (oh * sh + ihoff) * W * C;
    const f32 *dr = dy + oh * OW * K;
    for (int ow = ow0; ow < ow1; ow++) {
      const f32 *xp = xr + (ow * sw + iwoff) * C;
      const f32 *dp = dr + ow * K;
      v128_t d[4];
      for (int j = 0; j < KV; j++) d[j] = wasm_v128_load(dp + 4 * j);
      for (int i = 0; i < CB; i++) {
        v128_t a = wasm_f32x4_splat(xp[i]);
        for (int j = 0; j < KV; j++) acc[i][j] = wasm_f32x4_add(acc[i][j], wasm_f32x4_mul(a, d[j]));
      }
    }
  }
  for (int i = 0; i < CB; i++)
    for (int j = 0; j < KV; j++) {
      f32 *o = dwt + i * K + 4 * j;
      wasm_v128_store(o, wasm_f32x4_add(wasm_v128_load(o), acc[i][j]));
    }
}

EXPORT("conv2d_backprop_filter")
void conv2d_backprop_filter(const f32 *x, const f32 *dy, f32 *dw, int N, int H, int W, int C, int OH,
                            int OW, int K, int FH, int FW, int sh, int sw, int dh, int dwd, int pt, int pl) {
  zero(dw, FH * FW * C * K);
  const int K8 = K - K % 8, K4 = K - K % 4;
  for (int n = 0; n < N; n++) {
    const f32 *xn = x + n * H * W * C;
    const f32 *dyn = dy + n * OH * OW * K;
    for (int fh = 0; fh < FH; fh++) {
      const int ihoff = fh * dh - pt;
      const int oh0 = range_lo(ihoff, sh), oh1 = range_hi(ihoff, sh, H, OH);
      if (oh0 >= oh1) continue;
      for (int fw = 0; fw < FW; fw++) {
        const int iwoff = fw * dwd - pl;
        const int ow0 = range_lo(iwoff, sw), ow1 = range_hi(iwoff, sw, W, OW);
        if (ow0 >= ow1) continue;
        f32 *dwtap = dw + (fh * FW + fw) * C * K;
        int c = 0;
        for (; c + 4 <= C; c += 4) {
          int k = 0;
          for (; k < K8; k += 8)
            bpf_tile(xn + c, dyn + k, dwtap + c * K + k, 4, 2, C, K, W, oh0, oh1, ow0, ow1, sh, sw, ihoff, iwoff, OW);
          for (; k < K4; k += 4)
            bpf_tile(xn + c, dyn + k, dwtap + c * K + k, 4, 1, C, K, W, oh0, oh1, ow0, ow1, sh, sw, ihoff, iwoff, OW);
        }
        for (; c < C; c++) {
          int k = 0;
          /* one input channel (a first layer): a wider tile so each x value feeds 16 outputs */
          for (; k + 16 <= K; k += 16)
            bpf_tile(xn + c, dyn + k, dwtap + c * K + k, 1, 4, C, K, W, oh0, oh1, ow0, ow1, sh, sw, ihoff, iwoff, OW);
          for (; k < K8; k += 8)
            bpf_tile(xn + c, dyn + k, dwtap + c * K + k, 1, 2, C, K, W, oh0, oh1, ow0, ow1, sh, sw, ihoff, iwoff, OW);
          for (; k < K4; k += 4)
            bpf_tile(xn + c, dyn + k, dwtap + c * K + k, 1, 1, C, K, W, oh0, oh1, ow0, ow1, sh, sw, ihoff, iwoff, OW);
        }
        if (K4 < K) { /* channels of dy past the last multiple of 4 */
          for (int oh = oh0; oh < oh1; oh++)
            for (int ow = ow0; ow < ow1; ow++) {
              const f32 *xp = xn + ((oh * sh + ihoff) * W + ow * sw + iwoff) * C;
              const f32 *dp = dyn + (oh * OW + ow) * K;
              for (int cc = 0; cc < C; cc++)
                for (int k = K4; k < K; k++) dwtap[cc * K + k] += xp[cc] * dp[k];
            }
        }
      }
    }
  }
}

/* ---------------------------------------------------------------- Conv2DBackpropInput
 * dx[n,ih,iw,c] = sum_{fh,fw,k} dy[n,oh,ow,k] * w[fh,fw,c,k]  where ih = oh*sh + fh*dh - pt.
 * wt is scratch for w transposed to [fh,fw,k,c] so that c is the contiguous (vector) axis.
 * Scatter form: each (output pixel, tap) adds a C-vector into dx; MB output pixels along a row
 * share the loads of wt. */
INLINE void bpi_tile(const f32 *dyp, const f32 *wtap, f32 *dxp, int MB, int CV, int K, int C, int dyStep, int dxStep) {
  v128_t acc[4][4];
  for (int i = 0; i < MB; i++)
    for (int j = 0; j < CV; j++) acc[i][j] = wasm_f32x4_splat(0.f);
  for (int k = 0; k < K; k++) {
    v128_t w[4];
    for (int j = 0; j < CV; j++) w[j] = wasm_v128_load(wtap + k * C + 4 * j);
    for (int i = 0; i < MB; i++) {
      v128_t a = wasm_f32x4_splat(dyp[i * dyStep + k]);
      for (int j = 0; j < CV; j++) acc[i][j] = wasm_f32x4_add(acc[i][j], wasm_f32x4_mul(a, w[j]));
    }
  }
  for (int i = 0; i < MB; i++)
    for (int j = 0; j < CV; j++) {
      f32 *o = dxp + i * dxStep + 4 * j;
      wasm_v128_store(o, wasm_f32x4_add(wasm_v128_load(o), acc[i][j]));
    }
}

INLINE void bpi_row(const f32 *dyp, const f32 *wtap, f32 *dxp, int MB, int K, int C, int dyStep, int dxStep) {
  const int C8 = C - C % 8, C4 = C - C % 4;
  int c = 0;
  for (; c < C8; c += 8) bpi_tile(dyp, wtap + c, dxp + c, MB, 2, K, C, dyStep, dxStep);
  for (; c < C4; c += 4) bpi_tile(dyp, wtap + c, dxp + c, MB, 1, K, C, dyStep, dxStep);
  for (; c < C; c++)
    for (int i = 0; i < MB; i++) {
      f32 s = 0.f;
      for (int k = 0; k < K; k++) s += dyp[i * dyStep + k] * wtap[k * C + c];
      dxp[i * dxStep + c] += s;
    }
}

EXPORT("conv2d_backprop_input")
void conv2d_backprop_input(const f32 *dy, const f32 *w, f32 *dx, f32 *wt, int N, int H, int W, int C, int OH,
                           int OW, int K, int FH, int FW, int sh, int sw, int dh, int dwd, int pt, int pl) {
  for (int t = 0; t < FH * FW; t++)
    for (int c = 0; c < C; c++)
      for (int k = 0; k < K; k++) wt[(t * K + k) * C + c] = w[(t * C + c) * K + k];
  zero(dx, N * H * W * C);
  for (int n = 0; n < N; n++) {
    const f32 *dyn = dy + n * OH * OW * K;
    f32 *dxn = dx + n * H * W * C;
    for (int oh = 0; oh < OH; oh++) {
      for (int fh = 0; fh < FH; fh++) {
        const int ih = oh * sh + fh * dh - pt;
        if (ih < 0 || ih >= H) continue;
        for (int fw = 0; fw < FW; fw++) {
          const int iwoff = fw * dwd - pl;
          const int ow0 = range_lo(iwoff, sw), ow1 = range_hi(iwoff, sw, W, OW);
          const f32 *wtap = wt + (fh * FW + fw) * K * C;
          int ow = ow0;
          for (; ow + 4 <= ow1; ow += 4)
            bpi_row(dyn + (oh * OW + ow) * K, wtap, dxn + (ih * W + ow * sw + iwoff) * C, 4, K, C, K, sw * C);
          for (; ow < ow1; ow++)
            bpi_row(dyn + (oh * OW + ow) * K, wtap, dxn + (ih * W + ow * sw + iwoff) * C, 1, K, C, K, sw * C);
        }
      }
    }
  }
}

/* ---------------------------------------------------------------- MaxPoolGrad
 * dx gets each dy at the position of its window's maximum (first maximum in row-major window
 * order, padding excluded: the cpu backend's rule). Four channels at a time. */
/* Windows that tile the input without overlap (pool size == stride, the usual 2x2/2): every
 * input pixel lies in at most one window, so each is written once, as dy or 0, with vector
 * stores and no scatter. Pixels outside every window are zeroed first. */
static void max_pool_grad_tiled(const f32 *x, const f32 *dy, f32 *dx, int N, int H, int W, int C, int OH, int OW,
                                int sh, int sw, int pt, int pl) {
  if (pt != 0 || pl != 0) {
    zero(dx, N * H * W * C);
  } else if (OH * sh < H || OW * sw < W) {
    /* 'valid' pooling of an odd size: only the last rows / columns lie outside every window;
     * zero just those (the windows below write every other pixel). */
    const int hc = OH * sh < H ? OH * sh : H, wc = OW * sw < W ? OW * sw : W;
    for (int n = 0; n < N; n++) {
      f32 *dxn = dx + n * H * W * C;
      if (wc < W)
        for (int h = 0; h < hc; h++) zero(dxn + (h * W + wc) * C, (W - wc) * C);
      zero(dxn + hc * W * C, (H - hc) * W * C);
    }
  }
  const int C4 = C - C % 4;
  const v128_t z = wasm_f32x4_splat(0.f);
  for (int n = 0; n < N; n++) {
    const f32 *xn = x + n * H * W * C;
    const f32 *dyn = dy + n * OH * OW * C;
    f32 *dxn = dx + n * H * W * C;
    for (int oh = 0; oh < OH; oh++) {
      const int h0 = oh * sh - pt;
      const int ha = h0 < 0 ? 0 : h0, hb = h0 + sh > H ? H : h0 + sh;
      for (int ow = 0; ow < OW; ow++) {
        const int w0 = ow * sw - pl;
        const int wa = w0 < 0 ? 0 : w0, wb = w0 + sw > W ? W : w0 + sw;
        const f32 *dp = dyn + (oh * OW + ow) * C;
        int c = 0;
        if (hb - ha == 2 && wb - wa == 2) { /* a full 2x2 window: unrolled */
          f32 *d00 = dxn + (ha * W + wa) * C, *d01 = d00 + C, *d10 = d00 + W * C, *d11 = d10 + C;
          const f32 *x00 = xn + (ha * W + wa) * C, *x01 = x00 + C, *x10 = x00 + W * C, *x11 = x10 + C;
          for (; c < C4; c += 4) {
            const v128_t a = wasm_v128_load(x00 + c), b = wasm_v128_load(x01 + c);
            const v128_t e = wasm_v128_load(x10 + c), f = wasm_v128_load(x11 + c);
            const v128_t g = wasm_v128_load(dp + c);
            /* The sequential rule, vectorised: start from -inf, a later value wins only if
             * strictly greater (first maximum; NaN and -inf never win, as on the cpu backend). */
            const v128_t ninf = wasm_f32x4_splat(-__builtin_inff());
            const v128_t agt = wasm_f32x4_gt(a, ninf);
            const v128_t m0 = wasm_v128_bitselect(a, ninf, agt);
            const v128_t bgt = wasm_f32x4_gt(b, m0);
            const v128_t m1 = wasm_v128_bitselect(b, m0, bgt);
            const v128_t egt = wasm_f32x4_gt(e, m1);
            const v128_t m2 = wasm_v128_bitselect(e, m1, egt);
            const v128_t fgt = wasm_f32x4_gt(f, m2);
            const v128_t wf = fgt;
            const v128_t we = wasm_v128_andnot(egt, fgt);
            const v128_t wb_ = wasm_v128_andnot(wasm_v128_andnot(bgt, egt), fgt);
            const v128_t wa_ = wasm_v128_andnot(agt, wasm_v128_or(wasm_v128_or(bgt, egt), fgt));
            wasm_v128_store(d00 + c, wasm_v128_and(g, wa_));
            wasm_v128_store(d01 + c, wasm_v128_and(g, wb_));
            wasm_v128_store(d10 + c, wasm_v128_and(g, we));
            wasm_v128_store(d11 + c, wasm_v128_and(g, wf));
          }
        }
        for (; c < C4; c += 4) {
          v128_t best = wasm_f32x4_splat(-__builtin_inff());
          v128_t idx = wasm_i32x4_splat(-1);
          for (int ih = ha; ih < hb; ih++)
            for (int iw = wa; iw < wb; iw++) {
              const int p = ih * W + iw;
              v128_t v = wasm_v128_load(xn + p * C + c);
              v128_t m = wasm_f32x4_gt(v, best);
              best = wasm_v128_bitselect(v, best, m);
              idx = wasm_v128_bitselect(wasm_i32x4_splat(p), idx, m);
            }
          const v128_t g = wasm_v128_load(dp + c);
          for (int ih = ha; ih < hb; ih++)
            for (int iw = wa; iw < wb; iw++) {
              const int p = ih * W + iw;
              wasm_v128_store(dxn + p * C + c, wasm_v128_bitselect(g, z, wasm_i32x4_eq(idx, wasm_i32x4_splat(p))));
            }
        }
        for (; c < C; c++) {
          f32 best = -__builtin_inff();
          int bi = -1;
          for (int ih = ha; ih < hb; ih++)
            for (int iw = wa; iw < wb; iw++) {
              const f32 v = xn[(ih * W + iw) * C + c];
              if (v > best) { best = v; bi = ih * W + iw; }
            }
          for (int ih = ha; ih < hb; ih++)
            for (int iw = wa; iw < wb; iw++) dxn[(ih * W + iw) * C + c] = (ih * W + iw == bi) ? dp[c] : 0.f;
        }
      }
    }
  }
}

EXPORT("max_pool_grad")
void max_pool_grad(const f32 *x, const f32 *dy, f32 *dx, int N, int H, int W, int C, int OH, int OW, int sh,
                   int sw, int dh, int dwd, int EFH, int EFW, int pt, int pl) {
  if (sh == EFH && sw == EFW && dh == 1 && dwd == 1) {
    max_pool_grad_tiled(x, dy, dx, N, H, W, C, OH, OW, sh, sw, pt, pl);
    return;
  }
  zero(dx, N * H * W * C);
  const int C4 = C - C % 4;
  for (int n = 0; n < N; n++) {
    const f32 *xn = x + n * H * W * C;
    const f32 *dyn = dy + n * OH * OW * C;
    f32 *dxn = dx + n * H * W * C;
    for (int oh = 0; oh < OH; oh++) {
      const int h0 = oh * sh - pt;
      for (int ow = 0; ow < OW; ow++) {
        const int w0 = ow * sw - pl;
        const f32 *dp = dyn + (oh * OW + ow) * C;
        int c = 0;
        for (; c < C4; c += 4) {
          v128_t best = wasm_f32x4_splat(-__builtin_inff());
          v128_t idx = wasm_i32x4_splat(-1);
          for (int fh = 0; fh < EFH; fh += dh) {
            const int ih = h0 + fh;
            if (ih < 0 || ih >= H) continue;
            for (int fw = 0; fw < EFW; fw += dwd) {
              const int iw = w0 + fw;
              if (iw < 0 || iw >= W) continue;
              const int p = ih * W + iw;
              v128_t v = wasm_v128_load(xn + p * C + c);
              v128_t m = wasm_f32x4_gt(v, best);
              best = wasm_v128_bitselect(v, best, m);
              idx = wasm_v128_bitselect(wasm_i32x4_splat(p), idx, m);
            }
          }
          int i0 = wasm_i32x4_extract_lane(idx, 0), i1 = wasm_i32x4_extract_lane(idx, 1);
          int i2 = wasm_i32x4_extract_lane(idx, 2), i3 = wasm_i32x4_extract_lane(idx, 3);
          if (i0 >= 0) dxn[i0 * C + c + 0] += dp[c + 0];
          if (i1 >= 0) dxn[i1 * C + c + 1] += dp[c + 1];
          if (i2 >= 0) dxn[i2 * C + c + 2] += dp[c + 2];
          if (i3 >= 0) dxn[i3 * C + c + 3] += dp[c + 3];
        }
        for (; c < C; c++) {
          f32 best = -__builtin_inff();
          int bi = -1;
          for (int fh = 0; fh < EFH; fh += dh) {
            const int ih = h0 + fh;
            if (ih < 0 || ih >= H) continue;
            for (int fw = 0; fw < EFW; fw += dwd) {
              const int iw = w0 + fw;
              if (iw < 0 || iw >= W) continue;
              const f32 v = xn[(ih * W + iw) * C + c];
              if (v > best) { best = v; bi = ih * W + iw; }
            }
          }
          if (bi >= 0) dxn[bi * C + c] += dp[c];
        }
      }
    }
  }
}

/* ---------------------------------------------------------------- Sum over leading axes
 * out[j] = sum_i x[i*cols + j]: the bias gradient (sum over batch and pixels). The stock
 * kernel transposes the whole input first; this reads it once, in order: the running sums of
 * a block of up to SUM_BLOCK columns stay in L1 (a stack buffer) while every row passes, so
 * a narrow tensor ([rows, 32]) is one streaming pass instead of one pass per 16 columns. Each
 * column is still summed in row order, so the result is the same as the sequential sum. */
#define SUM_BLOCK 1024
EXPORT("sum_rows")
void sum_rows(const f32 *x, f32 *out, int rows, int cols) {
  f32 acc[SUM_BLOCK] __attribute__((aligned(16)));
  for (int j0 = 0; j0 < cols; j0 += SUM_BLOCK) {
    const int w = cols - j0 < SUM_BLOCK ? cols - j0 : SUM_BLOCK;
    const int w4 = w - w % 4;
    if (w4 == 32) { /* the usual conv bias (32 channels): the sums live in registers */
      v128_t a0 = wasm_f32x4_splat(0.f), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
      for (int i = 0; i < rows; i++) {
        const f32 *p = x + (long)i * cols + j0;
        a0 = wasm_f32x4_add(a0, wasm_v128_load(p));
        a1 = wasm_f32x4_add(a1, wasm_v128_load(p + 4));
        a2 = wasm_f32x4_add(a2, wasm_v128_load(p + 8));
        a3 = wasm_f32x4_add(a3, wasm_v128_load(p + 12));
        a4 = wasm_f32x4_add(a4, wasm_v128_load(p + 16));
        a5 = wasm_f32x4_add(a5, wasm_v128_load(p + 20));
        a6 = wasm_f32x4_add(a6, wasm_v128_load(p + 24));
        a7 = wasm_f32x4_add(a7, wasm_v128_load(p + 28));
      }
      wasm_v128_store(acc, a0);
      wasm_v128_store(acc + 4, a1);
      wasm_v128_store(acc + 8, a2);
      wasm_v128_store(acc + 12, a3);
      wasm_v128_store(acc + 16, a4);
      wasm_v128_store(acc + 20, a5);
      wasm_v128_store(acc + 24, a6);
      wasm_v128_store(acc + 28, a7);
      for (int j = w4; j < w; j++) {
        f32 s = 0.f;
        for (int i = 0; i < rows; i++) s += x[(long)i * cols + j0 + j];
        acc[j] = s;
      }
    } else {
      zero(acc, w);
      for (int i = 0; i < rows; i++) {
        const f32 *p = x + (long)i * cols + j0;
        int j = 0;
        for (; j < w4; j += 4) wasm_v128_store(acc + j, wasm_f32x4_add(wasm_v128_load(acc + j), wasm_v128_load(p + j)));
        for (; j < w; j++) acc[j] += p[j];
      }
    }
    for (int j = 0; j < w; j++) out[j0 + j] = acc[j];
  }
}

/* ---------------------------------------------------------------- Bias add
 * out[i*inner + j] = x[i*inner + j] + b[j]: a [..., C] tensor plus a [C] bias (or any b that
 * repeats along the leading axes). The stock kernel takes its generic broadcasting path here,
 * with index arithmetic per element (well below memory speed); this is one streaming
 * pass. x + b == b + x in float32, so operand order does not matter. */
EXPORT("add_bias")
void add_bias(const f32 *x, const f32 *b, f32 *out, int rows, int inner) {
  const int i4 = inner - inner % 4;
  if (inner == 1) { /* a scalar-like bias: the flat array plus one value */
    const v128_t bv = wasm_f32x4_splat(b[0]);
    int i = 0;
    for (; i + 4 <= rows; i += 4) wasm_v128_store(out + i, wasm_f32x4_add(wasm_v128_load(x + i), bv));
    for (; i < rows; i++) out[i] = x[i] + b[0];
    return;
  }
  if (inner == 32) { /* the usual conv bias: held in registers */
    const v128_t b0 = wasm_v128_load(b), b1 = wasm_v128_load(b + 4), b2 = wasm_v128_load(b + 8),
                 b3 = wasm_v128_load(b + 12), b4 = wasm_v128_load(b + 16), b5 = wasm_v128_load(b + 20),
                 b6 = wasm_v128_load(b + 24), b7 = wasm_v128_load(b + 28);
    for (int i = 0; i < rows; i++) {
      const f32 *p = x + (long)i * 32;
      f32 *o = out + (long)i * 32;
      wasm_v128_store(o, wasm_f32x4_add(wasm_v128_load(p), b0));
      wasm_v128_store(o + 4, wasm_f32x4_add(wasm_v128_load(p + 4), b1));
      wasm_v128_store(o + 8, wasm_f32x4_add(wasm_v128_load(p + 8), b2));
      wasm_v128_store(o + 12, wasm_f32x4_add(wasm_v128_load(p + 12), b3));
      wasm_v128_store(o + 16, wasm_f32x4_add(wasm_v128_load(p + 16), b4));
      wasm_v128_store(o + 20, wasm_f32x4_add(wasm_v128_load(p + 20), b5));
      wasm_v128_store(o + 24, wasm_f32x4_add(wasm_v128_load(p + 24), b6));
      wasm_v128_store(o + 28, wasm_f32x4_add(wasm_v128_load(p + 28), b7));
    }
    return;
  }
  for (int i = 0; i < rows; i++) {
    const f32 *p = x + (long)i * inner;
    f32 *o = out + (long)i * inner;
    int j = 0;
    for (; j < i4; j += 4) wasm_v128_store(o + j, wasm_f32x4_add(wasm_v128_load(p + j), wasm_v128_load(b + j)));
    for (; j < inner; j++) o[j] = p[j] + b[j];
  }
}

/* ---------------------------------------------------------------- Conv2D (forward)
 * y[n,oh,ow,k] = sum_{fh,fw,c} x[n, oh*sh + fh*dh - pt, ow*sw + fw*dwd - pl, c] * w[fh,fw,c,k].
 * MB output pixels along a row x 4*KV output channels accumulate in registers over every
 * (tap, channel); the k-block is the outer loop so its slice of w stays in L1. Pixels whose
 * window crosses the left/right border take the one-pixel path with per-tap checks. */
INLINE void conv_tile(const f32 *xrow[], int nrows, const int fhs[], const f32 *w, f32 *y, int MB, int KV, int C,
                      int K, int FW, int sw, int dwd, int iw0, int W, int checked) {
  v128_t acc[4][4];
  for (int i = 0; i < MB; i++)
    for (int j = 0; j < KV; j++) acc[i][j] = wasm_f32x4_splat(0.f);
  for (int r = 0; r < nrows; r++) {
    for (int fw = 0; fw < FW; fw++) {
      const int iw = iw0 + fw * dwd;
      if (checked && (iw < 0 || iw >= W)) continue;
      const f32 *xp = xrow[r] + iw * C;
      const f32 *wp = w + (fhs[r] * FW + fw) * C * K;
      for (int c = 0; c < C; c++) {
        v128_t wv[4];
        for (int j = 0; j < KV; j++) wv[j] = wasm_v128_load(wp + c * K + 4 * j);
        for (int i = 0; i < MB; i++) {
          v128_t a = wasm_f32x4_splat(xp[i * sw * C + c]);
          for (int j = 0; j < KV; j++) acc[i][j] = wasm_f32x4_add(acc[i][j], wasm_f32x4_mul(a, wv[j]));
        }
      }
    }
  }
  for (int i = 0; i < MB; i++)
    for (int j = 0; j < KV; j++) wasm_v128_store(y + i * K + 4 * j, acc[i][j]);
}

INLINE void conv_kblock(const f32 *xrow[], int nrows, const int fhs[], const f32 *w, f32 *yrow, int KV, int C, int K,
                        int FW, int sw, int dwd, int pl, int W, int OW, int owa, int owb) {
  int ow = 0;
  for (; ow < owa && ow < OW; ow++)
    conv_tile(xrow, nrows, fhs, w, yrow + ow * K, 1, KV, C, K, FW, sw, dwd, ow * sw - pl, W, 1);
  for (; ow + 4 <= owb; ow += 4)
    conv_tile(xrow, nrows, fhs, w, yrow + ow * K, 4, KV, C, K, FW, sw, dwd, ow * sw - pl, W, 0);
  for (; ow < OW; ow++)
    conv_tile(xrow, nrows, fhs, w, yrow + ow * K, 1, KV, C, K, FW, sw, dwd, ow * sw - pl, W, 1);
}

#define MAX_FH 16
EXPORT("conv2d_forward")
int conv2d_forward(const f32 *x, const f32 *w, f32 *y, int N, int H, int W, int C, int OH, int OW, int K, int FH,
                   int FW, int sh, int sw, int dh, int dwd, int pt, int pl) {
  if (FH > MAX_FH) return 0; /* caller falls back to the stock kernel */
  /* Output columns whose every tap lies inside the row: [owa, owb). */
  const int owa = range_lo(-pl, sw) > range_lo((FW - 1) * dwd - pl, sw) ? range_lo(-pl, sw) : range_lo((FW - 1) * dwd - pl, sw);
  const int owb = range_hi((FW - 1) * dwd - pl, sw, W, OW) < range_hi(-pl, sw, W, OW) ? range_hi((FW - 1) * dwd - pl, sw, W, OW) : range_hi(-pl, sw, W, OW);
  const int K8 = K - K % 8, K4 = K - K % 4;
  for (int n = 0; n < N; n++) {
    const f32 *xn = x + n * H * W * C;
    for (int oh = 0; oh < OH; oh++) {
      const f32 *xrow[MAX_FH];
      int fhs[MAX_FH];
      int nrows = 0;
      for (int fh = 0; fh < FH; fh++) {
        const int ih = oh * sh + fh * dh - pt;
        if (ih < 0 || ih >= H) continue;
        xrow[nrows] = xn + ih * W * C;
        fhs[nrows++] = fh;
      }
      f32 *yrow = y + (n * OH + oh) * OW * K;
      int k = 0;
      for (; k < K8; k += 8) conv_kblock(xrow, nrows, fhs, w + k, yrow + k, 2, C, K, FW, sw, dwd, pl, W, OW, owa, owb);
      for (; k < K4; k += 4) conv_kblock(xrow, nrows, fhs, w + k, yrow + k, 1, C, K, FW, sw, dwd, pl, W, OW, owa, owb);
      for (; k < K; k++)
        for (int ow = 0; ow < OW; ow++) {
          f32 s = 0.f;
          for (int r = 0; r < nrows; r++)
            for (int fw = 0; fw < FW; fw++) {
              const int iw = ow * sw + fw * dwd - pl;
              if (iw < 0 || iw >= W) continue;
              const f32 *xp = xrow[r] + iw * C;
              const f32 *wp = w + (fhs[r] * FW + fw) * C * K + k;
              for (int c = 0; c < C; c++) s += xp[c] * wp[c * K];
            }
          yrow[ow * K + k] = s;
        }
    }
  }
  return 1;
}

/* ---------------------------------------------------------------- MaxPool (forward)
 * y = max over the window, by the sequential rule best = v > best ? v : best from -inf
 * (f32x4.pmax is exactly that), so NaN never wins and padding is excluded, as on the cpu
 * backend. Full 2x2 windows are unrolled. */
EXPORT("max_pool")
void max_pool(const f32 *x, f32 *y, int N, int H, int W, int C, int OH, int OW, int sh, int sw, int dh, int dwd,
              int EFH, int EFW, int pt, int pl) {
  const int C4 = C - C % 4;
  const v128_t ninf = wasm_f32x4_splat(-__builtin_inff());
  for (int n = 0; n < N; n++) {
    const f32 *xn = x + n * H * W * C;
    for (int oh = 0; oh < OH; oh++) {
      const int h0 = oh * sh - pt;
      for (int ow = 0; ow < OW; ow++) {
        const int w0 = ow * sw - pl;
        f32 *yp = y + ((n * OH + oh) * OW + ow) * C;
        int c = 0;
        if (EFH == 2 && EFW == 2 && dh == 1 && dwd == 1 && h0 >= 0 && w0 >= 0 && h0 + 2 <= H && w0 + 2 <= W) {
          const f32 *x00 = xn + (h0 * W + w0) * C, *x01 = x00 + C, *x10 = x00 + W * C, *x11 = x10 + C;
          for (; c < C4; c += 4) {
            v128_t m = wasm_f32x4_pmax(ninf, wasm_v128_load(x00 + c));
            m = wasm_f32x4_pmax(m, wasm_v128_load(x01 + c));
            m = wasm_f32x4_pmax(m, wasm_v128_load(x10 + c));
            m = wasm_f32x4_pmax(m, wasm_v128_load(x11 + c));
            wasm_v128_store(yp + c, m);
          }
        }
        for (; c < C4; c += 4) {
          v128_t m = ninf;
          for (int fh = 0; fh < EFH; fh += dh) {
            const int ih = h0 + fh;
            if (ih < 0 || ih >= H) continue;
            for (int fw = 0; fw < EFW; fw += dwd) {
              const int iw = w0 + fw;
              if (iw < 0 || iw >= W) continue;
              m = wasm_f32x4_pmax(m, wasm_v128_load(xn + (ih * W + iw) * C + c));
            }
          }
          wasm_v128_store(yp + c, m);
        }
        for (; c < C; c++) {
          f32 m = -__builtin_inff();
          for (int fh = 0; fh < EFH; fh += dh) {
            const int ih = h0 + fh;
            if (ih < 0 || ih >= H) continue;
            for (int fw = 0; fw < EFW; fw += dwd) {
              const int iw = w0 + fw;
              if (iw < 0 || iw >= W) continue;
              const f32 v = xn[(ih * W + iw) * C + c];
              if (v > m) m = v;
            }
          }
          yp[c] = m;
        }
      }
    }
  }
}

/* ---------------------------------------------------------------- MatMul (dense layers)
 * c[i,j] = act(sum_k A(i,k) * b[k,j] + bias[j]) for rows i in [0, M), A(i,k) = a[i*sI + k*sK]
 * (sI = K, sK = 1 for a row-major A; sI = 1, sK = rows of the stored A for a transposed one),
 * b row-major [K, N], c row-major [M, N]; bias may be 0, relu 0 or 1. Blocked GEMM: K in
 * chunks of KC, an 8-column panel of b packed contiguously per chunk (it stays in L1 while
 * every 4-row tile of A passes over it), 4x8 accumulators in registers (11 of the 16 SIMD
 * registers: no spills). The caller splits M
 * between threads; each thread's share is an independent call. */
#define KC 256
INLINE void mm_tile(const f32 *a, const f32 *pack, f32 *c, int MR, int kc, int N, int sI, int sK, int first,
                    int last, const f32 *bias, int relu) {
  v128_t acc[4][2];
  /* Starting from the bias and adding the products in k order (no FMA in wasm SIMD) gives
   * the stock XNNPACK kernel's float32 result bit for bit: training results do not change. */
  const v128_t c0 = bias ? wasm_v128_load(bias) : wasm_f32x4_splat(0.f);
  const v128_t c1 = bias ? wasm_v128_load(bias + 4) : wasm_f32x4_splat(0.f);
  for (int i = 0; i < MR; i++) {
    acc[i][0] = first ? c0 : wasm_v128_load(c + i * N);
    acc[i][1] = first ? c1 : wasm_v128_load(c + i * N + 4);
  }
  for (int k = 0; k < kc; k++) {
    const v128_t b0 = wasm_v128_load(pack + 8 * k), b1 = wasm_v128_load(pack + 8 * k + 4);
    const f32 *ak = a + k * sK;
    for (int i = 0; i < MR; i++) {
      const v128_t av = wasm_f32x4_splat(ak[i * sI]);
      acc[i][0] = wasm_f32x4_add(acc[i][0], wasm_f32x4_mul(av, b0));
      acc[i][1] = wasm_f32x4_add(acc[i][1], wasm_f32x4_mul(av, b1));
    }
  }
  if (last && relu) {
    const v128_t z = wasm_f32x4_splat(0.f);
    for (int i = 0; i < MR; i++) {
      acc[i][0] = wasm_f32x4_pmax(z, acc[i][0]);
      acc[i][1] = wasm_f32x4_pmax(z, acc[i][1]);
    }
  }
  for (int i = 0; i < MR; i++) {
    wasm_v128_store(c + i * N, acc[i][0]);
    wasm_v128_store(c + i * N + 4, acc[i][1]);
  }
}

EXPORT("matmul")
void matmul(const f32 *a, const f32 *b, f32 *c, int M, int K, int N, int sI, int sK, const f32 *bias, int relu) {
  f32 pack[KC * 8] __attribute__((aligned(16)));
  const int N8 = N - N % 8;
  if (K == 0) { /* an empty sum */
    for (int i = 0; i < M; i++)
      for (int j = 0; j < N; j++) {
        f32 s = bias ? bias[j] : 0.f;
        c[i * N + j] = relu && !(s > 0.f) ? 0.f : s;
      }
    return;
  }
  for (int k0 = 0; k0 < K; k0 += KC) {
    const int kc = K - k0 < KC ? K - k0 : KC;
    const int first = k0 == 0, last = k0 + kc >= K;
    const f32 *ak = a + k0 * sK;
    for (int j = 0; j < N8; j += 8) {
      for (int k = 0; k < kc; k++) {
        const f32 *bp = b + (k0 + k) * N + j;
        wasm_v128_store(pack + 8 * k, wasm_v128_load(bp));
        wasm_v128_store(pack + 8 * k + 4, wasm_v128_load(bp + 4));
      }
      const f32 *bj = bias ? bias + j : 0;
      int i = 0;
      for (; i + 4 <= M; i += 4) mm_tile(ak + i * sI, pack, c + i * N + j, 4, kc, N, sI, sK, first, last, bj, relu);
      for (; i < M; i++) mm_tile(ak + i * sI, pack, c + i * N + j, 1, kc, N, sI, sK, first, last, bj, relu);
    }
    for (int i = 0; i < M; i++)
      for (int j = N8; j < N; j++) {
        f32 s = first ? (bias ? bias[j] : 0.f) : c[i * N + j];
        for (int k = 0; k < kc; k++) s += ak[i * sI + k * sK] * b[(k0 + k) * N + j];
        if (last && relu) s = s > 0.f ? s : 0.f;
        c[i * N + j] = s;
      }
  }
}

/* ---------------------------------------------------------------- Streaming bound
 * ga = a, gb = b over n floats with 16-byte SIMD loads and stores, 4 vectors per stream per
 * iteration: the least memory traffic of a loss pass that reads two inputs and writes two
 * gradients, and nothing else, so no such pass can beat it (bench/loss.ts). */
EXPORT("stream_copy2")
void stream_copy2(const f32 *a, const f32 *b, f32 *ga, f32 *gb, int n) {
  int i = 0;
  for (; i + 16 <= n; i += 16) {
    v128_t a0 = wasm_v128_load(a + i), a1 = wasm_v128_load(a + i + 4), a2 = wasm_v128_load(a + i + 8),
           a3 = wasm_v128_load(a + i + 12);
    v128_t b0 = wasm_v128_load(b + i), b1 = wasm_v128_load(b + i + 4), b2 = wasm_v128_load(b + i + 8),
           b3 = wasm_v128_load(b + i + 12);
    wasm_v128_store(ga + i, a0);
    wasm_v128_store(ga + i + 4, a1);
    wasm_v128_store(ga + i + 8, a2);
    wasm_v128_store(ga + i + 12, a3);
    wasm_v128_store(gb + i, b0);
    wasm_v128_store(gb + i + 4, b1);
    wasm_v128_store(gb + i + 8, b2);
    wasm_v128_store(gb + i + 12, b3);
  }
  for (; i < n; i++) {
    ga[i] = a[i];
    gb[i] = b[i];
  }
}

/* ---------------------------------------------------------------- Adam update
 * One pass for what tf.train.adam does with 12 kernels per variable, with the same float32
 * operations in the same order (so the same bits):
 *   m' = m b1 + g (1-b1);  v' = v b2 + g^2 (1-b2);
 *   w' = (m' / c1) / (sqrt(v' / c2) + eps) * (-lr) + w,   c1 = 1 - b1^t, c2 = 1 - b2^t. */
EXPORT("adam_update")
void adam_update(const f32 *w, const f32 *g, const f32 *m, const f32 *v, f32 *w_out, f32 *m_out, f32 *v_out, int n,
                 f32 b1, f32 omb1, f32 b2, f32 omb2, f32 c1, f32 c2, f32 eps, f32 neg_lr) {
  const v128_t B1 = wasm_f32x4_splat(b1), OMB1 = wasm_f32x4_splat(omb1), B2 = wasm_f32x4_splat(b2),
               OMB2 = wasm_f32x4_splat(omb2), C1 = wasm_f32x4_splat(c1), C2 = wasm_f32x4_splat(c2),
               EPS = wasm_f32x4_splat(eps), NLR = wasm_f32x4_splat(neg_lr);
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    const v128_t gv = wasm_v128_load(g + i);
    const v128_t mn = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(m + i), B1), wasm_f32x4_mul(gv, OMB1));
    const v128_t vn = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(v + i), B2), wasm_f32x4_mul(wasm_f32x4_mul(gv, gv), OMB2));
    const v128_t den = wasm_f32x4_add(wasm_f32x4_sqrt(wasm_f32x4_div(vn, C2)), EPS);
    const v128_t step = wasm_f32x4_mul(wasm_f32x4_div(wasm_f32x4_div(mn, C1), den), NLR);
    wasm_v128_store(m_out + i, mn);
    wasm_v128_store(v_out + i, vn);
    wasm_v128_store(w_out + i, wasm_f32x4_add(step, wasm_v128_load(w + i)));
  }
  for (; i < n; i++) {
    const f32 gi = g[i];
    const f32 mn = m[i] * b1 + gi * omb1;
    const f32 vn = v[i] * b2 + (gi * gi) * omb2;
    m_out[i] = mn;
    v_out[i] = vn;
    w_out[i] = ((mn / c1) / (__builtin_sqrtf(vn / c2) + eps)) * neg_lr + w[i];
  }
}

/* ---------------------------------------------------------------- Relu gradient
 * out = dy * step(x), step(x) = 1 for x > 0, NaN for NaN, else 0: what TF.js computes with
 * three kernels (Step, Cast, Multiply), in one pass and with the same values. */
EXPORT("relu_grad")
void relu_grad(const f32 *dy, const f32 *x, f32 *out, int n) {
  const v128_t one = wasm_f32x4_splat(1.f), zero = wasm_f32x4_splat(0.f);
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    const v128_t xv = wasm_v128_load(x + i);
    v128_t s = wasm_v128_bitselect(one, zero, wasm_f32x4_gt(xv, zero));
    s = wasm_v128_bitselect(xv, s, wasm_f32x4_ne(xv, xv));
    wasm_v128_store(out + i, wasm_f32x4_mul(wasm_v128_load(dy + i), s));
  }
  for (; i < n; i++) {
    const f32 xi = x[i];
    const f32 s = xi > 0.f ? 1.f : (xi != xi ? xi : 0.f);
    out[i] = dy[i] * s;
  }
}

/* out = dy * step(x) as relu_grad, over rows of `cols` values (cols <= SUM_BLOCK), and the
 * row-order float32 sums of out's columns into sums: the bias gradient that the next kernel
 * (Sum over the leading axes) would compute from out, got without reading out again. */
EXPORT("relu_grad_sums")
void relu_grad_sums(const f32 *dy, const f32 *x, f32 *out, f32 *sums, int rows, int cols) {
  const v128_t one = wasm_f32x4_splat(1.f), z = wasm_f32x4_splat(0.f);
#define RELU_GRAD4(o, d, xx)                                                             \
  do {                                                                                   \
    const v128_t xv_ = wasm_v128_load(xx);                                               \
    v128_t s_ = wasm_v128_bitselect(one, z, wasm_f32x4_gt(xv_, z));                      \
    s_ = wasm_v128_bitselect(xv_, s_, wasm_f32x4_ne(xv_, xv_));                          \
    (o) = wasm_f32x4_mul(wasm_v128_load(d), s_);                                         \
  } while (0)
  if (cols == 32) { /* the usual conv layer: the sums live in registers */
    v128_t a[8];
    for (int v = 0; v < 8; v++) a[v] = z;
    for (int i = 0; i < rows; i++) {
      const int r = i * 32;
      for (int v = 0; v < 8; v++) {
        v128_t o;
        RELU_GRAD4(o, dy + r + 4 * v, x + r + 4 * v);
        wasm_v128_store(out + r + 4 * v, o);
        a[v] = wasm_f32x4_add(a[v], o);
      }
    }
    for (int v = 0; v < 8; v++) wasm_v128_store(sums + 4 * v, a[v]);
    return;
  }
  f32 acc[SUM_BLOCK] __attribute__((aligned(16)));
  const int c4 = cols - cols % 4;
  zero(acc, cols);
  for (int i = 0; i < rows; i++) {
    const int r = i * cols;
    int j = 0;
    for (; j < c4; j += 4) {
      v128_t o;
      RELU_GRAD4(o, dy + r + j, x + r + j);
      wasm_v128_store(out + r + j, o);
      wasm_v128_store(acc + j, wasm_f32x4_add(wasm_v128_load(acc + j), o));
    }
    for (; j < cols; j++) {
      const f32 xi = x[r + j];
      const f32 o = dy[r + j] * (xi > 0.f ? 1.f : (xi != xi ? xi : 0.f));
      out[r + j] = o;
      acc[j] += o;
    }
  }
#undef RELU_GRAD4
  for (int j = 0; j < cols; j++) sums[j] = acc[j];
}

/* ---------------------------------------------------------------- Conv2D 3x3 stride 1: Winograd F(2x2, 3x3)
 * y = conv(x, w) for 3x3 filters, stride 1, no dilation, any padding, C % 4 == 0, K % 8 == 0
 * (else returns 0 and writes nothing). Each 2x2 output tile is A^T [ (G g G^T) . (B^T d B) ] A
 * with d the tile's 4x4 input patch: 16 products per tile and channel pair instead of 36,
 * as 16 small GEMMs (tiles x C times C x K) per block of tiles. Sums run in another order
 * than the direct kernel (results differ in the last bits, ~1e-6 relative). Input or filter
 * with a NaN or an infinity: the direct kernel instead (all_finite).
 * scratch: conv2d_winograd_scratch(C, K) floats (transformed filter, then one block of
 * transformed input and products, sized to stay in L2). */
/* 1 if every value is finite: v * 0 is 0 for a finite v and NaN for NaN or an infinity. The
 * Winograd transforms mix every value of a 4x4 patch into all four outputs of its tile, so one
 * NaN or infinity would spread to outputs whose window does not hold it (inf - inf = NaN);
 * such inputs take the direct kernel, which gives the usual propagation. */
static int all_finite(const f32 *p, int n) {
  v128_t acc = wasm_f32x4_splat(0.f);
  const v128_t z = wasm_f32x4_splat(0.f);
  int i = 0;
  for (; i + 4 <= n; i += 4) acc = wasm_f32x4_add(acc, wasm_f32x4_mul(wasm_v128_load(p + i), z));
  f32 s = wasm_f32x4_extract_lane(acc, 0) + wasm_f32x4_extract_lane(acc, 1) + wasm_f32x4_extract_lane(acc, 2) +
          wasm_f32x4_extract_lane(acc, 3);
  for (; i < n; i++) s += p[i] * 0.f;
  return s == 0.f;
}

INLINE int wino_block(int C, int K) {
  int t = 8192 / (C + K);
  t -= t % 4;
  return t < 4 ? 4 : (t > 64 ? 64 : t);
}

EXPORT("conv2d_winograd_scratch")
int conv2d_winograd_scratch(int C, int K) {
  const int T = wino_block(C, K);
  return 16 * C * K + 16 * T * C + 16 * T * K + 4;
}

/* M[t][0..8) += sum_c V[t][c] * U[c][0..8) for MR tiles (rows of V with stride C). */
INLINE void wino_gemm_tile(const f32 *v, const f32 *u, f32 *m, int MR, int C, int K) {
  v128_t acc[4][2];
  for (int i = 0; i < MR; i++) acc[i][0] = acc[i][1] = wasm_f32x4_splat(0.f);
  for (int c = 0; c < C; c++) {
    const v128_t b0 = wasm_v128_load(u + c * K), b1 = wasm_v128_load(u + c * K + 4);
    for (int i = 0; i < MR; i++) {
      const v128_t a = wasm_f32x4_splat(v[i * C + c]);
      acc[i][0] = wasm_f32x4_add(acc[i][0], wasm_f32x4_mul(a, b0));
      acc[i][1] = wasm_f32x4_add(acc[i][1], wasm_f32x4_mul(a, b1));
    }
  }
  for (int i = 0; i < MR; i++) {
    wasm_v128_store(m + i * K, acc[i][0]);
    wasm_v128_store(m + i * K + 4, acc[i][1]);
  }
}

EXPORT("conv2d_forward_winograd")
int conv2d_forward_winograd(const f32 *x, const f32 *w, f32 *y, f32 *scratch, int N, int H, int W, int C, int OH,
                            int OW, int K, int FH, int FW, int sh, int sw, int dh, int dwd, int pt, int pl) {
  if (FH != 3 || FW != 3 || sh != 1 || sw != 1 || dh != 1 || dwd != 1 || C % 4 != 0 || K % 8 != 0) return 0;
  if (!all_finite(x, N * H * W * C) || !all_finite(w, 9 * C * K))
    return conv2d_forward(x, w, y, N, H, W, C, OH, OW, K, FH, FW, sh, sw, dh, dwd, pt, pl);
  const int T = wino_block(C, K);
  f32 *U = (f32 *)(((unsigned long)scratch + 15) & ~15UL);
  f32 *V = U + 16 * C * K;
  f32 *Mm = V + 16 * T * C;
  const v128_t half = wasm_f32x4_splat(0.5f);
  /* U[xi][c][k] = (G g G^T)[i][j], four k at a time. */
  for (int c = 0; c < C; c++)
    for (int k = 0; k < K; k += 4) {
      v128_t g[3][3], tmp[4][3];
      for (int a = 0; a < 3; a++)
        for (int b = 0; b < 3; b++) g[a][b] = wasm_v128_load(w + ((a * 3 + b) * C + c) * K + k);
      for (int b = 0; b < 3; b++) {
        tmp[0][b] = g[0][b];
        tmp[1][b] = wasm_f32x4_mul(half, wasm_f32x4_add(wasm_f32x4_add(g[0][b], g[1][b]), g[2][b]));
        tmp[2][b] = wasm_f32x4_mul(half, wasm_f32x4_add(wasm_f32x4_sub(g[0][b], g[1][b]), g[2][b]));
        tmp[3][b] = g[2][b];
      }
      for (int a = 0; a < 4; a++) {
        v128_t r[4];
        r[0] = tmp[a][0];
        r[1] = wasm_f32x4_mul(half, wasm_f32x4_add(wasm_f32x4_add(tmp[a][0], tmp[a][1]), tmp[a][2]));
        r[2] = wasm_f32x4_mul(half, wasm_f32x4_add(wasm_f32x4_sub(tmp[a][0], tmp[a][1]), tmp[a][2]));
        r[3] = tmp[a][2];
        for (int b = 0; b < 4; b++) wasm_v128_store(U + ((a * 4 + b) * C + c) * K + k, r[b]);
      }
    }
  const int TH = (OH + 1) / 2, TW = (OW + 1) / 2, tiles = N * TH * TW;
  const v128_t z = wasm_f32x4_splat(0.f);
  for (int t0 = 0; t0 < tiles; t0 += T) {
    const int nt = tiles - t0 < T ? tiles - t0 : T;
    /* V[xi][t][c] = (B^T d B)[i][j] for each tile t of the block. */
    for (int t = 0; t < nt; t++) {
      const int tt = t0 + t, n = tt / (TH * TW), r = tt % (TH * TW);
      const int ih0 = (r / TW) * 2 - pt, iw0 = (r % TW) * 2 - pl;
      const f32 *xn = x + n * H * W * C;
      int inside = ih0 >= 0 && iw0 >= 0 && ih0 + 4 <= H && iw0 + 4 <= W;
      for (int c = 0; c < C; c += 4) {
        v128_t d[4][4], tmp[4][4];
        for (int a = 0; a < 4; a++)
          for (int b = 0; b < 4; b++) {
            const int ih = ih0 + a, iw = iw0 + b;
            d[a][b] = inside || (ih >= 0 && ih < H && iw >= 0 && iw < W) ? wasm_v128_load(xn + (ih * W + iw) * C + c) : z;
          }
        for (int b = 0; b < 4; b++) {
          tmp[0][b] = wasm_f32x4_sub(d[0][b], d[2][b]);
          tmp[1][b] = wasm_f32x4_add(d[1][b], d[2][b]);
          tmp[2][b] = wasm_f32x4_sub(d[2][b], d[1][b]);
          tmp[3][b] = wasm_f32x4_sub(d[1][b], d[3][b]);
        }
        for (int a = 0; a < 4; a++) {
          f32 *vp = V + (a * 4 * T + t) * C + c;
          wasm_v128_store(vp, wasm_f32x4_sub(tmp[a][0], tmp[a][2]));
          wasm_v128_store(vp + T * C, wasm_f32x4_add(tmp[a][1], tmp[a][2]));
          wasm_v128_store(vp + 2 * T * C, wasm_f32x4_sub(tmp[a][2], tmp[a][1]));
          wasm_v128_store(vp + 3 * T * C, wasm_f32x4_sub(tmp[a][1], tmp[a][3]));
        }
      }
    }
    /* M[xi] = V[xi] U[xi]: 16 GEMMs of nt x C times C x K. */
    for (int xi = 0; xi < 16; xi++) {
      const f32 *vx = V + xi * T * C, *ux = U + xi * C * K;
      f32 *mx = Mm + xi * T * K;
      for (int k = 0; k < K; k += 8) {
        int t = 0;
        for (; t + 4 <= nt; t += 4) wino_gemm_tile(vx + t * C, ux + k, mx + t * K + k, 4, C, K);
        for (; t < nt; t++) wino_gemm_tile(vx + t * C, ux + k, mx + t * K + k, 1, C, K);
      }
    }
    /* y tile = A^T m A, written where inside the output. */
    for (int t = 0; t < nt; t++) {
      const int tt = t0 + t, n = tt / (TH * TW), r = tt % (TH * TW);
      const int oh0 = (r / TW) * 2, ow0 = (r % TW) * 2;
      f32 *yn = y + n * OH * OW * K;
      const int h2 = oh0 + 1 < OH, w2 = ow0 + 1 < OW;
      for (int k = 0; k < K; k += 4) {
        v128_t m[4][4], s[2][4];
        for (int a = 0; a < 4; a++)
          for (int b = 0; b < 4; b++) m[a][b] = wasm_v128_load(Mm + ((a * 4 + b) * T + t) * K + k);
        for (int b = 0; b < 4; b++) {
          s[0][b] = wasm_f32x4_add(wasm_f32x4_add(m[0][b], m[1][b]), m[2][b]);
          s[1][b] = wasm_f32x4_sub(wasm_f32x4_sub(m[1][b], m[2][b]), m[3][b]);
        }
        for (int a = 0; a < 2; a++) {
          if (a == 1 && !h2) break;
          f32 *yp = yn + ((oh0 + a) * OW + ow0) * K + k;
          wasm_v128_store(yp, wasm_f32x4_add(wasm_f32x4_add(s[a][0], s[a][1]), s[a][2]));
          if (w2) wasm_v128_store(yp + K, wasm_f32x4_sub(wasm_f32x4_sub(s[a][1], s[a][2]), s[a][3]));
        }
      }
    }
  }
  return 1;
}
