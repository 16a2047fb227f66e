/*
 * brainmap_native: a small N-API addon over the system OpenBLAS (BLAS + the LAPACK it bundles).
 *
 * Every heavy call (gemm, syevd, potrf, trsm) runs on the libuv thread pool through
 * napi_create_async_work and returns a promise, so the JS event loop keeps running while BLAS
 * works. The typed arrays passed in are kept alive with references until the work completes;
 * callers must not modify them (or detach their buffers) before the promise settles.
 *
 * All matrices are dense row-major. Arguments are validated here and reported as TypeError /
 * RangeError exceptions; nothing here aborts the process.
 *
 * JS surface (see src/linalg/native.ts for the typed wrapper):
 *   gemm(a, b, c, m, n, k, transA, transB, alpha, beta)   -> Promise<void>
 *       C(m×n) = alpha·op(A)·op(B) + beta·C; a, b, c all Float32Array or all Float64Array;
 *       op(A) is m×k (A stored k×m when transA), op(B) is k×n (B stored n×k when transB).
 *   syevd(a, n, w, v)                                       -> Promise<void>
 *       eigenvalues (ascending) into w (length n), eigenvectors into v (n×n row-major, column j
 *       is the vector of w[j]); reads the lower triangle of a. All Float64Array.
 *   syevdMany(a, n, count, w, v, threads)                   -> Promise<void>
 *       `count` independent syevd's (a, w, v concatenated: count·n·n, count·n, count·n·n), each on
 *       one BLAS thread, up to `threads` at once (OpenBLAS's thread count is restored after).
 *   potrf(a, n, l)                                          -> Promise<number>
 *       lower Cholesky factor of a into l (upper triangle zeroed); resolves with LAPACK's info
 *       (0 = success, k > 0 = leading minor of order k not positive definite).
 *   trsm(t, x, m, n, left, lower, trans, alpha)             -> Promise<void>
 *       in place: x(m×n) := solution of op(T)·X = alpha·X (left) or X·op(T) = alpha·X (right);
 *       t is m×m (left) or n×n (right), non-unit diagonal.
 *   setThreads(n), getThreads() -> number, info() -> { config, corename, numProcs }
 * plus the float32 forward-pass kernels and the seeded normal generator of native/nn_kernels.c.
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <cblas.h>

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "brainmap_native.h"

/* OpenBLAS extensions (declared by OpenBLAS's cblas.h; repeated in case another cblas.h is used). */
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
int openblas_get_num_procs(void);
char *openblas_get_config(void);
char *openblas_get_corename(void);

/* LAPACK (Fortran interface, bundled in libopenblas). Trailing size_t: hidden string lengths. */
extern void dsyevd_(const char *jobz, const char *uplo, const blasint *n, double *a, const blasint *lda, double *w,
                    double *work, const blasint *lwork, blasint *iwork, const blasint *liwork, blasint *info,
                    size_t jobz_len, size_t uplo_len);
extern void dpotrf_(const char *uplo, const blasint *n, double *a, const blasint *lda, blasint *info, size_t uplo_len);

#define MAX_REFS 12

typedef enum { OP_GEMM, OP_SYEVD, OP_POTRF, OP_TRSM, OP_TASK } op_t;

typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  napi_ref refs[MAX_REFS];
  int nrefs;
  op_t op;
  bool single; /* gemm precision: float32 */
  bool transA, transB, left, lower, trans;
  blasint m, n, k;
  double alpha, beta;
  void *a, *b, *c;   /* gemm: A, B, C; syevd: A, W, V; potrf: A, -, L; trsm: T, -, X */
  blasint info;      /* LAPACK info (result) */
  char err[160];     /* non-empty: reject with this message */
  task_fn task;      /* OP_TASK: the work and its context (freed with the job) */
  void *task_ctx;
} job_t;

/* ---------------------------------------------------------------------------------------------- */
/* helpers                                                                                          */

