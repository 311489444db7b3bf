/*
 * Convolution kernels (NHWC, float32) for one instruction set, included once per ISA by
 * conv.c with SUFFIX, VL (floats per vector), MAXNB (vectors of output channels per tile) and
 * TP2 / TP1 (tile heights for 2 and 1 vectors) defined; it undefines them at its end. Every kernel computes each output element with the same summation order whatever
 * the thread count, so results do not depend on how the work is split.
 *
 * The three kernels share one register-tiled inner loop: a tile of P pixels (or filter rows)
 * by NB vectors of channels is kept in registers while the reduction runs; the operand that
 * varies along the vectors is packed so that each step of the reduction loads NB vectors.
 */
#define CAT2(a, b) a##_##b
#define CAT(a, b) CAT2(a, b)
#define FN(name) CAT(name, SUFFIX)

typedef float FN(vf) __attribute__((vector_size(VL * 4)));
typedef int FN(vi) __attribute__((vector_size(VL * 4)));
typedef float FN(vfu) __attribute__((vector_size(VL * 4), aligned(4), may_alias));
#define V FN(vf)
#define VU FN(vfu)

/* x in every lane (GCC widens a scalar operand of a vector operation). */
static inline V FN(splat)(float x) {
  V zero = {0};
  return x - zero;
}

/*
 * acc[p][j] = init + sum over taps t and l < L of rows[t * P + p][l] * w[(t * L + l) * NB * VL + j * VL ..],
 * then relu, stored to out + p * ostride (kvalid channels). rows point at L floats (a zero row
 * where the tap falls outside the input).
 */
#define TILE_NAME3(a, b, c) a##_##b##_##c
#define TILE_NAME(kind, P, NB) FN(TILE_NAME3(kind, P, NB))
#define DEFINE_TILE(P, NB) DEFINE_TILE_(P, NB)
#define DEFINE_TILE_(P, NB)                                                                                         \
  static void TILE_NAME(tile, P, NB)(const float *const *rows, int T, int L, const float *w, long ws, float *out, long ostride, \
                                  int pvalid, int kvalid, const float *bias, int relu) {                           \
    V acc[P][NB];                                                                                                  \
    _Pragma("GCC unroll 16") for (int p = 0; p < P; p++) {                                                         \
      _Pragma("GCC unroll 4") for (int j = 0; j < NB; j++) acc[p][j] = FN(splat)(0.f); \
      if (bias) _Pragma("GCC unroll 4") for (int j = 0; j < NB; j++) acc[p][j] = *(const VU *)(bias + j * VL);       \
    }                                                                                                              \
    for (int t = 0; t < T; t++) {                                                                                  \
      const float *r[P];                                                                                           \
      _Pragma("GCC unroll 16") for (int p = 0; p < P; p++) r[p] = rows[t * P + p];                                 \
      const float *wt = w + (long)t * L * ws;                                                                      \
      for (int l = 0; l < L; l++) {                                                                                \
        V wv[NB];                                                                                                  \
        _Pragma("GCC unroll 4") for (int j = 0; j < NB; j++) wv[j] = *(const VU *)(wt + (long)l * ws + j * VL);    \
        _Pragma("GCC unroll 16") for (int p = 0; p < P; p++) {                                                     \
          float b = r[p][l];                                                                                       \
          _Pragma("GCC unroll 4") for (int j = 0; j < NB; j++) acc[p][j] += b * wv[j];                             \
        }                                                                                                          \
      }                                                                                                            \
    }                                                                                                              \
    for (int p = 0; p < pvalid; p++) {                                                                             \
      float tmp[NB * VL];                                                                                          \
      for (int j = 0; j < NB; j++) {                                                                               \
        V a = acc[p][j];                                                                                           \
        if (relu) a = (V)((FN(vi))a & ((a > FN(splat)(0.f)) | (a != a))); /* max(0, x): NaN stays, -0 gives 0 */  \
        *(VU *)(tmp + j * VL) = a;                                                                                 \
      }                                                                                                            \
      if (kvalid == NB * VL) memcpy(out + p * ostride, tmp, sizeof tmp);                                           \
      else memcpy(out + p * ostride, tmp, sizeof(float) * kvalid);                                                 \
    }                                                                                                              \
  }

