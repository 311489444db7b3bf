/*
 * The fused contrastive loss (Hadsell, Chopra, LeCun 2006) for the TensorFlow.js wasm backend.
 *
 * Linked into the same module as kernels.c (scripts/build-wasm.sh), so it runs in place on
 * the backend's heap. One pass over the rows computes each pair's loss and, when asked, the
 * gradients of the weighted loss for both inputs; the row is read from memory once for its
 * distance and again from L1 for its gradient, so the pass streams at memory speed.
 *
 *   L_i = scale * D_i^2                      (similar pair)
 *   L_i = scale * max(0, m - D_i)^2          (dissimilar pair), D_i = |a_i - b_i|
 *
 * scale is 1/2 for the Hadsell convention. The gradient w.r.t. a_i is k_i (a_i - b_i) and
 * w.r.t. b_i its negation. At D_i = 0 a dissimilar pair inside the margin gets the
 * steepest-descent subgradient along u = (1, ..., 1)/sqrt(d) (the same as pairDistances), and
 * the row is flagged so that the caller can zero it when the upstream gradient is <= 0.
 */
#include <wasm_simd128.h>

typedef float f32;
typedef unsigned char u8;
#define EXPORT(name) __attribute__((export_name(name)))
#define INLINE static inline __attribute__((always_inline))

/* Row flags: bit 0 set by the caller for a similar pair, bit 1 set here for a collapsed
 * dissimilar pair (D = 0 inside the margin). */
#define FLAG_SIMILAR 1
#define FLAG_COLLAPSED 2

/* Squared distance of one row in float32, 16 lanes at a time (4 independent accumulators). */
INLINE f32 squared_distance(const f32 *a, const f32 *b, int d) {
  v128_t s0 = wasm_f32x4_splat(0.f), s1 = s0, s2 = s0, s3 = s0;
  int j = 0;
  for (; j + 16 <= d; j += 16) {
    v128_t t0 = wasm_f32x4_sub(wasm_v128_load(a + j), wasm_v128_load(b + j));
    v128_t t1 = wasm_f32x4_sub(wasm_v128_load(a + j + 4), wasm_v128_load(b + j + 4));
    v128_t t2 = wasm_f32x4_sub(wasm_v128_load(a + j + 8), wasm_v128_load(b + j + 8));
    v128_t t3 = wasm_f32x4_sub(wasm_v128_load(a + j + 12), wasm_v128_load(b + j + 12));
    s0 = wasm_f32x4_add(s0, wasm_f32x4_mul(t0, t0));
    s1 = wasm_f32x4_add(s1, wasm_f32x4_mul(t1, t1));
    s2 = wasm_f32x4_add(s2, wasm_f32x4_mul(t2, t2));
    s3 = wasm_f32x4_add(s3, wasm_f32x4_mul(t3, t3));
  }
  for (; j + 4 <= d; j += 4) {
    v128_t t = wasm_f32x4_sub(wasm_v128_load(a + j), wasm_v128_load(b + j));
    s0 = wasm_f32x4_add(s0, wasm_f32x4_mul(t, t));
  }
  v128_t s = wasm_f32x4_add(wasm_f32x4_add(s0, s1), wasm_f32x4_add(s2, s3));
  f32 sq = wasm_f32x4_extract_lane(s, 0) + wasm_f32x4_extract_lane(s, 1) + wasm_f32x4_extract_lane(s, 2) +
           wasm_f32x4_extract_lane(s, 3);
  for (; j < d; j++) {
    f32 t = a[j] - b[j];
    sq += t * t;
  }
  return sq;
}

/* Squared distance in float64: the slow path for a row whose float32 sum overflowed. */
static double squared_distance_f64(const f32 *a, const f32 *b, int d) {
  double sq = 0;
  for (int j = 0; j < d; j++) {
    double t = (double)a[j] - (double)b[j];
    sq += t * t;
  }
  return sq;
}

/* ga = k (a - b), gb = -ga for one row. */
INLINE void store_gradient(const f32 *a, const f32 *b, f32 *ga, f32 *gb, f32 k, int d) {
  v128_t kv = wasm_f32x4_splat(k);
  int j = 0;
  for (; j + 8 <= d; j += 8) {
    v128_t g0 = wasm_f32x4_mul(kv, wasm_f32x4_sub(wasm_v128_load(a + j), wasm_v128_load(b + j)));
    v128_t g1 = wasm_f32x4_mul(kv, wasm_f32x4_sub(wasm_v128_load(a + j + 4), wasm_v128_load(b + j + 4)));
    wasm_v128_store(ga + j, g0);
    wasm_v128_store(ga + j + 4, g1);
    wasm_v128_store(gb + j, wasm_f32x4_neg(g0));
    wasm_v128_store(gb + j + 4, wasm_f32x4_neg(g1));
  }
  for (; j < d; j++) {
    f32 g = k * (a[j] - b[j]);
    ga[j] = g;
    gb[j] = -g;
  }
}