#define NAPI_OK(call)                                                                                \
  do {                                                                                               \
    if ((call) != napi_ok) {                                                                         \
      throw_last(env, #call);                                                                        \
      return NULL;                                                                                   \
    }                                                                                                \
  } while (0)

void throw_last(napi_env env, const char *what) {
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (pending) return;
  const napi_extended_error_info *info = NULL;
  napi_get_last_error_info(env, &info);
  char msg[256];
  snprintf(msg, sizeof msg, "brainmap_native: internal N-API failure in %s: %s", what,
           (info && info->error_message) ? info->error_message : "unknown error");
  napi_throw_error(env, NULL, msg);
}

bool type_error(napi_env env, const char *fn, const char *fmt, const char *arg) {
  char msg[256];
  char body[200];
  snprintf(body, sizeof body, fmt, arg);
  snprintf(msg, sizeof msg, "brainmap_native.%s: %s", fn, body);
  napi_throw_type_error(env, NULL, msg);
  return false;
}

bool range_error(napi_env env, const char *fn, const char *body) {
  char msg[320];
  snprintf(msg, sizeof msg, "brainmap_native.%s: %s", fn, body);
  napi_throw_range_error(env, NULL, msg);
  return false;
}

/* Typed array argument. want: napi_float32_array / napi_float64_array, or -1 for either float type. */
bool get_float_array(napi_env env, napi_value v, const char *fn, const char *name, int want, void **data,
                            size_t *len, napi_typedarray_type *type_out) {
  bool is_ta = false;
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta) {
    return type_error(env, fn,
                      want == napi_float32_array   ? "argument '%s' must be a Float32Array"
                      : want == napi_float64_array ? "argument '%s' must be a Float64Array"
                                                   : "argument '%s' must be a Float32Array or a Float64Array",
                      name);
  }
  napi_typedarray_type type;
  size_t length = 0;
  void *ptr = NULL;
  napi_value ab;
  size_t offset = 0;
  if (napi_get_typedarray_info(env, v, &type, &length, &ptr, &ab, &offset) != napi_ok) {
    throw_last(env, "napi_get_typedarray_info");
    return false;
  }
  if (type != napi_float32_array && type != napi_float64_array) {
    return type_error(env, fn, "argument '%s' must be a Float32Array or a Float64Array", name);
  }
  if (want >= 0 && (int)type != want) {
    return type_error(env, fn,
                      want == napi_float32_array ? "argument '%s' must be a Float32Array"
                                                 : "argument '%s' must be a Float64Array",
                      name);
  }
  if (length > 0 && ptr == NULL) {
    return type_error(env, fn, "argument '%s' has no accessible storage (detached buffer?)", name);
  }
  *data = ptr;
  *len = length;
  if (type_out) *type_out = type;
  return true;
}

/* Non-negative integer dimension that fits BLAS's int. */
bool get_dim(napi_env env, napi_value v, const char *fn, const char *name, blasint *out) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_number) {
    return type_error(env, fn, "argument '%s' must be a number", name);
  }
  double d = 0;
  napi_get_value_double(env, v, &d);
  if (!(d >= 0) || d > (double)INT_MAX || d != (double)(int64_t)d) {
    char body[200];
    snprintf(body, sizeof body, "argument '%s' must be an integer in [0, %d], got %g", name, INT_MAX, d);
    return range_error(env, fn, body);
  }
  *out = (blasint)d;
  return true;
}

bool get_number(napi_env env, napi_value v, const char *fn, const char *name, double *out) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_number) {
    return type_error(env, fn, "argument '%s' must be a number", name);
  }
  napi_get_value_double(env, v, out);
  return true;
}

bool get_bool(napi_env env, napi_value v, const char *fn, const char *name, bool *out) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_boolean) {
    return type_error(env, fn, "argument '%s' must be a boolean", name);
  }
  napi_get_value_bool(env, v, out);
  return true;
}

