/*
 * The α-search maps of banded kernel ridge (src/regression/banded.ts, kernel path), one call per
 * (inner fold, chunk of band-weight samples) on the libuv thread pool:
 *
 *   ridgeKernelMaps(ktrain, kcross, B, n, nv, gammas, alphas, tol, s, nB, coef, threads) -> Promise<void>
 *     For each of the G = gammas.length / B samples γ (one task each, spread over `threads` threads,
 *     BLAS/LAPACK on one thread per task):
 *       K(γ) = Σ_b γ_b ktrain_b (n × n), C(γ) = Σ_b γ_b kcross_b (nv × n)  (bands' kernels, row-major,
 *       concatenated); K(γ) = U Λ Uᵀ (dsyevd; λ ≤ 0 or NaN → 0); L = C(γ) U;
 *       penalty a's filter f_a(λ) = 1/(λ + alphas[a]); their basis (filter-basis.ts's factorFilters,
 *       weights w_k = ‖L[:, k]‖·‖U[:, k]‖, tolerance tol): R rows Φ_j and the nA × R combination;
 *       basis map j = (L diag Φ_j) Uᵀ (nv × n), formed in float64 and rounded to float32.
 *     The plain form (every penalty's map, identity combination) where the basis is empty or
 *     R·(n + nA) ≥ nA·n, as ridge.ts's searchMap. Written, samples in order and contiguous (the
 *     layout of ridge.ts's stackSearchMaps, ridgeInnerSseGroups' input): nB[g] = maps of sample g;
 *     s = their maps (Σ nB[g]·nv rows × n); coef = their nA × nB[g] combinations. s needs room for
 *     G·nA·nv·n values and coef for G·nA·nA.
 *
 * The TypeScript path (kernelFactors → searchMap → stackSearchMaps) computes the same in the same
 * order; -ffp-contract=off.
 */
#include "brainmap_native.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Rows of the stacked maps formed per product (bounds a task's float64 scratch at 2 · MAP_ROWS · n). */
#define MAP_ROWS 256

typedef struct {
  const double *ktrain, *kcross, *gammas, *alphas;
  size_t B, n, nv, G, nA;
  double tol;
  float *s, *coef;
  int32_t *nB;
  int threads;
  char err[200];
  volatile int failed;
} maps_ctx;

static double dot(const double *a, const double *b, size_t n) {
  double s = 0;
  for (size_t k = 0; k < n; k++) s += a[k] * b[k];
  return s;
}

/* ‖a‖₂ scaled by max |a_k| (no overflow or underflow of the squares), as filter-basis.ts's norm2. */
static double norm2(const double *a, size_t n) {
  double m = 0;
  for (size_t k = 0; k < n; k++) m = fmax(m, fabs(a[k]));
  if (m == 0) return 0;
  double s = 0;
  for (size_t k = 0; k < n; k++) {
    const double v = a[k] / m;
    s += v * v;
  }
  return m * sqrt(s);
}

static void axpy(double alpha, const double *x, double *y, size_t n) {
  for (size_t k = 0; k < n; k++) y[k] += alpha * x[k];
}

/*
 * filter-basis.ts's factorFilters on nF filters f (nF × r) with weights w: returns R, writes the basis
 * rows Φ (R × r) into basis and the combinations (nF × R) into coef. g, e: nF × r scratch; q: r × r.
 */
static size_t factor_filters(const double *f, size_t nF, size_t r, const double *w, double tol, double *g, double *e,
                             double *q, double *basis, double *coef) {
  for (size_t a = 0; a < nF; a++) {
    double *ga = g + a * r, *ea = e + a * r;
    for (size_t k = 0; k < r; k++) ga[k] = f[a * r + k] * w[k];
    const double na = norm2(ga, r);
    for (size_t k = 0; k < r; k++) ea[k] = na > 0 ? ga[k] / na : 0;
  }
  const size_t maxRank = nF < r ? nF : r;
  size_t R = 0;
  while (R < maxRank) {
    size_t best = (size_t)-1;
    double bestNorm = tol;
    for (size_t a = 0; a < nF; a++) {
      const double nrm = norm2(e + a * r, r);
      if (nrm > bestNorm) bestNorm = nrm, best = a;
    }
    if (best == (size_t)-1) break;
    double *v = q + R * r;
    memcpy(v, e + best * r, r * sizeof(double));
    for (int pass = 0; pass < 2; pass++)
      for (size_t j = 0; j < R; j++) axpy(-dot(v, q + j * r, r), q + j * r, v, r);
    const double nv = norm2(v, r);
    if (!(nv > 0)) break;
    for (size_t k = 0; k < r; k++) v[k] /= nv;
    R++;
    for (size_t a = 0; a < nF; a++) axpy(-dot(e + a * r, v, r), v, e + a * r, r);
  }
  for (size_t a = 0; a < nF; a++)
    for (size_t j = 0; j < R; j++) coef[a * R + j] = dot(g + a * r, q + j * r, r);
  for (size_t j = 0; j < R; j++)
    for (size_t k = 0; k < r; k++) basis[j * r + k] = w[k] > 0 ? q[j * r + k] / w[k] : 0;
  return R;
}