/* The same in float64 (the overflow path): (a - b) may not fit in float32 where k (a - b) does. */
static void store_gradient_f64(const f32 *a, const f32 *b, f32 *ga, f32 *gb, double k, int d) {
  for (int j = 0; j < d; j++) {
    f32 g = (f32)(k * ((double)a[j] - (double)b[j]));
    ga[j] = g;
    gb[j] = -g;
  }
}

/* ga = g, gb = -g for every column of one row. */
INLINE void fill_gradient(f32 *ga, f32 *gb, f32 g, int d) {
  v128_t p = wasm_f32x4_splat(g), q = wasm_f32x4_splat(-g);
  int j = 0;
  for (; j + 4 <= d; j += 4) {
    wasm_v128_store(ga + j, p);
    wasm_v128_store(gb + j, q);
  }
  for (; j < d; j++) {
    ga[j] = g;
    gb[j] = -g;
  }
}

/*
 * Loss of every pair and, when ga and gb are not 0, the gradients of sum_i w * L_i.
 * a, b, ga, gb: [n, d]; flags: [n] (bit 0 in: similar; bit 1 out: collapsed);
 * per_pair: [n] per-pair losses or 0; out[0] = sum of the per-pair losses, out[1] = number
 * of collapsed rows. Returns the first row whose distance is not finite (a NaN or infinite
 * input), with nothing after it written, or -1.
 */
EXPORT("contrastive_loss_fused")
int contrastive_loss_fused(const f32 *a, const f32 *b, u8 *flags, int n, int d, double margin, double scale,
                           double w, f32 *per_pair, f32 *ga, f32 *gb, double *out) {
  double total = 0;
  int collapsed = 0;
  const double inv_sqrt_d = 1.0 / __builtin_sqrt((double)d);
  const int grad = ga != 0 && gb != 0;
  for (int i = 0; i < n; i++) {
    const f32 *ar = a + (long)i * d, *br = b + (long)i * d;
    double sq = squared_distance(ar, br, d);
    int wide = 0; /* float32 overflowed: this row is done in float64 */
    if (!(sq < __builtin_inf())) {
      sq = squared_distance_f64(ar, br, d);
      if (!(sq < __builtin_inf())) {
        out[0] = total;
        out[1] = collapsed;
        return i;
      }
      wide = 1;
    }
    double loss = 0, k = 0;
    int flag = flags[i] & FLAG_SIMILAR;
    if (flag) {
      loss = scale * sq;
      k = 2 * scale * w;
    } else {
      double dist = __builtin_sqrt(sq);
      double h = margin - dist;
      if (h > 0) {
        loss = scale * h * h;
        if (dist > 0) {
          k = -2 * scale * h * w / dist;
        } else {
          /* dL/dD = -2 scale h w < 0: pushed apart along u. */
          flag |= FLAG_COLLAPSED;
          collapsed++;
          k = -2 * scale * h * w * inv_sqrt_d; /* the gradient value itself, see below */
        }
      }
    }
    flags[i] = (u8)flag;
    total += loss;
    if (per_pair) per_pair[i] = (f32)loss;
    if (!grad) continue;
    f32 *gar = ga + (long)i * d, *gbr = gb + (long)i * d;
    if (flag & FLAG_COLLAPSED) fill_gradient(gar, gbr, (f32)k, d);
    else if (k == 0) fill_gradient(gar, gbr, 0.f, d);
    else if (wide) store_gradient_f64(ar, br, gar, gbr, k, d);
    else store_gradient(ar, br, gar, gbr, (f32)k, d);
  }
  out[0] = total;
  out[1] = collapsed;
  return -1;
}

/*
 * Chain rule for an upstream gradient other than 1: rows of ga and gb times dy[i]
 * (dy_stride 1) or dy[0] (dy_stride 0). A collapsed row keeps its push only while the
 * upstream gradient is positive (the subgradient of a minimum at D = 0), else it becomes 0.
 */
EXPORT("contrastive_scale_rows")
void contrastive_scale_rows(f32 *ga, f32 *gb, const u8 *flags, const f32 *dy, int dy_stride, int n, int d) {
  for (int i = 0; i < n; i++) {
    f32 f = dy[(long)i * dy_stride];
    if ((flags[i] & FLAG_COLLAPSED) && !(f > 0)) f = 0;
    if (f == 1.f) continue;
    v128_t fv = wasm_f32x4_splat(f);
    f32 *p = ga + (long)i * d, *q = gb + (long)i * d;
    int j = 0;
    for (; j + 4 <= d; j += 4) {
      wasm_v128_store(p + j, wasm_f32x4_mul(fv, wasm_v128_load(p + j)));
      wasm_v128_store(q + j, wasm_f32x4_mul(fv, wasm_v128_load(q + j)));
    }
    for (; j < d; j++) {
      p[j] *= f;
      q[j] *= f;
    }
  }
}