bool get_args(napi_env env, napi_callback_info info, const char *fn, size_t want, napi_value *argv) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) {
    throw_last(env, "napi_get_cb_info");
    return false;
  }
  if (argc < want) {
    char body[160];
    snprintf(body, sizeof body, "brainmap_native.%s: expected %zu arguments, got %zu", fn, want, argc);
    napi_throw_type_error(env, NULL, body);
    return false;
  }
  return true;
}

bool get_i32(napi_env env, napi_value v, const char *fn, const char *name, int32_t **data, size_t *len) {
  bool is_ta = false;
  napi_typedarray_type type;
  void *ptr = NULL;
  napi_value ab;
  size_t offset;
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta ||
      napi_get_typedarray_info(env, v, &type, len, &ptr, &ab, &offset) != napi_ok || type != napi_int32_array)
    return type_error(env, fn, "argument '%s' must be an Int32Array", name);
  *data = (int32_t *)ptr;
  return true;
}

bool check_len(napi_env env, const char *fn, const char *name, size_t len, size_t rows, size_t cols) {
  if (len != rows * cols) {
    char body[240];
    snprintf(body, sizeof body, "argument '%s' has %zu values, expected %zu × %zu = %zu", name, len, rows, cols,
             rows * cols);
    return range_error(env, fn, body);
  }
  return true;
}

static job_t *job_new(op_t op) {
  job_t *job = (job_t *)calloc(1, sizeof(job_t));
  if (job) job->op = op;
  return job;
}

static void job_release(napi_env env, job_t *job) {
  for (int i = 0; i < job->nrefs; i++) napi_delete_reference(env, job->refs[i]);
  job->nrefs = 0;
  if (job->work) napi_delete_async_work(env, job->work);
  free(job->task_ctx);
  free(job);
}

/* ---------------------------------------------------------------------------------------------- */
/* worker-thread side: no N-API calls here                                                          */

static void transpose_in_place(double *a, blasint n) {
  for (blasint i = 0; i < n; i++) {
    for (blasint j = i + 1; j < n; j++) {
      double t = a[(size_t)i * n + j];
      a[(size_t)i * n + j] = a[(size_t)j * n + i];
      a[(size_t)j * n + i] = t;
    }
  }
}

static void run_gemm(job_t *job) {
  const blasint m = job->m, n = job->n, k = job->k;
  if (m == 0 || n == 0) return;
  /* Leading dimensions of the stored (row-major) matrices; BLAS wants at least 1. */
  const blasint lda = (job->transA ? m : k) > 0 ? (job->transA ? m : k) : 1;
  const blasint ldb = (job->transB ? k : n) > 0 ? (job->transB ? k : n) : 1;
  const blasint ldc = n;
  const enum CBLAS_TRANSPOSE ta = job->transA ? CblasTrans : CblasNoTrans;
  const enum CBLAS_TRANSPOSE tb = job->transB ? CblasTrans : CblasNoTrans;
  if (k == 0) {
    /* C = beta·C (BLAS semantics: beta = 0 overwrites, even NaN). */
    size_t total = (size_t)m * n;
    if (job->single) {
      float *c = (float *)job->c;
      float beta = (float)job->beta;
      for (size_t i = 0; i < total; i++) c[i] = beta == 0.0f ? 0.0f : beta * c[i];
    } else {
      double *c = (double *)job->c;
      for (size_t i = 0; i < total; i++) c[i] = job->beta == 0.0 ? 0.0 : job->beta * c[i];
    }
    return;
  }
  if (job->single) {
    cblas_sgemm(CblasRowMajor, ta, tb, m, n, k, (float)job->alpha, (const float *)job->a, lda,
                (const float *)job->b, ldb, (float)job->beta, (float *)job->c, ldc);
  } else {
    cblas_dgemm(CblasRowMajor, ta, tb, m, n, k, job->alpha, (const double *)job->a, lda, (const double *)job->b,
                ldb, job->beta, (double *)job->c, ldc);
  }
}