/* Sample gi's maps into its own slot of s / coef (offset gi·nA·nv·n / gi·nA·nA); false on failure. */
static bool sample_maps(maps_ctx *c, size_t gi, char *err, size_t err_len) {
  const size_t n = c->n, nv = c->nv, nA = c->nA, B = c->B;
  const double *gamma = c->gammas + gi * B;
  double *k = malloc(sizeof(double) * n * n);
  double *ut = malloc(sizeof(double) * n * n); /* Uᵀ row-major: ut[j·n + i] = U[i, j] */
  double *lambda = malloc(sizeof(double) * n);
  double *cg = malloc(sizeof(double) * nv * n);
  double *left = malloc(sizeof(double) * nv * n);
  double *w = malloc(sizeof(double) * n);
  double *filt = malloc(sizeof(double) * nA * n);
  double *g = malloc(sizeof(double) * nA * n);
  double *e = malloc(sizeof(double) * nA * n);
  double *q = malloc(sizeof(double) * nA * n);
  double *basis = malloc(sizeof(double) * nA * n);
  double *cf = malloc(sizeof(double) * nA * nA);
  double *stacked = malloc(sizeof(double) * MAP_ROWS * n);
  double *maps = malloc(sizeof(double) * MAP_ROWS * n);
  bool ok = k && ut && lambda && cg && left && w && filt && g && e && q && basis && cf && stacked && maps;
  if (!ok) snprintf(err, err_len, "out of memory (n = %zu)", n);
  if (ok) {
    memset(k, 0, sizeof(double) * n * n);
    memset(cg, 0, sizeof(double) * nv * n);
    for (size_t b = 0; b < B; b++) {
      const double gb = gamma[b];
      const double *kb = c->ktrain + b * n * n, *cb = c->kcross + b * nv * n;
      for (size_t i = 0; i < n * n; i++) k[i] += gb * kb[i];
      for (size_t i = 0; i < nv * n; i++) cg[i] += gb * cb[i];
    }
    ok = syevd_colmajor(k, (blasint)n, lambda, ut, err, err_len);
  }
  if (ok) {
    for (size_t i = 0; i < n; i++)
      if (!(lambda[i] > 0)) lambda[i] = 0;
    /* L = C(γ) U = C(γ) (Uᵀ)ᵀ. */
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (blasint)nv, (blasint)n, (blasint)n, 1.0, cg, (blasint)n, ut,
                (blasint)n, 0.0, left, (blasint)n);
    /* filter-basis.ts's componentWeights: ‖L[:, k]‖ · ‖Uᵀ[k, :]‖. */
    for (size_t kk = 0; kk < n; kk++) w[kk] = 0;
    for (size_t i = 0; i < nv; i++)
      for (size_t kk = 0; kk < n; kk++) w[kk] += left[i * n + kk] * left[i * n + kk];
    for (size_t kk = 0; kk < n; kk++) {
      double s = 0;
      for (size_t j = 0; j < n; j++) s += ut[kk * n + j] * ut[kk * n + j];
      w[kk] = sqrt(w[kk] * s);
    }
    for (size_t a = 0; a < nA; a++)
      for (size_t kk = 0; kk < n; kk++) filt[a * n + kk] = 1 / (lambda[kk] + c->alphas[a]);
    const size_t R = factor_filters(filt, nA, n, w, c->tol, g, e, q, basis, cf);
    const bool useBasis = R > 0 && R * (n + nA) < nA * n;
    const size_t nm = useBasis ? R : nA;
    const double *phi = useBasis ? basis : filt;
    /* Rows r = j·nv + i of the stacked (L diag Φ_j), MAP_ROWS at a time, times Uᵀ. */
    float *s = c->s + gi * nA * nv * n;
    for (size_t r0 = 0; r0 < nm * nv; r0 += MAP_ROWS) {
      const size_t rows = nm * nv - r0 < MAP_ROWS ? nm * nv - r0 : MAP_ROWS;
      for (size_t r = 0; r < rows; r++) {
        const size_t j = (r0 + r) / nv, i = (r0 + r) % nv;
        for (size_t kk = 0; kk < n; kk++) stacked[r * n + kk] = left[i * n + kk] * phi[j * n + kk];
      }
      cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (blasint)rows, (blasint)n, (blasint)n, 1.0, stacked, (blasint)n,
                  ut, (blasint)n, 0.0, maps, (blasint)n);
      for (size_t i = 0; i < rows * n; i++) s[r0 * n + i] = (float)maps[i];
    }
    float *co = c->coef + gi * nA * nA;
    for (size_t a = 0; a < nA; a++)
      for (size_t j = 0; j < nm; j++) co[a * nm + j] = useBasis ? (float)cf[a * R + j] : (a == j ? 1.0f : 0.0f);
    c->nB[gi] = (int32_t)nm;
  }
  free(k), free(ut), free(lambda), free(cg), free(left), free(w), free(filt), free(g), free(e), free(q), free(basis);
  free(cf), free(stacked), free(maps);
  return ok;
}

