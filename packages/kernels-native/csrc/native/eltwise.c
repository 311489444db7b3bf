/*
 * The memory-bound kernels of a conv layer's training step, native and on several threads:
 * bias add, relu, the relu gradient (with the bias gradient's column sums), and 2x2-style
 * max pooling (windows that tile the input) forward and backward. Plain loops that the
 * compiler vectorises; the values are those of the wasm kernels (csrc/kernels.c) and the cpu
 * backend. Work is split so that no result depends on the number of threads.
 */
#include "eltwise.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "conv.h"

/* Four lanes (SSE2 / NEON, the baseline everywhere): these kernels are bound by memory, and
 * explicit vectors keep the selects below branch-free, which plain loops would not be. */
typedef float vf4 __attribute__((vector_size(16)));
typedef int vi4 __attribute__((vector_size(16)));
typedef float vf4u __attribute__((vector_size(16), aligned(4), may_alias));
#define LD(p) (*(const vf4u *)(p))
#define ST(p, v) (*(vf4u *)(p) = (v))
/* m ? a : b lane by lane, m a comparison's all-ones or zero lanes. */
static inline vf4 sel(vi4 m, vf4 a, vf4 b) { return (vf4)((m & (vi4)a) | (~m & (vi4)b)); }
/* step(x): 1 for x > 0, x itself (NaN) for NaN, else 0. */
static inline vf4 step4(vf4 x) {
  const vf4 zero = {0, 0, 0, 0}, one = {1, 1, 1, 1};
  return sel(x != x, x, sel(x > zero, one, zero));
}

/* Below this many floats one thread: starting a second one (tens of microseconds) costs more
 * than it saves on a pass that takes well under a millisecond. */
#define PARALLEL_MIN (1L << 20)

static int parts_for(long n, int threads) { return n < PARALLEL_MIN ? 1 : threads; }

/* ---- bias add: out[r][c] = x[r][c] + b[c] ---- */
typedef struct { const float *x, *b; float *out; long rows; int cols; } bias_job;

static void bias_part(void *ctx, int part, int parts) {
  const bias_job *j = ctx;
  long r0 = j->rows * part / parts, r1 = j->rows * (part + 1) / parts;
  for (long r = r0; r < r1; r++) {
    const float *restrict x = j->x + r * j->cols, *restrict b = j->b;
    float *restrict o = j->out + r * j->cols;
    for (int c = 0; c < j->cols; c++) o[c] = x[c] + b[c];
  }
}

void cn_bias_add(const float *x, const float *b, float *out, long rows, int cols, int threads) {
  bias_job j = {x, b, out, rows, cols};
  run_parallel(bias_part, &j, parts_for(rows * cols, threads));
}

/* ---- relu: max(0, x) as JavaScript's Math.max, the cpu backend's: NaN stays NaN, -0 gives 0 ---- */
typedef struct { const float *x; float *out; long n; } relu_job;

static void relu_part(void *ctx, int part, int parts) {
  const relu_job *j = ctx;
  long i0 = j->n * part / parts, i1 = j->n * (part + 1) / parts;
  const float *restrict x = j->x;
  float *restrict out = j->out;
  for (long i = i0; i < i1; i++) {
    float v = x[i];
    out[i] = v > 0.f ? v : (v != v ? v : 0.f);
  }
}

void cn_relu(const float *x, float *out, long n, int threads) {
  relu_job j = {x, out, n};
  run_parallel(relu_part, &j, parts_for(n, threads));
}

/* ---- relu gradient: out = dy * step(x), step = 1 for x > 0, NaN for NaN, else 0 ----
 * With sums: the column sums of out over `rows` rows of `cols`, summed per fixed block of
 * SUM_ROWS rows in row order, the blocks then added in order (independent of threads). */
#define SUM_ROWS 1024
typedef struct { const float *dy, *x; float *out, *partial; long rows; int cols, blocks; } rg_job;

static inline float step_of(float v) { return v > 0.f ? 1.f : (v != v ? v : 0.f); }