bool syevd_colmajor(const double *a, blasint n, double *w, double *v, char *err, size_t err_len) {
  if (n == 0) return true;
  const size_t nn = (size_t)n * n;
  memcpy(v, a, nn * sizeof(double));
  /* Row-major lower triangle == column-major upper triangle. */
  const char jobz = 'V', uplo = 'U';
  blasint lda = n, info = 0;
  blasint lwork = -1, liwork = -1, iwq = 0;
  double wq = 0;
  dsyevd_(&jobz, &uplo, &n, v, &lda, w, &wq, &lwork, &iwq, &liwork, &info, 1, 1);
  if (info != 0) {
    snprintf(err, err_len, "dsyevd workspace query failed (info = %d)", (int)info);
    return false;
  }
  lwork = (blasint)wq;
  liwork = iwq;
  {
    /* Never below LAPACK's documented minimum for jobz = 'V'. */
    double minw = 1.0 + 6.0 * n + 2.0 * (double)n * n;
    if ((double)lwork < minw) lwork = (blasint)minw;
    if (liwork < 3 + 5 * n) liwork = 3 + 5 * n;
  }
  double *work = (double *)malloc((size_t)lwork * sizeof(double));
  blasint *iwork = (blasint *)malloc((size_t)liwork * sizeof(blasint));
  if (!work || !iwork) {
    free(work);
    free(iwork);
    snprintf(err, err_len, "dsyevd: out of memory for the workspace (n = %d)", (int)n);
    return false;
  }
  dsyevd_(&jobz, &uplo, &n, v, &lda, w, work, &lwork, iwork, &liwork, &info, 1, 1);
  free(work);
  free(iwork);
  if (info != 0) {
    snprintf(err, err_len,
             info < 0 ? "dsyevd: illegal argument %d" : "dsyevd: the algorithm failed to converge (info = %d)",
             info < 0 ? (int)-info : (int)info);
    return false;
  }
  return true;
}

bool syevd_rowmajor(const double *a, blasint n, double *w, double *v, char *err, size_t err_len) {
  if (!syevd_colmajor(a, n, w, v, err, err_len)) return false;
  /* Column-major eigenvectors: v[j*n + i] = V(i, j); we want row-major v[i*n + j]. */
  transpose_in_place(v, n);
  return true;
}

static void run_syevd(job_t *job) {
  syevd_rowmajor((const double *)job->a, job->n, (double *)job->b, (double *)job->c, job->err, sizeof job->err);
}

/* syevdMany: `count` independent decompositions, one LAPACK call each, spread over threads. */
typedef struct {
  const double *a;
  double *w, *v;
  blasint n;
  size_t count;
  int threads;
  char err[160]; /* first failure */
  volatile int failed;
} syevd_many_ctx;

static void syevd_many_range(void *arg, size_t b, size_t e) {
  syevd_many_ctx *c = (syevd_many_ctx *)arg;
  const size_t nn = (size_t)c->n * c->n;
  for (size_t i = b; i < e && !c->failed; i++) {
    char err[160] = "";
    if (!syevd_rowmajor(c->a + i * nn, c->n, c->w + i * (size_t)c->n, c->v + i * nn, err, sizeof err) && !c->failed) {
      c->failed = 1;
      snprintf(c->err, sizeof c->err, "matrix %zu: %s", i, err);
    }
  }
}

void parallel_for_blas1(size_t n, int threads, size_t grain, range_fn fn, void *ctx) {
  if ((size_t)threads > n) threads = (int)n;
  if (threads <= 1) {
    fn(ctx, 0, n);
    return;
  }
  const int prev = openblas_get_num_threads();
  openblas_set_num_threads(1);
  parallel_for(n, threads, grain, fn, ctx);
  openblas_set_num_threads(prev);
}

static void syevd_many_task(void *arg, char *err, size_t err_len) {
  syevd_many_ctx *c = (syevd_many_ctx *)arg;
  /* At these sizes (n of a few hundred) dsyevd barely gains from a second BLAS thread: one
     decomposition per thread instead. */
  parallel_for_blas1(c->count, c->threads, 1, syevd_many_range, c);
  if (c->failed) snprintf(err, err_len, "%s", c->err);
}

