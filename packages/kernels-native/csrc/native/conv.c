/*
 * Native convolution kernels for Node: the wasm backend's heap is handed over as memory and
 * these run on it in place (addon.c). Compiled once per instruction set (conv-impl.h) and
 * chosen at run time, so one binary runs on any x86-64 and uses AVX-512 or AVX2 with FMA
 * where the CPU has them: 4-16x the floating-point width of wasm's 128-bit SIMD without FMA.
 */
#include "conv.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/*
 * A pool of worker threads, started on first use and kept: starting a thread per call would
 * cost a sizeable share of a dense layer's kernel call. A worker spins briefly
 * after each job (calls come back to back within a training step), then sleeps on a
 * condition variable. One call at a time (calls are serialised); the caller runs part 0.
 */
#define MAX_PARTS 64
/* Pauses a worker spins for the next job before sleeping (PAUSE takes 10-140 cycles depending
 * on the CPU), short so that an idle worker does not hold a core that onnxruntime's or
 * the wasm helper's threads need; and that the caller spins for the workers to finish. */
#define IDLE_SPIN 2000
#define WAIT_SPIN 20000

static pthread_mutex_t call_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv_work = PTHREAD_COND_INITIALIZER, cv_done = PTHREAD_COND_INITIALIZER;
static void (*job_f)(void *, int, int);
static void *job_ctx;
static int job_parts;
static _Atomic unsigned job_gen;
static _Atomic int job_left;
static int nworkers;
/* The job generation when worker i was started: it waits for the next one (it may start after
 * the call that created it has already announced its job). */
static unsigned start_gen[MAX_PARTS];

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

static void *worker_main(void *arg) {
  int index = (int)(long)arg; /* runs part index + 1 */
  unsigned seen = start_gen[index];
  for (;;) {
    int spins = 0;
    while (atomic_load_explicit(&job_gen, memory_order_acquire) == seen && spins < IDLE_SPIN) {
      cpu_relax();
      spins++;
    }
    if (atomic_load_explicit(&job_gen, memory_order_acquire) == seen) {
      pthread_mutex_lock(&mu);
      while (atomic_load(&job_gen) == seen) pthread_cond_wait(&cv_work, &mu);
      pthread_mutex_unlock(&mu);
    }
    seen = atomic_load(&job_gen);
    if (index + 1 < job_parts) {
      job_f(job_ctx, index + 1, job_parts);
      if (atomic_fetch_sub(&job_left, 1) == 1) {
        pthread_mutex_lock(&mu);
        pthread_cond_signal(&cv_done);
        pthread_mutex_unlock(&mu);
      }
    }
  }
  return 0;
}

void run_parallel(void (*f)(void *, int, int), void *ctx, int parts) {
  if (parts > MAX_PARTS) parts = MAX_PARTS;
  if (parts <= 1) {
    f(ctx, 0, 1);
    return;
  }
  pthread_mutex_lock(&call_mu);
  while (nworkers < parts - 1) {
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    start_gen[nworkers] = atomic_load(&job_gen);
    int ok = pthread_create(&t, &attr, worker_main, (void *)(long)nworkers) == 0;
    pthread_attr_destroy(&attr);
    if (!ok) break;
    nworkers++;
  }
  if (parts - 1 > nworkers) parts = nworkers + 1; /* fewer threads than asked: fewer parts */
  if (parts <= 1) {
    pthread_mutex_unlock(&call_mu);
    f(ctx, 0, 1);
    return;
  }
  pthread_mutex_lock(&mu);
  job_f = f;
  job_ctx = ctx;
  job_parts = parts;
  atomic_store(&job_left, parts - 1);
  atomic_fetch_add_explicit(&job_gen, 1, memory_order_release);
  pthread_cond_broadcast(&cv_work);
  pthread_mutex_unlock(&mu);
  f(ctx, 0, parts);
  int spins = 0;
  while (atomic_load_explicit(&job_left, memory_order_acquire) > 0 && spins < WAIT_SPIN) {
    cpu_relax();
    spins++;
  }
  if (atomic_load(&job_left) > 0) {
    pthread_mutex_lock(&mu);
    while (atomic_load(&job_left) > 0) pthread_cond_wait(&cv_done, &mu);
    pthread_mutex_unlock(&mu);
  }
  pthread_mutex_unlock(&call_mu);
}