static void rg_part(void *ctx, int part, int parts) {
  const rg_job *j = ctx;
  long b0 = (long)j->blocks * part / parts, b1 = (long)j->blocks * (part + 1) / parts;
  for (long b = b0; b < b1; b++) {
    long r0 = b * SUM_ROWS, r1 = r0 + SUM_ROWS < j->rows ? r0 + SUM_ROWS : j->rows;
    float *acc = j->partial ? j->partial + b * j->cols : 0;
    if (acc) memset(acc, 0, sizeof(float) * j->cols);
    for (long r = r0; r < r1; r++) {
      const float *restrict dy = j->dy + r * j->cols, *restrict x = j->x + r * j->cols;
      float *restrict o = j->out + r * j->cols;
      int c = 0;
      if (acc) {
        float *restrict a = acc;
        for (; c + 4 <= j->cols; c += 4) {
          vf4 v = LD(dy + c) * step4(LD(x + c));
          ST(o + c, v);
          ST(a + c, LD(a + c) + v);
        }
        for (; c < j->cols; c++) {
          float v = dy[c] * step_of(x[c]);
          o[c] = v;
          a[c] += v;
        }
      } else {
        for (; c + 4 <= j->cols; c += 4) ST(o + c, LD(dy + c) * step4(LD(x + c)));
        for (; c < j->cols; c++) o[c] = dy[c] * step_of(x[c]);
      }
    }
  }
}

/* Column sums of x (rows x cols) in the same blocked order as the relu gradient's sums. */
typedef struct { const float *x; float *partial; long rows; int cols, blocks; } sum_job;

static void sum_part(void *ctx, int part, int parts) {
  const sum_job *j = ctx;
  long b0 = (long)j->blocks * part / parts, b1 = (long)j->blocks * (part + 1) / parts;
  for (long b = b0; b < b1; b++) {
    long r0 = b * SUM_ROWS, r1 = r0 + SUM_ROWS < j->rows ? r0 + SUM_ROWS : j->rows;
    float *restrict acc = j->partial + b * j->cols;
    memset(acc, 0, sizeof(float) * j->cols);
    for (long r = r0; r < r1; r++) {
      const float *restrict x = j->x + r * j->cols;
      for (int c = 0; c < j->cols; c++) acc[c] += x[c];
    }
  }
}

/* sums[c] = the blocks' partial sums added in block order. */
static void add_partials(const float *partial, int blocks, int cols, float *sums) {
  memset(sums, 0, sizeof(float) * cols);
  for (int b = 0; b < blocks; b++)
    for (int c = 0; c < cols; c++) sums[c] += partial[(long)b * cols + c];
}

int cn_sum_rows(const float *x, float *sums, long rows, int cols, int threads) {
  sum_job j = {x, 0, rows, cols, (int)((rows + SUM_ROWS - 1) / SUM_ROWS)};
  j.partial = malloc(sizeof(float) * (size_t)j.blocks * cols + 1);
  if (!j.partial) return -2;
  int parts = parts_for(rows * cols, threads);
  run_parallel(sum_part, &j, parts < j.blocks ? parts : j.blocks);
  add_partials(j.partial, j.blocks, cols, sums);
  free(j.partial);
  return 0;
}

int cn_relu_grad(const float *dy, const float *x, float *out, float *sums, long rows, int cols, int threads) {
  rg_job j = {dy, x, out, 0, rows, cols, (int)((rows + SUM_ROWS - 1) / SUM_ROWS)};
  if (sums) {
    j.partial = malloc(sizeof(float) * (size_t)j.blocks * cols + 1);
    if (!j.partial) return -2;
  }
  int parts = parts_for(rows * cols, threads);
  if (parts > j.blocks) parts = j.blocks > 0 ? j.blocks : 1;
  run_parallel(rg_part, &j, parts);
  if (sums) {
    add_partials(j.partial, j.blocks, cols, sums);
    free(j.partial);
  }
  return 0;
}

/* ---- max pooling over windows that tile the input (pool == stride, no padding) ----
 * The first strictly greatest value of a window wins; NaN never does (the cpu backend's rule). */
typedef struct { const float *x, *dy; float *y; int N, H, W, C, OH, OW, ph, pw; } pool_job;

static void pool_part(void *ctx, int part, int parts) {
  const pool_job *j = ctx;
  int n0 = (int)((long)j->N * part / parts), n1 = (int)((long)j->N * (part + 1) / parts);
  const int C = j->C;
  for (int n = n0; n < n1; n++)
    for (int oh = 0; oh < j->OH; oh++)
      for (int ow = 0; ow < j->OW; ow++) {
        float *y = j->y + (((long)n * j->OH + oh) * j->OW + ow) * C;
        const float *x0 = j->x + (((long)n * j->H + oh * j->ph) * j->W + ow * j->pw) * C;
        for (int c = 0; c < C; c++) y[c] = -INFINITY;
        for (int a = 0; a < j->ph; a++)
          for (int b = 0; b < j->pw; b++) {
            const float *xp = x0 + ((long)a * j->W + b) * C;
            for (int c = 0; c < C; c++) y[c] = xp[c] > y[c] ? xp[c] : y[c];
          }
      }
}