/*
 * The filter gradient's tile: R filter rows by NB vectors of output channels, summed over the
 * pixels [m0, m1): acc[r][j] += x at (pixel, row r) * dy[pixel][j..]. Loaded from and stored
 * back to dw, so a long pixel range can be cut into cache-sized chunks without changing the
 * summation order. xoff[r] is the row's offset from the pixel's base in x; a pixel whose tap
 * falls outside the input (padding) is skipped for that row through valid().
 */
#define DEFINE_FTILE(R, NB) DEFINE_FTILE_(R, NB)
#define DEFINE_FTILE_(R, NB)                                                                                         \
  static void TILE_NAME(ftile, R, NB)(const float *x, const long *base, const float *dy, long dystride, int count,       \
                                   const long *xoff, const int *rtap, const unsigned char *inside, int T, float *dw,  \
                                   long dwstride,                                                                    \
                                   int rvalid, int kvalid) {                                                         \
    V acc[R][NB];                                                                                                    \
    float tmp[NB * VL];                                                                                              \
    for (int r = 0; r < R; r++) {                                                                                    \
      memset(tmp, 0, sizeof tmp);                                                                                    \
      if (r < rvalid) memcpy(tmp, dw + r * dwstride, sizeof(float) * kvalid);                                        \
      for (int j = 0; j < NB; j++) acc[r][j] = *(const VU *)(tmp + j * VL);                                          \
    }                                                                                                                \
    for (int i = 0; i < count; i++) {                                                                                \
      const float *xp = x + base[i];                                                                                 \
      const float *g = dy + (long)i * dystride;                                                                      \
      const unsigned char *in = inside ? inside + (long)i * T : 0;                                                   \
      V gv[NB];                                                                                                      \
      _Pragma("GCC unroll 4") for (int j = 0; j < NB; j++) gv[j] = *(const VU *)(g + j * VL);                        \
      _Pragma("GCC unroll 16") for (int r = 0; r < R; r++) {                                                         \
        float xv = (in && !in[rtap[r]]) ? 0.f : xp[xoff[r]];                                                         \
        _Pragma("GCC unroll 4") for (int j = 0; j < NB; j++) acc[r][j] += xv * gv[j];                                \
      }                                                                                                              \
    }                                                                                                                \
    for (int r = 0; r < rvalid; r++) {                                                                               \
      for (int j = 0; j < NB; j++) *(VU *)(tmp + j * VL) = acc[r][j];                                                \
      memcpy(dw + r * dwstride, tmp, sizeof(float) * kvalid);                                                        \
    }                                                                                                                \
  }

#if MAXNB >= 4
DEFINE_TILE(6, 4)
DEFINE_TILE(8, 3)
DEFINE_FTILE(6, 4)
DEFINE_FTILE(8, 3)
#endif
DEFINE_TILE(TP2, 2)
DEFINE_TILE(TP1, 1)
DEFINE_FTILE(TP2, 2)
DEFINE_FTILE(TP1, 1)

typedef void (*FN(tile_fn))(const float *const *, int, int, const float *, long, float *, long, int, int, const float *, int);
typedef void (*FN(ftile_fn))(const float *, const long *, const float *, long, int, const long *, const int *,
                             const unsigned char *, int, float *, long, int, int);

/* Tile height for NB vectors, and the kernels. */
static int FN(tile_p)(int nb) {
  switch (nb) {
#if MAXNB >= 4
    case 4: return 6;
    case 3: return 8;
#endif
    case 2: return TP2;
    default: return TP1;
  }
}
static FN(tile_fn) FN(tile_for)(int nb) {
  switch (nb) {
#if MAXNB >= 4
    case 4: return TILE_NAME(tile, 6, 4);
    case 3: return TILE_NAME(tile, 8, 3);
#endif
    case 2: return TILE_NAME(tile, TP2, 2);
    default: return TILE_NAME(tile, TP1, 1);
  }
}
static FN(ftile_fn) FN(ftile_for)(int nb) {
  switch (nb) {
#if MAXNB >= 4
    case 4: return TILE_NAME(ftile, 6, 4);
    case 3: return TILE_NAME(ftile, 8, 3);
#endif
    case 2: return TILE_NAME(ftile, TP2, 2);
    default: return TILE_NAME(ftile, TP1, 1);
  }
}