static void run_potrf(job_t *job) {
  const blasint n = job->n;
  job->info = 0;
  if (n == 0) return;
  double *l = (double *)job->c;
  memcpy(l, job->a, (size_t)n * n * sizeof(double));
  /* Row-major lower triangle == column-major upper: U with A = UᵀU is our row-major L. */
  const char uplo = 'U';
  blasint lda = n, info = 0;
  dpotrf_(&uplo, &n, l, &lda, &info, 1);
  if (info < 0) {
    snprintf(job->err, sizeof job->err, "dpotrf: illegal argument %d", (int)-info);
    return;
  }
  job->info = info;
  for (blasint i = 0; i < n; i++) {
    for (blasint j = i + 1; j < n; j++) l[(size_t)i * n + j] = 0.0;
  }
}

static void run_trsm(job_t *job) {
  const blasint m = job->m, n = job->n;
  if (m == 0 || n == 0) return;
  const blasint ldt = job->left ? m : n;
  cblas_dtrsm(CblasRowMajor, job->left ? CblasLeft : CblasRight, job->lower ? CblasLower : CblasUpper,
              job->trans ? CblasTrans : CblasNoTrans, CblasNonUnit, m, n, job->alpha, (const double *)job->a, ldt,
              (double *)job->c, n);
}

static void execute(napi_env env, void *data) {
  (void)env;
  job_t *job = (job_t *)data;
  switch (job->op) {
    case OP_GEMM: run_gemm(job); break;
    case OP_SYEVD: run_syevd(job); break;
    case OP_POTRF: run_potrf(job); break;
    case OP_TRSM: run_trsm(job); break;
    case OP_TASK: job->task(job->task_ctx, job->err, sizeof job->err); break;
  }
}

/* ---------------------------------------------------------------------------------------------- */
/* main-thread side                                                                                 */

static void complete(napi_env env, napi_status status, void *data) {
  job_t *job = (job_t *)data;
  napi_deferred deferred = job->deferred;
  napi_value result = NULL;
  bool ok = false;
  if (status == napi_cancelled) {
    napi_value msg;
    napi_create_string_utf8(env, "brainmap_native: the operation was cancelled", NAPI_AUTO_LENGTH, &msg);
    napi_create_error(env, NULL, msg, &result);
  } else if (status != napi_ok) {
    napi_value msg;
    napi_create_string_utf8(env, "brainmap_native: the operation failed in the thread pool", NAPI_AUTO_LENGTH, &msg);
    napi_create_error(env, NULL, msg, &result);
  } else if (job->err[0] != '\0') {
    char full[220];
    snprintf(full, sizeof full, "brainmap_native: %s", job->err);
    napi_value msg;
    napi_create_string_utf8(env, full, NAPI_AUTO_LENGTH, &msg);
    napi_create_error(env, NULL, msg, &result);
  } else {
    ok = true;
    if (job->op == OP_POTRF) {
      napi_create_int32(env, (int32_t)job->info, &result);
    } else {
      napi_get_undefined(env, &result);
    }
  }
  job_release(env, job);
  if (ok) {
    napi_resolve_deferred(env, deferred, result);
  } else {
    napi_reject_deferred(env, deferred, result);
  }
}

/* Keeps `values` alive, creates the promise and queues the work. Frees the job on failure. */
static napi_value submit(napi_env env, job_t *job, const char *name, napi_value *values, int nvalues) {
  napi_value promise = NULL, resource_name;
  for (int i = 0; i < nvalues && i < MAX_REFS; i++) {
    if (napi_create_reference(env, values[i], 1, &job->refs[job->nrefs]) != napi_ok) {
      throw_last(env, "napi_create_reference");
      job_release(env, job);
      return NULL;
    }
    job->nrefs++;
  }
  if (napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &resource_name) != napi_ok ||
      napi_create_async_work(env, NULL, resource_name, execute, complete, job, &job->work) != napi_ok) {
    throw_last(env, "napi_create_async_work");
    job_release(env, job);
    return NULL;
  }
  if (napi_create_promise(env, &job->deferred, &promise) != napi_ok) {
    throw_last(env, "napi_create_promise");
    job_release(env, job);
    return NULL;
  }
  if (napi_queue_async_work(env, job->work) != napi_ok) {
    /* The deferred must still be settled; reject it and hand back the (rejected) promise. */
    napi_value msg, err;
    napi_create_string_utf8(env, "brainmap_native: could not queue the work", NAPI_AUTO_LENGTH, &msg);
    napi_create_error(env, NULL, msg, &err);
    napi_deferred d = job->deferred;
    job_release(env, job);
    napi_reject_deferred(env, d, err);
  }
  return promise;
}

