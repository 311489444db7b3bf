/*
 * The Node addon: N-API functions over conv.c's kernels. Each takes the wasm backend's heap
 * as a Float32Array plus float offsets into it, checks that every operand lies inside the
 * heap, and runs the kernel in place (no copies). Built by node-gyp at install (binding.gyp);
 * src/engine/kernels/native.ts loads it and falls back to the wasm kernels without it.
 */
#include <node_api.h>
#include <stdint.h>
#include <stdio.h>

#include "conv.h"
#include "eltwise.h"
#include "adam.h"

#define MAX_ARGS 24

typedef struct {
  float *heap;
  size_t length;
  int64_t v[MAX_ARGS]; /* the arguments after the heap, as integers (offsets, sizes) */
  double f[MAX_ARGS];  /* the same as numbers (Adam's hyper-parameters are fractions) */
} call_args;

static int fail(napi_env env, const char *msg) {
  napi_throw_error(env, "ERR_CONTRASTIVE_NATIVE", msg);
  return 0;
}

/* Reads (heap, n integers). */
static int read_args(napi_env env, napi_callback_info info, size_t n, call_args *a) {
  size_t argc = MAX_ARGS;
  napi_value argv[MAX_ARGS];
  if (napi_get_cb_info(env, info, &argc, argv, 0, 0) != napi_ok) return fail(env, "contrastive native: cannot read arguments");
  if (argc != n + 1) return fail(env, "contrastive native: wrong number of arguments");
  napi_typedarray_type type;
  size_t length;
  void *data;
  napi_value buffer;
  size_t offset;
  bool is_typed = false;
  napi_is_typedarray(env, argv[0], &is_typed);
  if (!is_typed || napi_get_typedarray_info(env, argv[0], &type, &length, &data, &buffer, &offset) != napi_ok || type != napi_float32_array)
    return fail(env, "contrastive native: the heap must be a Float32Array");
  a->heap = data;
  a->length = length;
  for (size_t i = 0; i < n; i++)
    if (napi_get_value_int64(env, argv[i + 1], &a->v[i]) != napi_ok || napi_get_value_double(env, argv[i + 1], &a->f[i]) != napi_ok)
      return fail(env, "contrastive native: arguments must be numbers");
  return 1;
}

/* Whether [off, off + count) lies inside the heap. */
static int inside(const call_args *a, int64_t off, int64_t count) {
  return off >= 0 && count >= 0 && (uint64_t)off + (uint64_t)count <= a->length;
}

static int dims_from(const int64_t *v, conv_dims *d) {
  int *f = &d->N;
  for (int i = 0; i < 15; i++) {
    if (v[i] < 0 || v[i] > (1 << 30)) return 0;
    f[i] = (int)v[i];
  }
  return 1;
}

static napi_value done(napi_env env, int rc) {
  if (rc == -1) napi_throw_error(env, "ERR_CONTRASTIVE_NATIVE", "contrastive native: shape not supported by the native kernels");
  if (rc == -2) napi_throw_error(env, "ERR_CONTRASTIVE_NATIVE", "contrastive native: out of memory");
  return 0;
}

static int64_t prod(int64_t a, int64_t b, int64_t c, int64_t d) { return a * b * c * d; }

/* conv2dForward(heap, x, w, bias (-1: none), out, N,H,W,C,OH,OW,K,FH,FW,sh,sw,dh,dw,pt,pl, relu, threads) */
static napi_value conv2d_forward(napi_env env, napi_callback_info info) {
  call_args a;
  if (!read_args(env, info, 21, &a)) return 0;
  conv_dims d;
  if (!dims_from(a.v + 4, &d)) return done(env, -1);
  int64_t x = a.v[0], w = a.v[1], bias = a.v[2], out = a.v[3];
  if (!inside(&a, x, prod(d.N, d.H, d.W, d.C)) || !inside(&a, w, prod(d.FH, d.FW, d.C, d.K)) ||
      !inside(&a, out, prod(d.N, d.OH, d.OW, d.K)) || (bias >= 0 && !inside(&a, bias, d.K)))
    return fail(env, "contrastive native: conv2dForward operand outside the heap"), (napi_value)0;
  return done(env, cn_conv2d_forward(a.heap + x, a.heap + w, bias >= 0 ? a.heap + bias : 0, a.heap + out, &d, (int)a.v[19],
                                     (int)a.v[20]));
}

/*
 * A convolution gradient: (heap, a, b, out, N,H,W,C,OH,OW,K,FH,FW,sh,sw,dh,dw,pt,pl, threads) with
 * the operands' sizes from the geometry, checked against the heap, then `kernel`.
 */