#if defined(__x86_64__) || defined(_M_X64)
#pragma GCC push_options
#pragma GCC target("avx512f,fma")
#define SUFFIX avx512
#define VL 16
#define MAXNB 4
#define TP2 12
#define TP1 16
#include "conv-impl.h"
#pragma GCC pop_options

#pragma GCC push_options
#pragma GCC target("avx2,fma")
#define SUFFIX avx2
#define VL 8
#define MAXNB 2
#define TP2 6
#define TP1 12
#include "conv-impl.h"
#pragma GCC pop_options
#endif

#define SUFFIX generic
#define VL 4
#define MAXNB 2
#define TP2 4
#define TP1 8
#include "conv-impl.h"

typedef enum { ISA_GENERIC, ISA_AVX2, ISA_AVX512 } isa_t;

static isa_t detect(void) {
#if defined(__x86_64__) || defined(_M_X64)
  const char *force = getenv("CONTRASTIVE_NATIVE_ISA");
  __builtin_cpu_init();
  int avx512 = __builtin_cpu_supports("avx512f");
  int avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (force && !strcmp(force, "generic")) return ISA_GENERIC;
  if (force && !strcmp(force, "avx2") && avx2) return ISA_AVX2;
  if (avx512) return ISA_AVX512;
  if (avx2) return ISA_AVX2;
#endif
  return ISA_GENERIC;
}

static isa_t isa(void) {
  static int cached = -1;
  if (cached < 0) cached = detect();
  return (isa_t)cached;
}

const char *cn_isa(void) {
  switch (isa()) {
    case ISA_AVX512: return "avx512";
    case ISA_AVX2: return "avx2";
    default: return "generic";
  }
}

static int valid_dims(const conv_dims *d) {
  return d->N > 0 && d->H > 0 && d->W > 0 && d->C > 0 && d->OH > 0 && d->OW > 0 && d->K > 0 && d->FH > 0 && d->FW > 0 &&
         d->sh > 0 && d->sw > 0 && d->dh > 0 && d->dw > 0 && d->pt >= 0 && d->pl >= 0;
}


/* Returns CALL(isa suffix) for the instruction set in use. */
#if defined(__x86_64__) || defined(_M_X64)
#define ON_ISA(CALL)                          \
  switch (isa()) {                            \
    case ISA_AVX512: return CALL(avx512);     \
    case ISA_AVX2: return CALL(avx2);         \
    default: return CALL(generic);            \
  }
#else
#define ON_ISA(CALL) return CALL(generic);
#endif

int cn_conv2d_forward(const float *x, const float *w, const float *bias, float *out, const conv_dims *d, int relu, int threads) {
  if (!valid_dims(d)) return -1;
#define FORWARD(s) pixel_conv_##s(x, w, bias, out, d, 0, relu, threads)
  ON_ISA(FORWARD)
}

int cn_conv2d_backprop_input(const float *dy, const float *w, float *dx, const conv_dims *d, int threads) {
  if (!valid_dims(d)) return -1;
#define INPUT_GRADIENT(s) pixel_conv_##s(dy, w, 0, dx, d, 1, 0, threads)
  ON_ISA(INPUT_GRADIENT)
}

int cn_conv2d_backprop_filter(const float *x, const float *dy, float *dw, const conv_dims *d, int threads) {
  if (!valid_dims(d)) return -1;
#define FILTER_GRADIENT(s) filter_conv_##s(x, dy, dw, d, threads)
  ON_ISA(FILTER_GRADIENT)
}