static job_t *alloc_job(napi_env env, op_t op) {
  job_t *job = job_new(op);
  if (!job) napi_throw_error(env, NULL, "brainmap_native: out of memory");
  return job;
}

napi_value submit_task(napi_env env, task_fn task, void *ctx, const char *name, napi_value *keep, int nkeep) {
  job_t *job = alloc_job(env, OP_TASK);
  if (!job) {
    free(ctx);
    return NULL;
  }
  job->task = task;
  job->task_ctx = ctx;
  return submit(env, job, name, keep, nkeep);
}

/* gemm(a, b, c, m, n, k, transA, transB, alpha, beta) */
static napi_value js_gemm(napi_env env, napi_callback_info info) {
  const char *fn = "gemm";
  napi_value argv[10];
  if (!get_args(env, info, fn, 10, argv)) return NULL;
  void *a, *b, *c;
  size_t la, lb, lc;
  napi_typedarray_type ta, tb, tc;
  blasint m, n, k;
  bool transA, transB;
  double alpha, beta;
  if (!get_float_array(env, argv[0], fn, "a", -1, &a, &la, &ta)) return NULL;
  if (!get_float_array(env, argv[1], fn, "b", ta, &b, &lb, &tb)) return NULL;
  if (!get_float_array(env, argv[2], fn, "c", ta, &c, &lc, &tc)) return NULL;
  if (!get_dim(env, argv[3], fn, "m", &m) || !get_dim(env, argv[4], fn, "n", &n) || !get_dim(env, argv[5], fn, "k", &k))
    return NULL;
  if (!get_bool(env, argv[6], fn, "transA", &transA) || !get_bool(env, argv[7], fn, "transB", &transB)) return NULL;
  if (!get_number(env, argv[8], fn, "alpha", &alpha) || !get_number(env, argv[9], fn, "beta", &beta)) return NULL;
  if (!check_len(env, fn, "a", la, transA ? k : m, transA ? m : k)) return NULL;
  if (!check_len(env, fn, "b", lb, transB ? n : k, transB ? k : n)) return NULL;
  if (!check_len(env, fn, "c", lc, m, n)) return NULL;
  job_t *job = alloc_job(env, OP_GEMM);
  if (!job) return NULL;
  job->single = ta == napi_float32_array;
  job->a = a;
  job->b = b;
  job->c = c;
  job->m = m;
  job->n = n;
  job->k = k;
  job->transA = transA;
  job->transB = transB;
  job->alpha = alpha;
  job->beta = beta;
  return submit(env, job, job->single ? "brainmap:sgemm" : "brainmap:dgemm", argv, 3);
}

/* dsyevd's workspace for n (1 + 6n + 2n² doubles) must be indexable by a 32-bit LAPACK integer. */
static bool syevd_workspace_fits(napi_env env, const char *fn, blasint n) {
  if (1.0 + 6.0 * n + 2.0 * (double)n * n <= (double)INT_MAX) return true;
  return range_error(env, fn, "n is too large for a 32-bit LAPACK workspace");
}

