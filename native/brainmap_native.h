/*
 * Shared helpers of the brainmap_native addon (defined in brainmap_native.c): argument checks that
 * throw TypeError / RangeError naming the function and argument, and `submit_task`, which runs a
 * plain C function on the libuv thread pool and returns a promise.
 */
#ifndef BRAINMAP_NATIVE_H
#define BRAINMAP_NATIVE_H

#define NAPI_VERSION 8
#include <node_api.h>
#include <cblas.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Work run off the main thread; writes a message into err (err_len bytes) to reject the promise. */
typedef void (*task_fn)(void *ctx, char *err, size_t err_len);

void throw_last(napi_env env, const char *what);
bool type_error(napi_env env, const char *fn, const char *fmt, const char *arg);
bool range_error(napi_env env, const char *fn, const char *body);
/* want: napi_float32_array / napi_float64_array, or -1 for either float type. */
bool get_float_array(napi_env env, napi_value v, const char *fn, const char *name, int want, void **data, size_t *len,
                     napi_typedarray_type *type_out);
bool get_dim(napi_env env, napi_value v, const char *fn, const char *name, blasint *out);
bool get_number(napi_env env, napi_value v, const char *fn, const char *name, double *out);
bool get_bool(napi_env env, napi_value v, const char *fn, const char *name, bool *out);
bool get_args(napi_env env, napi_callback_info info, const char *fn, size_t want, napi_value *argv);
bool check_len(napi_env env, const char *fn, const char *name, size_t len, size_t rows, size_t cols);
bool get_i32(napi_env env, napi_value v, const char *fn, const char *name, int32_t **data, size_t *len);

/*
 * Queues task(ctx) on the thread pool and returns a promise (NULL with an exception pending on
 * failure). ctx must come from malloc; it is freed after the task completes (or on failure). The
 * `keep` values (at most 12) stay referenced until then.
 */
napi_value submit_task(napi_env env, task_fn task, void *ctx, const char *name, napi_value *keep, int nkeep);

/* Runs fn(ctx, begin, end) over [0, n) on up to `threads` POSIX threads (the calling one included;
 * defined in nn_kernels.c). grain 0: one contiguous range per thread; otherwise items are handed out
 * `grain` at a time. */
typedef void (*range_fn)(void *ctx, size_t begin, size_t end);
void parallel_for(size_t n, int threads, size_t grain, range_fn fn, void *ctx);

/* Eigendecomposition of the row-major symmetric n × n matrix a (lower triangle read) with LAPACK
 * dsyevd: ascending eigenvalues into w, eigenvectors row-major into v (column j = vector of w[j]).
 * Returns false with a message in err on failure (defined in brainmap_native.c). */
bool syevd_rowmajor(const double *a, blasint n, double *w, double *v, char *err, size_t err_len);
/* The same with the eigenvectors as LAPACK leaves them, column-major (v[j·n + i] = component i of
 * vector j: row-major, the transpose Vᵀ). */
bool syevd_colmajor(const double *a, blasint n, double *w, double *v, char *err, size_t err_len);

/* parallel_for for work that calls BLAS/LAPACK in each range: with more than one thread (capped at
 * n), OpenBLAS runs on one thread per call meanwhile — for many small calls, its own pool's
 * hand-offs cost more than they save — and its thread count is restored after; with one, fn runs
 * once over [0, n) on the BLAS threads as set (defined in brainmap_native.c). */
void parallel_for_blas1(size_t n, int threads, size_t grain, range_fn fn, void *ctx);

/* The float32 GEMM micro-kernel of nnLinear (defined in nn_kernels.c), for other kernels' products:
 * c (6 × 64 tile, row stride ldc) = (load ? c : 0) + Σ_{k<kc} a[i·as + k·ks] · b[k·64 + j], b a k-major
 * 64-column panel, a a packed 6-row micro-panel (as = 1, ks = 6) or 6 rows of a row-major matrix
 * (as = row stride, ks = 1). AVX-512F: call only where nn_tile_available(). */
bool nn_tile_available(void);
void nn_tile_6x64(size_t kc, const float *a, size_t as, size_t ks, const float *b, float *c, size_t ldc, bool load);

/* Adds the forward-pass kernels of nn_kernels.c to the exports; false with an exception pending on failure. */
bool nn_register(napi_env env, napi_value exports);

/* Adds the banded α-search maps of search_maps.c to the exports; false with an exception pending on failure. */
bool maps_register(napi_env env, napi_value exports);

/* Adds the ridge α-search kernels of ridge_kernels.c to the exports; false with an exception pending on failure. */
bool ridge_register(napi_env env, napi_value exports);

#endif