/*
 * Output-channel blocks: ceil(K / VL) vectors cut into blocks of at most MAXNB vectors. Block b
 * covers channels [k0, k0 + nb * VL); the packed operand for it starts at packoff.
 */
typedef struct {
  int k0, nb, kvalid;
  long packoff;
} FN(block);

static int FN(blocks)(int K, FN(block) * out, long per_lane) {
  int nvec = (K + VL - 1) / VL, n = 0;
  long off = 0;
  for (int v = 0; v < nvec; v += MAXNB) {
    int nb = nvec - v < MAXNB ? nvec - v : MAXNB;
    int k0 = v * VL;
    out[n].k0 = k0;
    out[n].nb = nb;
    out[n].kvalid = K - k0 < nb * VL ? K - k0 : nb * VL;
    out[n].packoff = off;
    off += per_lane * nb * VL;
    n++;
  }
  return n;
}

/* ---------- Conv2D forward and Conv2DBackpropInput: tiles of output pixels ---------- */

/*
 * One pixel-tiled convolution: out[m][0..KO) for the M output pixels m = (n, a, b) of an
 * OA x OB grid, from src (SA x SB pixels of L floats) through T = FH * FW taps. `transposed`
 * selects the tap geometry: 0 = forward (source = a * sh - pt + fh * dh), 1 = the input
 * gradient (source = (a + pt - fh * dh) / sh where that divides exactly).
 */
typedef struct {
  const conv_dims *d;
  int transposed, T, L, KO, OA, OB, SA, SB, nblocks;
  long M;
  const float *src, *packed, *direct, *bias, *zero;
  /* The filter as given (the dot-product path reads it unpacked). */
  const float *wsrc;
  /* Source row / column of output row a (column b) through tap fh (fw), or -1 outside. */
  const int *srcA, *srcB;
  float *out;
  int relu;
  volatile int failed;
  FN(block) *blocks;
} FN(pixel_job);

static int FN(source)(const FN(pixel_job) * j, int a, int f, int stride, int pad, int dil, int size) {
  if (!j->transposed) {
    int s = a * stride - pad + f * dil;
    return s >= 0 && s < size ? s : -1;
  }
  int num = a + pad - f * dil;
  if (num < 0 || num % stride) return -1;
  int s = num / stride;
  return s < size ? s : -1;
}