/* syevd(a, n, w, v) */
static napi_value js_syevd(napi_env env, napi_callback_info info) {
  const char *fn = "syevd";
  napi_value argv[4];
  if (!get_args(env, info, fn, 4, argv)) return NULL;
  void *a, *w, *v;
  size_t la, lw, lv;
  blasint n;
  if (!get_float_array(env, argv[0], fn, "a", napi_float64_array, &a, &la, NULL)) return NULL;
  if (!get_dim(env, argv[1], fn, "n", &n)) return NULL;
  if (!get_float_array(env, argv[2], fn, "w", napi_float64_array, &w, &lw, NULL)) return NULL;
  if (!get_float_array(env, argv[3], fn, "v", napi_float64_array, &v, &lv, NULL)) return NULL;
  if (!syevd_workspace_fits(env, fn, n)) return NULL;
  if (!check_len(env, fn, "a", la, n, n) || !check_len(env, fn, "w", lw, n, 1) || !check_len(env, fn, "v", lv, n, n))
    return NULL;
  job_t *job = alloc_job(env, OP_SYEVD);
  if (!job) return NULL;
  job->a = a;
  job->b = w;
  job->c = v;
  job->n = n;
  napi_value keep[3] = {argv[0], argv[2], argv[3]};
  return submit(env, job, "brainmap:dsyevd", keep, 3);
}

/* syevdMany(a, n, count, w, v, threads): count matrices a[i] (n × n each, concatenated) */
static napi_value js_syevd_many(napi_env env, napi_callback_info info) {
  const char *fn = "syevdMany";
  napi_value argv[6];
  if (!get_args(env, info, fn, 6, argv)) return NULL;
  void *a, *w, *v;
  size_t la, lw, lv;
  blasint n, count, threads;
  if (!get_float_array(env, argv[0], fn, "a", napi_float64_array, &a, &la, NULL)) return NULL;
  if (!get_dim(env, argv[1], fn, "n", &n) || !get_dim(env, argv[2], fn, "count", &count)) return NULL;
  if (!get_float_array(env, argv[3], fn, "w", napi_float64_array, &w, &lw, NULL)) return NULL;
  if (!get_float_array(env, argv[4], fn, "v", napi_float64_array, &v, &lv, NULL)) return NULL;
  if (!get_dim(env, argv[5], fn, "threads", &threads)) return NULL;
  if (threads < 1) return range_error(env, fn, "the thread count must be at least 1"), NULL;
  if (!syevd_workspace_fits(env, fn, n)) return NULL;
  if (!check_len(env, fn, "a", la, (size_t)count * n, n) || !check_len(env, fn, "w", lw, count, n) ||
      !check_len(env, fn, "v", lv, (size_t)count * n, n))
    return NULL;
  syevd_many_ctx *c = (syevd_many_ctx *)calloc(1, sizeof(syevd_many_ctx));
  if (!c) return range_error(env, fn, "out of memory"), NULL;
  c->a = (const double *)a;
  c->w = (double *)w;
  c->v = (double *)v;
  c->n = n;
  c->count = (size_t)count;
  c->threads = (int)threads;
  napi_value keep[3] = {argv[0], argv[3], argv[4]};
  return submit_task(env, syevd_many_task, c, "brainmap:dsyevdMany", keep, 3);
}

/* potrf(a, n, l) */
static napi_value js_potrf(napi_env env, napi_callback_info info) {
  const char *fn = "potrf";
  napi_value argv[3];
  if (!get_args(env, info, fn, 3, argv)) return NULL;
  void *a, *l;
  size_t la, ll;
  blasint n;
  if (!get_float_array(env, argv[0], fn, "a", napi_float64_array, &a, &la, NULL)) return NULL;
  if (!get_dim(env, argv[1], fn, "n", &n)) return NULL;
  if (!get_float_array(env, argv[2], fn, "l", napi_float64_array, &l, &ll, NULL)) return NULL;
  if (!check_len(env, fn, "a", la, n, n) || !check_len(env, fn, "l", ll, n, n)) return NULL;
  job_t *job = alloc_job(env, OP_POTRF);
  if (!job) return NULL;
  job->a = a;
  job->c = l;
  job->n = n;
  napi_value keep[2] = {argv[0], argv[2]};
  return submit(env, job, "brainmap:dpotrf", keep, 2);
}