typedef int (*grad_kernel)(const float *, const float *, float *, const conv_dims *, int);

static napi_value conv_gradient(napi_env env, napi_callback_info info, const char *what, grad_kernel kernel, int input_gradient) {
  call_args a;
  if (!read_args(env, info, 19, &a)) return 0;
  conv_dims d;
  if (!dims_from(a.v + 3, &d)) return done(env, -1);
  int64_t xs = prod(d.N, d.H, d.W, d.C), dys = prod(d.N, d.OH, d.OW, d.K), ws = prod(d.FH, d.FW, d.C, d.K);
  /* Input gradient: (dy, w) -> dx; filter gradient: (x, dy) -> dw. */
  int64_t sizes[3] = {input_gradient ? dys : xs, input_gradient ? ws : dys, input_gradient ? xs : ws};
  for (int i = 0; i < 3; i++)
    if (!inside(&a, a.v[i], sizes[i])) {
      char msg[128];
      snprintf(msg, sizeof msg, "contrastive native: %s operand outside the heap", what);
      return fail(env, msg), (napi_value)0;
    }
  return done(env, kernel(a.heap + a.v[0], a.heap + a.v[1], a.heap + a.v[2], &d, (int)a.v[18]));
}

/* conv2dBackpropInput(heap, dy, w, dx, geometry, threads) */
static napi_value conv2d_backprop_input(napi_env env, napi_callback_info info) {
  return conv_gradient(env, info, "conv2dBackpropInput", cn_conv2d_backprop_input, 1);
}

/* conv2dBackpropFilter(heap, x, dy, dw, geometry, threads) */
static napi_value conv2d_backprop_filter(napi_env env, napi_callback_info info) {
  return conv_gradient(env, info, "conv2dBackpropFilter", cn_conv2d_backprop_filter, 0);
}

/* All of v[0..n) are at least lo. */
static int at_least(const int64_t *v, int n, int64_t lo) {
  for (int i = 0; i < n; i++)
    if (v[i] < lo) return 0;
  return 1;
}

#define OUTSIDE(name) (fail(env, "contrastive native: " name " operand outside the heap"), (napi_value)0)

/* biasAdd(heap, x, b, out, rows, cols, threads) */
static napi_value bias_add(napi_env env, napi_callback_info info) {
  call_args a;
  if (!read_args(env, info, 6, &a)) return 0;
  int64_t x = a.v[0], b = a.v[1], out = a.v[2], rows = a.v[3], cols = a.v[4];
  if (!at_least(a.v + 3, 2, 1) || cols > (1 << 30)) return done(env, -1);
  if (!inside(&a, x, rows * cols) || !inside(&a, b, cols) || !inside(&a, out, rows * cols)) return OUTSIDE("biasAdd");
  cn_bias_add(a.heap + x, a.heap + b, a.heap + out, (long)rows, (int)cols, (int)a.v[5]);
  return 0;
}

/* relu(heap, x, out, n, threads) */
static napi_value relu(napi_env env, napi_callback_info info) {
  call_args a;
  if (!read_args(env, info, 4, &a)) return 0;
  int64_t x = a.v[0], out = a.v[1], n = a.v[2];
  if (!inside(&a, x, n) || !inside(&a, out, n)) return OUTSIDE("relu");
  cn_relu(a.heap + x, a.heap + out, (long)n, (int)a.v[3]);
  return 0;
}

/* reluGrad(heap, dy, x, out, sums (-1: none), rows, cols, threads) */
static napi_value relu_grad(napi_env env, napi_callback_info info) {
  call_args a;
  if (!read_args(env, info, 7, &a)) return 0;
  int64_t dy = a.v[0], x = a.v[1], out = a.v[2], sums = a.v[3], rows = a.v[4], cols = a.v[5];
  if (!at_least(a.v + 4, 2, 1) || cols > (1 << 30)) return done(env, -1);
  if (!inside(&a, dy, rows * cols) || !inside(&a, x, rows * cols) || !inside(&a, out, rows * cols) || (sums >= 0 && !inside(&a, sums, cols)))
    return OUTSIDE("reluGrad");
  return done(env, cn_relu_grad(a.heap + dy, a.heap + x, a.heap + out, sums >= 0 ? a.heap + sums : 0, (long)rows, (int)cols, (int)a.v[6]));
}