static void FN(pixel_part)(void *ctx, int part, int parts) {
  FN(pixel_job) *j = ctx;
  const conv_dims *d = j->d;
  long m0 = j->M * part / parts, m1 = j->M * (part + 1) / parts;
  const float **rows = malloc(sizeof(float *) * (size_t)j->T * 16);
  if (!rows) {
    j->failed = 1;
    return;
  }
  int sh = d->sh, sw = d->sw;
  float *patch = j->L < 8 && j->T > 1 ? malloc(sizeof(float) * 16 * (size_t)j->T * j->L) : 0;
  /* Forward with every window inside the input: tap t reads at toff[t] from the pixel's corner. */
  long *toff = 0;
  if (!j->transposed && d->pt == 0 && d->pl == 0 && (long)(j->OA - 1) * sh + (long)(d->FH - 1) * d->dh < j->SA &&
      (long)(j->OB - 1) * sw + (long)(d->FW - 1) * d->dw < j->SB) {
    toff = malloc(sizeof(long) * j->T);
    if (toff)
      for (int fh = 0; fh < d->FH; fh++)
        for (int fw = 0; fw < d->FW; fw++) toff[fh * d->FW + fw] = ((long)fh * d->dh * j->SB + (long)fw * d->dw) * j->L;
  }
  const float *prow[16];
  for (int bi = 0; bi < j->nblocks; bi++) {
    const FN(block) *b = &j->blocks[bi];
    int P = FN(tile_p)(b->nb);
    FN(tile_fn) tile = FN(tile_for)(b->nb);
    /* Packed: [t][l][nb * VL] per block; direct: the filter itself, rows of KO floats. */
    const float *w = j->direct ? j->direct + b->k0 : j->packed + b->packoff;
    long ws = j->direct ? j->KO : (long)b->nb * VL;
    const float *bias = j->bias ? j->bias + b->k0 : 0;
    for (long m = m0; m < m1; m += P) {
      int pvalid = m1 - m < P ? (int)(m1 - m) : P;
      /* The tile's first pixel by division, the rest by stepping (divisions cost more than the taps). */
      int bb = (int)(m % j->OB);
      long rest = m / j->OB;
      int a = (int)(rest % j->OA);
      long n = rest / j->OA;
      for (int p = 0; p < P; p++) {
        if (p > 0 && p < pvalid && ++bb == j->OB) {
          bb = 0;
          if (++a == j->OA) {
            a = 0;
            n++;
          }
        }
        if (toff) { /* forward without padding: every tap inside, at a fixed offset */
          const float *base = j->src + ((n * j->SA + (long)a * sh) * j->SB + (long)bb * sw) * j->L;
          for (int t = 0; t < j->T; t++) rows[t * P + p] = base + toff[t];
          continue;
        }
        for (int fh = 0; fh < d->FH; fh++) {
          int sa = j->srcA[a * d->FH + fh];
          for (int fw = 0; fw < d->FW; fw++) {
            int sb = sa < 0 ? -1 : j->srcB[bb * d->FW + fw];
            int t = fh * d->FW + fw;
            rows[t * P + p] = sb < 0 ? j->zero : j->src + ((n * j->SA + sa) * j->SB + sb) * (long)j->L;
          }
        }
      }
      if (patch) {
        /* Few input channels (a first layer): gather each pixel's taps into one row, so the
         * reduction runs T * L long from one pointer instead of L long from T pointers. */
        for (int p = 0; p < P; p++) {
          float *dst = patch + (long)p * j->T * j->L;
          for (int t = 0; t < j->T; t++) {
            const float *src = rows[t * P + p];
            for (int l = 0; l < j->L; l++) *dst++ = src[l];
          }
          prow[p] = patch + (long)p * j->T * j->L;
        }
        tile(prow, 1, j->T * j->L, w, ws, j->out + m * j->KO + b->k0, j->KO, pvalid, b->kvalid, bias, j->relu);
        continue;
      }
      tile((const float *const *)rows, j->T, j->L, w, ws, j->out + m * j->KO + b->k0, j->KO, pvalid, b->kvalid, bias, j->relu);
    }
  }
  free(rows);
  free(patch);
  free(toff);
}

/* Packs w [FH][FW][C][K] per output block: forward [t][c][k in block], input gradient [t][k][c in block]. */
static void FN(pack_weights)(const float *w, const conv_dims *d, int transposed, const FN(block) * blocks, int nblocks, float *packed) {
  int T = d->FH * d->FW, L = transposed ? d->K : d->C;
  for (int bi = 0; bi < nblocks; bi++) {
    const FN(block) *b = &blocks[bi];
    int width = b->nb * VL;
    float *o = packed + b->packoff;
    for (int t = 0; t < T; t++)
      for (int l = 0; l < L; l++)
        for (int i = 0; i < width; i++) {
          int q = b->k0 + i;
          float v = 0.f;
          if (!transposed) { if (q < d->K) v = w[((long)t * d->C + l) * d->K + q]; }
          else if (q < d->C) v = w[((long)t * d->C + q) * d->K + l];
          *o++ = v;
        }
  }
}

/*
 * The input gradient when it has few channels (a first layer's: 1-3), where a tile would
 * waste most of its lanes: each output value as dot products along the output channels of
 * dy (vectors over k), one per tap, summed lane by lane in a fixed order.
 */