/* trsm(t, x, m, n, left, lower, trans, alpha) */
static napi_value js_trsm(napi_env env, napi_callback_info info) {
  const char *fn = "trsm";
  napi_value argv[8];
  if (!get_args(env, info, fn, 8, argv)) return NULL;
  void *t, *x;
  size_t lt, lx;
  blasint m, n;
  bool left, lower, trans;
  double alpha;
  if (!get_float_array(env, argv[0], fn, "t", napi_float64_array, &t, &lt, NULL)) return NULL;
  if (!get_float_array(env, argv[1], fn, "x", napi_float64_array, &x, &lx, NULL)) return NULL;
  if (!get_dim(env, argv[2], fn, "m", &m) || !get_dim(env, argv[3], fn, "n", &n)) return NULL;
  if (!get_bool(env, argv[4], fn, "left", &left) || !get_bool(env, argv[5], fn, "lower", &lower) ||
      !get_bool(env, argv[6], fn, "trans", &trans))
    return NULL;
  if (!get_number(env, argv[7], fn, "alpha", &alpha)) return NULL;
  const blasint nt = left ? m : n;
  if (!check_len(env, fn, "t", lt, nt, nt) || !check_len(env, fn, "x", lx, m, n)) return NULL;
  job_t *job = alloc_job(env, OP_TRSM);
  if (!job) return NULL;
  job->a = t;
  job->c = x;
  job->m = m;
  job->n = n;
  job->left = left;
  job->lower = lower;
  job->trans = trans;
  job->alpha = alpha;
  napi_value keep[2] = {argv[0], argv[1]};
  return submit(env, job, "brainmap:dtrsm", keep, 2);
}

static napi_value js_set_threads(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, "setThreads", 1, argv)) return NULL;
  blasint n;
  if (!get_dim(env, argv[0], "setThreads", "n", &n)) return NULL;
  if (n < 1) {
    range_error(env, "setThreads", "the thread count must be at least 1");
    return NULL;
  }
  openblas_set_num_threads((int)n);
  return NULL;
}

static napi_value js_get_threads(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out;
  NAPI_OK(napi_create_int32(env, openblas_get_num_threads(), &out));
  return out;
}

static napi_value js_info(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out, config, corename, procs;
  const char *cfg = openblas_get_config();
  const char *core = openblas_get_corename();
  NAPI_OK(napi_create_object(env, &out));
  NAPI_OK(napi_create_string_utf8(env, cfg ? cfg : "", NAPI_AUTO_LENGTH, &config));
  NAPI_OK(napi_create_string_utf8(env, core ? core : "", NAPI_AUTO_LENGTH, &corename));
  NAPI_OK(napi_create_int32(env, openblas_get_num_procs(), &procs));
  NAPI_OK(napi_set_named_property(env, out, "config", config));
  NAPI_OK(napi_set_named_property(env, out, "corename", corename));
  NAPI_OK(napi_set_named_property(env, out, "numProcs", procs));
  return out;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"gemm", NULL, js_gemm, NULL, NULL, NULL, napi_enumerable, NULL},
      {"syevd", NULL, js_syevd, NULL, NULL, NULL, napi_enumerable, NULL},
      {"syevdMany", NULL, js_syevd_many, NULL, NULL, NULL, napi_enumerable, NULL},
      {"potrf", NULL, js_potrf, NULL, NULL, NULL, napi_enumerable, NULL},
      {"trsm", NULL, js_trsm, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setThreads", NULL, js_set_threads, NULL, NULL, NULL, napi_enumerable, NULL},
      {"getThreads", NULL, js_get_threads, NULL, NULL, NULL, napi_enumerable, NULL},
      {"info", NULL, js_info, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  NAPI_OK(napi_define_properties(env, exports, sizeof props / sizeof props[0], props));
  if (!nn_register(env, exports)) return NULL;
  if (!ridge_register(env, exports)) return NULL;
  if (!maps_register(env, exports)) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