void cn_max_pool(const float *x, float *y, int N, int H, int W, int C, int OH, int OW, int ph, int pw, int threads) {
  pool_job j = {x, 0, y, N, H, W, C, OH, OW, ph, pw};
  int parts = parts_for((long)N * H * W * C, threads);
  run_parallel(pool_part, &j, parts < N ? parts : N);
}

static void pool_grad_part(void *ctx, int part, int parts) {
  const pool_job *j = ctx;
  int n0 = (int)((long)j->N * part / parts), n1 = (int)((long)j->N * (part + 1) / parts);
  const int C = j->C, H = j->H, W = j->W;
  const int hc = j->OH * j->ph, wc = j->OW * j->pw;
  for (int n = n0; n < n1; n++) {
    float *dxn = j->y + (long)n * H * W * C;
    const float *xn = j->x + (long)n * H * W * C;
    /* Pixels outside every window (the last rows / columns of an odd size) get 0. */
    if (wc < W)
      for (int h = 0; h < hc; h++) memset(dxn + ((long)h * W + wc) * C, 0, sizeof(float) * (size_t)(W - wc) * C);
    if (hc < H) memset(dxn + (long)hc * W * C, 0, sizeof(float) * (size_t)(H - hc) * W * C);
    for (int oh = 0; oh < j->OH; oh++)
      for (int ow = 0; ow < j->OW; ow++) {
        const float *g = j->dy + (((long)n * j->OH + oh) * j->OW + ow) * C;
        long at = ((long)oh * j->ph * W + (long)ow * j->pw) * C;
        if (j->ph == 2 && j->pw == 2) {
          const float *restrict x00 = xn + at, *restrict x01 = x00 + C, *restrict x10 = x00 + (long)W * C,
                      *restrict x11 = x10 + C, *restrict gg = g;
          float *restrict d00 = dxn + at, *restrict d01 = d00 + C, *restrict d10 = d00 + (long)W * C, *restrict d11 = d10 + C;
          const vf4 ninf = {-INFINITY, -INFINITY, -INFINITY, -INFINITY}, z = {0, 0, 0, 0};
          int c = 0;
          for (; c + 4 <= C; c += 4) {
            /* The sequential rule: from -inf, a later value wins only if strictly greater. */
            vf4 a = LD(x00 + c), b = LD(x01 + c), e = LD(x10 + c), f = LD(x11 + c), gv = LD(gg + c);
            vi4 agt = a > ninf;
            vf4 m0 = sel(agt, a, ninf);
            vi4 bgt = b > m0;
            vf4 m1 = sel(bgt, b, m0);
            vi4 egt = e > m1;
            vf4 m2 = sel(egt, e, m1);
            vi4 fgt = f > m2;
            ST(d11 + c, sel(fgt, gv, z));
            ST(d10 + c, sel(egt & ~fgt, gv, z));
            ST(d01 + c, sel(bgt & ~egt & ~fgt, gv, z));
            ST(d00 + c, sel(agt & ~bgt & ~egt & ~fgt, gv, z));
          }
          for (; c < C; c++) {
            float a = x00[c], b = x01[c], e = x10[c], f = x11[c], gv = gg[c];
            int agt = a > -INFINITY;
            float m0 = agt ? a : -INFINITY;
            int bgt = b > m0;
            float m1 = bgt ? b : m0;
            int egt = e > m1;
            float m2 = egt ? e : m1;
            int fgt = f > m2;
            d11[c] = fgt ? gv : 0.f;
            d10[c] = egt & !fgt ? gv : 0.f;
            d01[c] = bgt & !egt & !fgt ? gv : 0.f;
            d00[c] = agt & !bgt & !egt & !fgt ? gv : 0.f;
          }
          continue;
        }
        for (int c = 0; c < C; c++) {
          float best = -INFINITY;
          long bi = -1;
          for (int a = 0; a < j->ph; a++)
            for (int b = 0; b < j->pw; b++) {
              long p = at + ((long)a * W + b) * C + c;
              if (xn[p] > best) { best = xn[p]; bi = p; }
            }
          for (int a = 0; a < j->ph; a++)
            for (int b = 0; b < j->pw; b++) {
              long p = at + ((long)a * W + b) * C + c;
              dxn[p] = p == bi ? g[c] : 0.f;
            }
        }
      }
  }
}

void cn_max_pool_grad(const float *x, const float *dy, float *dx, int N, int H, int W, int C, int OH, int OW, int ph, int pw,
                      int threads) {
  pool_job j = {x, dy, dx, N, H, W, C, OH, OW, ph, pw};
  int parts = parts_for((long)N * H * W * C, threads);
  run_parallel(pool_grad_part, &j, parts < N ? parts : N);
}