static void FN(dot_part)(void *ctx, int part, int parts) {
  FN(pixel_job) *j = ctx;
  const conv_dims *d = j->d;
  long m0 = j->M * part / parts, m1 = j->M * (part + 1) / parts;
  if (m0 >= m1) return;
  const int L = j->L, KO = j->KO, L0 = L - L % VL;
  int bb = (int)(m0 % j->OB);
  long rest = m0 / j->OB;
  int a = (int)(rest % j->OA);
  long n = rest / j->OA;
  for (long m = m0; m < m1; m++) {
    for (int c = 0; c < KO; c++) {
      V acc = FN(splat)(0.f);
      float tail = 0.f;
      for (int fh = 0; fh < d->FH; fh++) {
        int sa = j->srcA[a * d->FH + fh];
        if (sa < 0) continue;
        for (int fw = 0; fw < d->FW; fw++) {
          int sb = j->srcB[bb * d->FW + fw];
          if (sb < 0) continue;
          const float *row = j->src + ((n * j->SA + sa) * j->SB + sb) * (long)L;
          const float *wr = j->wsrc + ((long)(fh * d->FW + fw) * KO + c) * L;
          for (int k = 0; k < L0; k += VL) acc += *(const VU *)(row + k) * *(const VU *)(wr + k);
          for (int k = L0; k < L; k++) tail += row[k] * wr[k];
        }
      }
      float sum = 0.f;
      for (int i = 0; i < VL; i++) sum += acc[i];
      j->out[m * KO + c] = sum + tail;
    }
    if (++bb == j->OB) {
      bb = 0;
      if (++a == j->OA) {
        a = 0;
        n++;
      }
    }
  }
}

static int FN(pixel_conv)(const float *src, const float *w, const float *bias, float *out, const conv_dims *d, int transposed, int relu,
                          int threads) {
  FN(pixel_job) j;
  memset(&j, 0, sizeof j);
  j.d = d;
  j.transposed = transposed;
  j.T = d->FH * d->FW;
  j.L = transposed ? d->K : d->C;
  j.KO = transposed ? d->C : d->K;
  j.OA = transposed ? d->H : d->OH;
  j.OB = transposed ? d->W : d->OW;
  j.SA = transposed ? d->OH : d->H;
  j.SB = transposed ? d->OW : d->W;
  j.M = (long)d->N * j.OA * j.OB;
  j.relu = relu;
  j.blocks = malloc(sizeof(FN(block)) * (size_t)((j.KO + VL - 1) / VL / MAXNB + 1));
  if (!j.blocks) return -2;
  j.nblocks = FN(blocks)(j.KO, j.blocks, (long)j.T * j.L);
  /* The forward filter [T][C][K] is already the packed layout, with rows of K floats, when K
   * fills whole vectors: use it in place (a dense layer's weights are large to copy). */
  int direct = !transposed && j.KO % VL == 0;
  long packed_floats = direct ? 1 : j.blocks[j.nblocks - 1].packoff + (long)j.T * j.L * j.blocks[j.nblocks - 1].nb * VL;
  float *packed = malloc(sizeof(float) * packed_floats);
  float *zero = calloc((size_t)j.L + VL, sizeof(float));
  float *pbias = 0;
  if (bias && j.KO % VL == 0) {
    pbias = 0;
  } else if (bias) {
    long kp = (long)((j.KO + VL - 1) / VL) * VL;
    pbias = calloc((size_t)kp, sizeof(float));
    if (pbias) memcpy(pbias, bias, sizeof(float) * j.KO);
  }
  if (!packed || !zero || (bias && !pbias && j.KO % VL)) {
    free(packed); free(zero); free(pbias); free(j.blocks);
    return -2;
  }
  /* The tap geometry as tables: no division per pixel and tap (the input gradient's divides by the stride). */
  int *srcA = malloc(sizeof(int) * ((size_t)j.OA * d->FH + (size_t)j.OB * d->FW));
  if (!srcA) {
    free(packed); free(zero); free(pbias); free(j.blocks);
    return -2;
  }
  int *srcB = srcA + (size_t)j.OA * d->FH;
  for (int a = 0; a < j.OA; a++)
    for (int f = 0; f < d->FH; f++) srcA[a * d->FH + f] = FN(source)(&j, a, f, d->sh, d->pt, d->dh, j.SA);
  for (int b = 0; b < j.OB; b++)
    for (int f = 0; f < d->FW; f++) srcB[b * d->FW + f] = FN(source)(&j, b, f, d->sw, d->pl, d->dw, j.SB);
  j.srcA = srcA;
  j.srcB = srcB;
  if (direct) j.direct = w;
  else FN(pack_weights)(w, d, transposed, j.blocks, j.nblocks, packed);
  j.src = src;
  j.packed = packed;
  j.bias = pbias ? pbias : bias;
  j.zero = zero;
  j.out = out;
  j.wsrc = w;
  long macs = j.M * j.T * j.L * (long)j.KO;
  int parts = threads;
  if (macs < (1L << 21)) parts = 1;
  if (parts > j.M / 16) parts = j.M / 16 > 0 ? (int)(j.M / 16) : 1;
  /* An input gradient of a few channels from many: dot products (see dot_part). */
  int dot = transposed && j.KO * 4 <= VL && j.L >= VL;
  run_parallel(dot ? FN(dot_part) : FN(pixel_part), &j, parts);
  free(packed); free(zero); free(pbias); free(j.blocks); free(srcA);
  return j.failed ? -2 : 0;
}