static void maps_range(void *arg, size_t g0, size_t g1) {
  maps_ctx *c = (maps_ctx *)arg;
  for (size_t gi = g0; gi < g1 && !c->failed; gi++) {
    char err[160] = "";
    if (!sample_maps(c, gi, err, sizeof err) && !c->failed) {
      c->failed = 1;
      snprintf(c->err, sizeof c->err, "sample %zu: %s", gi, err);
    }
  }
}

static void maps_task(void *arg, char *err, size_t err_len) {
  maps_ctx *c = (maps_ctx *)arg;
  parallel_for_blas1(c->G, c->threads, 1, maps_range, c);
  if (c->failed) {
    snprintf(err, err_len, "ridgeKernelMaps: %s", c->err);
    return;
  }
  /* Each sample wrote its own slot; close the gaps (destinations never pass their sources). */
  size_t rows = 0, off = 0;
  const size_t n = c->n, nv = c->nv, nA = c->nA;
  for (size_t gi = 0; gi < c->G; gi++) {
    const size_t nm = (size_t)c->nB[gi];
    memmove(c->s + rows * n, c->s + gi * nA * nv * n, sizeof(float) * nm * nv * n);
    memmove(c->coef + off, c->coef + gi * nA * nA, sizeof(float) * nA * nm);
    rows += nm * nv;
    off += nA * nm;
  }
}

/* ridgeKernelMaps(ktrain, kcross, B, n, nv, gammas, alphas, tol, s, nB, coef, threads) */
static napi_value js_kernel_maps(napi_env env, napi_callback_info info) {
  const char *fn = "ridgeKernelMaps";
  napi_value argv[12];
  if (!get_args(env, info, fn, 12, argv)) return NULL;
  void *kt, *kc, *gam, *al, *s, *coef;
  size_t lkt, lkc, lg, la, ls, lc, G;
  blasint B, n, nv, threads;
  double tol;
  int32_t *nB = NULL;
  if (!get_float_array(env, argv[0], fn, "ktrain", napi_float64_array, &kt, &lkt, NULL) ||
      !get_float_array(env, argv[1], fn, "kcross", napi_float64_array, &kc, &lkc, NULL) || !get_dim(env, argv[2], fn, "B", &B) ||
      !get_dim(env, argv[3], fn, "n", &n) || !get_dim(env, argv[4], fn, "nv", &nv) ||
      !get_float_array(env, argv[5], fn, "gammas", napi_float64_array, &gam, &lg, NULL) ||
      !get_float_array(env, argv[6], fn, "alphas", napi_float64_array, &al, &la, NULL) || !get_number(env, argv[7], fn, "tol", &tol) ||
      !get_float_array(env, argv[8], fn, "s", napi_float32_array, &s, &ls, NULL) || !get_i32(env, argv[9], fn, "nB", &nB, &G) ||
      !get_float_array(env, argv[10], fn, "coef", napi_float32_array, &coef, &lc, NULL) ||
      !get_dim(env, argv[11], fn, "threads", &threads))
    return NULL;
  if (B < 1 || n < 1 || nv < 1 || threads < 1 || la == 0 || G == 0)
    return range_error(env, fn, "B, n, nv, threads, alphas and nB must be non-empty / at least 1"), NULL;
  if (!(tol > 0)) return range_error(env, fn, "argument 'tol' must be positive"), NULL;
  if (!check_len(env, fn, "ktrain", lkt, (size_t)B * n, (size_t)n) || !check_len(env, fn, "kcross", lkc, (size_t)B * nv, (size_t)n) ||
      !check_len(env, fn, "gammas", lg, G, (size_t)B))
    return NULL;
  if (ls < G * la * (size_t)nv * (size_t)n || lc < G * la * la)
    return range_error(env, fn, "arguments 's' and 'coef' need room for G·nA·nv·n and G·nA·nA values"), NULL;
  maps_ctx *c = (maps_ctx *)calloc(1, sizeof(maps_ctx));
  if (!c) return range_error(env, fn, "out of memory"), NULL;
  c->ktrain = (const double *)kt;
  c->kcross = (const double *)kc;
  c->gammas = (const double *)gam;
  c->alphas = (const double *)al;
  c->B = (size_t)B;
  c->n = (size_t)n;
  c->nv = (size_t)nv;
  c->G = G;
  c->nA = la;
  c->tol = tol;
  c->s = (float *)s;
  c->coef = (float *)coef;
  c->nB = nB;
  c->threads = (int)threads;
  napi_value keep[7] = {argv[0], argv[1], argv[5], argv[6], argv[8], argv[9], argv[10]};
  return submit_task(env, maps_task, c, "brainmap:ridgeKernelMaps", keep, 7);
}

bool maps_register(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"ridgeKernelMaps", NULL, js_kernel_maps, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) {
    throw_last(env, "napi_define_properties");
    return false;
  }
  return true;
}