/* sumRows(heap, x, sums, rows, cols, threads) */
static napi_value sum_rows(napi_env env, napi_callback_info info) {
  call_args a;
  if (!read_args(env, info, 5, &a)) return 0;
  int64_t x = a.v[0], sums = a.v[1], rows = a.v[2], cols = a.v[3];
  if (!at_least(a.v + 2, 2, 1) || cols > (1 << 30)) return done(env, -1);
  if (!inside(&a, x, rows * cols) || !inside(&a, sums, cols)) return OUTSIDE("sumRows");
  return done(env, cn_sum_rows(a.heap + x, a.heap + sums, (long)rows, (int)cols, (int)a.v[4]));
}

/* maxPool(heap, x, y, N,H,W,C,OH,OW,ph,pw, threads): windows ph x pw at stride ph x pw, no padding. */
static napi_value max_pool(napi_env env, napi_callback_info info) {
  call_args a;
  if (!read_args(env, info, 11, &a)) return 0;
  const int64_t *v = a.v + 2;
  if (!at_least(v, 8, 1) || v[4] * v[6] > v[1] || v[5] * v[7] > v[2]) return done(env, -1);
  if (!inside(&a, a.v[0], v[0] * v[1] * v[2] * v[3]) || !inside(&a, a.v[1], v[0] * v[4] * v[5] * v[3])) return OUTSIDE("maxPool");
  cn_max_pool(a.heap + a.v[0], a.heap + a.v[1], (int)v[0], (int)v[1], (int)v[2], (int)v[3], (int)v[4], (int)v[5], (int)v[6], (int)v[7],
              (int)a.v[10]);
  return 0;
}

/* maxPoolGrad(heap, x, dy, dx, N,H,W,C,OH,OW,ph,pw, threads) */
static napi_value max_pool_grad(napi_env env, napi_callback_info info) {
  call_args a;
  if (!read_args(env, info, 12, &a)) return 0;
  const int64_t *v = a.v + 3;
  if (!at_least(v, 8, 1) || v[4] * v[6] > v[1] || v[5] * v[7] > v[2]) return done(env, -1);
  int64_t in = v[0] * v[1] * v[2] * v[3], outn = v[0] * v[4] * v[5] * v[3];
  if (!inside(&a, a.v[0], in) || !inside(&a, a.v[1], outn) || !inside(&a, a.v[2], in)) return OUTSIDE("maxPoolGrad");
  cn_max_pool_grad(a.heap + a.v[0], a.heap + a.v[1], a.heap + a.v[2], (int)v[0], (int)v[1], (int)v[2], (int)v[3], (int)v[4], (int)v[5],
                   (int)v[6], (int)v[7], (int)a.v[11]);
  return 0;
}

/* adamUpdate(heap, w, g, m, v, wOut, mOut, vOut, n, b1, omb1, b2, omb2, c1, c2, eps, negLr, threads) */
static napi_value adam_update(napi_env env, napi_callback_info info) {
  call_args a;
  if (!read_args(env, info, 17, &a)) return 0;
  /* Rounded to float32, as the wasm kernel's f32 parameters are. */
  float hyper[8];
  for (int i = 0; i < 8; i++) hyper[i] = (float)a.f[8 + i];
  int64_t n = a.v[7];
  for (int i = 0; i < 7; i++)
    if (!inside(&a, a.v[i], n)) return OUTSIDE("adamUpdate");
  cn_adam_update(a.heap + a.v[0], a.heap + a.v[1], a.heap + a.v[2], a.heap + a.v[3], a.heap + a.v[4], a.heap + a.v[5], a.heap + a.v[6], (long)n,
                 hyper, (int)a.v[16]);
  return 0;
}

static napi_value isa(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value s;
  napi_create_string_utf8(env, cn_isa(), NAPI_AUTO_LENGTH, &s);
  return s;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"conv2dForward", 0, conv2d_forward, 0, 0, 0, napi_enumerable, 0},
    {"conv2dBackpropInput", 0, conv2d_backprop_input, 0, 0, 0, napi_enumerable, 0},
    {"conv2dBackpropFilter", 0, conv2d_backprop_filter, 0, 0, 0, napi_enumerable, 0},
    {"biasAdd", 0, bias_add, 0, 0, 0, napi_enumerable, 0},
    {"relu", 0, relu, 0, 0, 0, napi_enumerable, 0},
    {"reluGrad", 0, relu_grad, 0, 0, 0, napi_enumerable, 0},
    {"sumRows", 0, sum_rows, 0, 0, 0, napi_enumerable, 0},
    {"maxPool", 0, max_pool, 0, 0, 0, napi_enumerable, 0},
    {"maxPoolGrad", 0, max_pool_grad, 0, 0, 0, napi_enumerable, 0},
    {"adamUpdate", 0, adam_update, 0, 0, 0, napi_enumerable, 0},
    {"isa", 0, isa, 0, 0, 0, napi_enumerable, 0},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