/* ---------- Conv2DBackpropFilter: tiles of filter rows, summed over every pixel ---------- */

#define FCHUNK 256

typedef struct {
  const conv_dims *d;
  const float *x, *dy;
  float *dw;
  int T, R, Kp, nunits, padded;
  /* Slices of the pixel range summed apart (each into partial + s * R * K), then added in
   * order: a shape-only choice, so the sums do not depend on the thread count. */
  int slices;
  float *partial;
  long M;
  FN(block) *blocks;
  int nblocks;
  /* units: (block, first row) pairs, in order */
  int *unit_block, *unit_row;
  volatile int failed;
} FN(filter_job);

static void FN(filter_part)(void *ctx, int part, int parts) {
  FN(filter_job) *j = ctx;
  const conv_dims *d = j->d;
  /* Work items: (slice, unit) pairs in slice order; this part takes a contiguous range. */
  long items = (long)j->slices * j->nunits;
  long w0 = items * part / parts, w1 = items * (part + 1) / parts;
  if (w0 >= w1) return;
  long *base = malloc(sizeof(long) * FCHUNK);
  unsigned char *inside = j->padded ? malloc((size_t)FCHUNK * j->T) : 0;
  float *gpad = j->Kp != d->K ? malloc(sizeof(float) * FCHUNK * j->Kp) : 0;
  long *xoff = malloc(sizeof(long) * 16);
  int *rtap = malloc(sizeof(int) * 16);
  if (!base || (j->padded && !inside) || (j->Kp != d->K && !gpad) || !xoff || !rtap) {
    j->failed = 1;
    goto done;
  }
  for (long w = w0; w < w1;) {
  int slice = (int)(w / j->nunits);
  int u0 = (int)(w % j->nunits);
  long wend = (long)(slice + 1) * j->nunits < w1 ? (long)(slice + 1) * j->nunits : w1;
  int u1 = (int)(wend - (long)slice * j->nunits);
  w = wend;
  long mbeg = j->M * slice / j->slices, mend = j->M * (slice + 1) / j->slices;
  float *dwt = j->slices > 1 ? j->partial + (long)slice * j->R * d->K : j->dw;
  for (long m0 = mbeg; m0 < mend; m0 += FCHUNK) {
    int count = mend - m0 < FCHUNK ? (int)(mend - m0) : FCHUNK;
    for (int i = 0; i < count; i++) {
      long m = m0 + i;
      int ow = (int)(m % d->OW);
      long rest = m / d->OW;
      int oh = (int)(rest % d->OH);
      long n = rest / d->OH;
      int ih0 = oh * d->sh - d->pt, iw0 = ow * d->sw - d->pl;
      base[i] = ((n * d->H + ih0) * d->W + iw0) * (long)d->C;
      if (inside)
        for (int fh = 0; fh < d->FH; fh++)
          for (int fw = 0; fw < d->FW; fw++) {
            int ih = ih0 + fh * d->dh, iw = iw0 + fw * d->dw;
            inside[i * j->T + fh * d->FW + fw] = ih >= 0 && ih < d->H && iw >= 0 && iw < d->W;
          }
    }
    const float *g = j->dy + m0 * d->K;
    long gstride = d->K;
    if (gpad) {
      for (int i = 0; i < count; i++) {
        memcpy(gpad + (long)i * j->Kp, j->dy + (m0 + i) * d->K, sizeof(float) * d->K);
        memset(gpad + (long)i * j->Kp + d->K, 0, sizeof(float) * (j->Kp - d->K));
      }
      g = gpad;
      gstride = j->Kp;
    }
    for (int u = u0; u < u1; u++) {
      const FN(block) *b = &j->blocks[j->unit_block[u]];
      int R = FN(tile_p)(b->nb), r0 = j->unit_row[u];
      int rvalid = j->R - r0 < R ? j->R - r0 : R;
      for (int r = 0; r < R; r++) {
        int rr = r0 + (r < rvalid ? r : 0);
        int t = rr / d->C, c = rr % d->C, fh = t / d->FW, fw = t % d->FW;
        xoff[r] = ((long)fh * d->dh * d->W + (long)fw * d->dw) * d->C + c;
        rtap[r] = t;
      }
      FN(ftile_for)(b->nb)(j->x, base, g + b->k0, gstride, count, xoff, rtap, inside, j->T, dwt + (long)r0 * d->K + b->k0, d->K,
                           rvalid, b->kvalid);
    }
  }
  }
done:
  free(base); free(inside); free(gpad); free(xoff); free(rtap);
}

static int FN(filter_conv)(const float *x, const float *dy, float *dw, const conv_dims *d, int threads) {
  FN(filter_job) j;
  memset(&j, 0, sizeof j);
  j.d = d;
  j.x = x;
  j.dy = dy;
  j.dw = dw;
  j.T = d->FH * d->FW;
  j.R = j.T * d->C;
  j.M = (long)d->N * d->OH * d->OW;
  j.Kp = (d->K + VL - 1) / VL * VL;
  j.padded = d->pt > 0 || d->pl > 0 || (d->OH - 1) * d->sh - d->pt + (d->FH - 1) * d->dh >= d->H ||
             (d->OW - 1) * d->sw - d->pl + (d->FW - 1) * d->dw >= d->W;
  j.blocks = malloc(sizeof(FN(block)) * (size_t)((d->K + VL - 1) / VL / MAXNB + 1));
  if (!j.blocks) return -2;
  j.nblocks = FN(blocks)(d->K, j.blocks, 0);
  int nunits = 0;
  for (int bi = 0; bi < j.nblocks; bi++) nunits += (j.R + FN(tile_p)(j.blocks[bi].nb) - 1) / FN(tile_p)(j.blocks[bi].nb);
  j.unit_block = malloc(sizeof(int) * nunits);
  j.unit_row = malloc(sizeof(int) * nunits);
  if (!j.unit_block || !j.unit_row) {
    free(j.unit_block); free(j.unit_row); free(j.blocks);
    return -2;
  }
  int u = 0;
  for (int bi = 0; bi < j.nblocks; bi++) {
    int R = FN(tile_p)(j.blocks[bi].nb);
    for (int r0 = 0; r0 < j.R; r0 += R) {
      j.unit_block[u] = bi;
      j.unit_row[u] = r0;
      u++;
    }
  }
  j.nunits = nunits;
  long size = (long)j.R * d->K;
  /* Too few filter tiles to share (a first layer: 9 rows): cut the pixels into 4 slices. */
  j.slices = nunits < 4 && j.M >= 4096 && j.M * size >= (1L << 21) ? 4 : 1;
  j.partial = j.slices > 1 ? calloc((size_t)j.slices * size, sizeof(float)) : 0;
  if (j.slices > 1 && !j.partial) {
    free(j.unit_block); free(j.unit_row); free(j.blocks);
    return -2;
  }
  memset(dw, 0, sizeof(float) * (size_t)size);
  long items = (long)j.slices * nunits;
  int parts = threads < items ? threads : (int)items;
  if (j.M * size < (1L << 21)) parts = 1;
  run_parallel(FN(filter_part), &j, parts);
  if (j.slices > 1) {
    for (int sl = 0; sl < j.slices; sl++)
      for (long i = 0; i < size; i++) dw[i] += j.partial[sl * size + i];
    free(j.partial);
  }
  free(j.unit_block); free(j.unit_row); free(j.blocks);
  return j.failed ? -2 : 0;
}

#undef V
#undef VU
/* The includer's parameters, undefined for the next instruction set. */
#undef SUFFIX
#undef VL
#undef MAXNB
#undef TP2
#undef TP1
