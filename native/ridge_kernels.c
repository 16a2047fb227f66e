/*
 * Ridge-regression kernels of brainmap_native (the α search of src/regression/ridge.ts), each one
 * call on the libuv thread pool (promise). Definitions (and the TypeScript versions that give the
 * same numbers: src/regression/ridge-kernels.ts):
 *
 *   ridgeGather(y, ldy, rows, cols, out, mean, scale)                          -> Promise<void>
 *     Rows `rows` (Int32Array), columns `cols` (Int32Array) of the row-major float64 y (ldy
 *     columns), standardised per column in float64: mean over those rows, scale = max |y − mean|
 *     (0 where the spread is float64 rounding of a constant, ≤ 64·ε₆₄·|mean|), out[k, j] =
 *     (y − mean)/scale (0 where scale = 0), written as float32 or float64 (out's type),
 *     rows.length × cols.length row-major.
 *
 *   ridgeInnerSse(s, nA, y, ldy, train, val, cols, sse, sse0, block)            -> Promise<void>
 *     One inner fold of the α search for units `cols`: the fold's training targets gathered and
 *     standardised as ridgeGather does (float32, never a copy of y), predictions of every penalty
 *     P = s · Z_train (s: float32, (nA·nv) × na, block a = penalty a's map from training targets to
 *     validation predictions, one sgemm), and the validation squared errors in the units of y
 *     accumulated: sse[a, j] += Σ_i (y_v − mean − scale·P[a, i])², sse0[j] += Σ_i (y_v − mean)².
 *     Work runs over column blocks of `block` units so that P stays in cache.
 *
 *   ridgeInnerSseBasis(s, nB, coef, nA, y, ldy, train, val, cols, sse, sse0, block)  -> Promise<void>
 *     ridgeInnerSse with the penalties' maps given in a basis (src/regression/filter-basis.ts):
 *     s (float32, (nB·nv) × na) holds nB basis maps, coef (float32, nA × nB) each penalty's
 *     combination of them; Q = s · Z_train (one sgemm), P = coef · Q (a second, small one:
 *     nA × nB times nB × (nv·w)), then the same error sums. nB · nv · na + nA · nB · nv
 *     multiply-adds per unit instead of nA · nv · na.
 *
 *   ridgeInnerSseGroups(s, nB, coef, nA, y, ldy, train, val, cols, sse, sse0, block, threads) -> Promise<void>
 *     ridgeInnerSseBasis for G groups of maps sharing one gather (banded ridge: one group per band-
 *     weight sample): s (float32, (Σ nB[g] · nv) × na) holds group 0's nB[0] basis maps, then group
 *     1's, …; coef (float32, nA × nB[g] per group, concatenated) their combinations; one sgemm for
 *     all groups' basis maps, then per group P_g = coef_g · Q_g and the error sums into
 *     sse[(g·nA + a)·b + j] (sse is (G·nA) × b; sse0 once). threads > 1: the unit blocks are spread
 *     over that many threads, each sgemm on one BLAS thread (OpenBLAS's count restored after).
 *     Where the processor has AVX-512F, the one big product (all groups' maps times each block's
 *     targets, the bulk of the work) runs on nnLinear's 6 × 64 micro-kernel (nn_kernels.c), s read in
 *     place 6 rows at a time — about twice OpenBLAS's sgemm where OpenBLAS is held to AVX2 kernels
 *     (OPENBLAS_CORETYPE=Haswell) — the same float32 products summed in another order.
 *
 * All sums in float64, in the order of the TypeScript versions; -ffp-contract=off.
 */
#include "brainmap_native.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Spread at or below this multiple of |mean| is float64 rounding of a constant (ε₆₄ = 2⁻⁵²). */
#define ROUNDING_SPREAD (64 * 2.220446049250313e-16)

static bool check_index(napi_env env, const char *fn, const char *name, const int32_t *idx, size_t n, size_t bound) {
  for (size_t i = 0; i < n; i++) {
    if (idx[i] < 0 || (size_t)idx[i] >= bound) {
      char body[200];
      snprintf(body, sizeof body, "argument '%s' has index %d at %zu, outside [0, %zu)", name, (int)idx[i], i, bound);
      return range_error(env, fn, body);
    }
  }
  return true;
}

/* Means and max-abs scales of columns cols[0..w) over rows (float64, the order of ridge.ts). */
static void column_scaling(const double *y, size_t ldy, const int32_t *rows, size_t nr, const int32_t *cols, size_t w,
                           double *mean, double *scale) {
  for (size_t j = 0; j < w; j++) mean[j] = 0, scale[j] = 0;
  for (size_t k = 0; k < nr; k++) {
    const double *src = y + (size_t)rows[k] * ldy;
    for (size_t j = 0; j < w; j++) mean[j] += src[cols[j]];
  }
  for (size_t j = 0; j < w; j++) mean[j] /= (double)nr;
  for (size_t k = 0; k < nr; k++) {
    const double *src = y + (size_t)rows[k] * ldy;
    for (size_t j = 0; j < w; j++) {
      const double d = fabs(src[cols[j]] - mean[j]);
      if (d > scale[j]) scale[j] = d;
    }
  }
  for (size_t j = 0; j < w; j++)
    if (scale[j] <= ROUNDING_SPREAD * fabs(mean[j])) scale[j] = 0;
}

/* Column j of a row `src` of y, standardised: (y − mean)/scale, 0 where scale is 0. */
static inline double std_value(const double *src, const int32_t *cols, size_t j, const double *mean, const double *scale) {
  return scale[j] > 0 ? (src[cols[j]] - mean[j]) / scale[j] : 0;
}

/* out (nr × w, leading dimension ldo) = standardised y[rows, cols]; f32 or f64 output. */
static void gather_std(const double *y, size_t ldy, const int32_t *rows, size_t nr, const int32_t *cols, size_t w,
                       const double *mean, const double *scale, float *out32, double *out64, size_t ldo) {
  for (size_t k = 0; k < nr; k++) {
    const double *src = y + (size_t)rows[k] * ldy;
    for (size_t j = 0; j < w; j++) {
      const double v = std_value(src, cols, j, mean, scale);
      if (out32)
        out32[k * ldo + j] = (float)v;
      else
        out64[k * ldo + j] = v;
    }
  }
}

/* ---------------------------------------------------------------------------------------------- */

typedef struct {
  const double *y;
  size_t ldy;
  const int32_t *rows, *cols;
  size_t nr, w;
  float *out32;
  double *out64;
  double *mean, *scale;
} gather_ctx;

static void gather_task(void *arg, char *err, size_t err_len) {
  (void)err;
  (void)err_len;
  gather_ctx *c = (gather_ctx *)arg;
  column_scaling(c->y, c->ldy, c->rows, c->nr, c->cols, c->w, c->mean, c->scale);
  gather_std(c->y, c->ldy, c->rows, c->nr, c->cols, c->w, c->mean, c->scale, c->out32, c->out64, c->w);
}

/* ridgeGather(y, ldy, rows, cols, out, mean, scale) */
static napi_value js_gather(napi_env env, napi_callback_info info) {
  const char *fn = "ridgeGather";
  napi_value argv[7];
  if (!get_args(env, info, fn, 7, argv)) return NULL;
  void *y, *out, *mean, *scale;
  size_t ly, lo, lm, ls, nr, w;
  napi_typedarray_type to;
  blasint ldy;
  int32_t *rows = NULL, *cols = NULL;
  if (!get_float_array(env, argv[0], fn, "y", napi_float64_array, &y, &ly, NULL)) return NULL;
  if (!get_dim(env, argv[1], fn, "ldy", &ldy)) return NULL;
  if (!get_i32(env, argv[2], fn, "rows", &rows, &nr) || !get_i32(env, argv[3], fn, "cols", &cols, &w)) return NULL;
  if (!get_float_array(env, argv[4], fn, "out", -1, &out, &lo, &to)) return NULL;
  if (!get_float_array(env, argv[5], fn, "mean", napi_float64_array, &mean, &lm, NULL) ||
      !get_float_array(env, argv[6], fn, "scale", napi_float64_array, &scale, &ls, NULL))
    return NULL;
  if (ldy < 1 || ly % (size_t)ldy != 0) return range_error(env, fn, "argument 'y' is not a whole number of rows of ldy values"), NULL;
  if (!check_index(env, fn, "rows", rows, nr, ly / (size_t)ldy) || !check_index(env, fn, "cols", cols, w, (size_t)ldy)) return NULL;
  if (nr == 0) return range_error(env, fn, "argument 'rows' is empty"), NULL;
  if (!check_len(env, fn, "out", lo, nr, w) || !check_len(env, fn, "mean", lm, w, 1) || !check_len(env, fn, "scale", ls, w, 1))
    return NULL;
  gather_ctx *c = (gather_ctx *)calloc(1, sizeof(gather_ctx));
  if (!c) return range_error(env, fn, "out of memory"), NULL;
  *c = (gather_ctx){(const double *)y, (size_t)ldy, rows, cols, nr, w,
                    to == napi_float32_array ? (float *)out : NULL, to == napi_float64_array ? (double *)out : NULL,
                    (double *)mean, (double *)scale};
  napi_value keep[7] = {argv[0], argv[2], argv[3], argv[4], argv[5], argv[6]};
  return submit_task(env, gather_task, c, "brainmap:ridgeGather", keep, 6);
}

/* ---------------------------------------------------------------------------------------------- */

typedef struct {
  const float *s;
  /* NULL: s holds every penalty's map (one group); else G groups, group g's nB[g] basis maps in s
     (after the earlier groups') and its nA × nB[g] combination in coef (after the earlier ones'). */
  const float *coef;
  const int32_t *nB;
  size_t G;
  size_t nA, nv, na;
  const double *y;
  size_t ldy;
  const int32_t *train, *val, *cols;
  size_t b, block;
  double *sse, *sse0; /* sse: (G·nA) × b */
  int threads;        /* > 1: blocks spread over threads, each sgemm on one BLAS thread */
  size_t rowsS;       /* rows of s */
  bool tile;          /* run the main product on nn_tile_6x64 (only where nn_tile_available()) */
  volatile int failed;
  int32_t nB1; /* nB of a single group (ridgeInnerSseBasis) */
} sse_ctx;

/*
 * acc[j] += Σ_i (yv[i, j] − scale[j] · p[i, j])² over nv rows of w units (p float32, the rest
 * float64). Also built for AVX2 and picked at load time where the processor has it: the same
 * operations in the same order (no fused multiply-add: -ffp-contract=off), so the same sums, four
 * units per instruction instead of two.
 */
__attribute__((target_clones("avx2", "default"))) static void add_squared_errors(double *restrict acc, const float *restrict p,
                                                                             const double *restrict yv,
                                                                             const double *restrict scale, size_t nv, size_t w) {
  for (size_t i = 0; i < nv; i++) {
    const float *prow = p + i * w;
    const double *yrow = yv + i * w;
    for (size_t j = 0; j < w; j++) {
      const double d = yrow[j] - scale[j] * (double)prow[j];
      acc[j] += d * d;
    }
  }
}

/* Rows and columns of nn_tile_6x64's tile. */
#define TILE_MR 6
#define TILE_NR 64

/* gather_std's float32 values in nn_tile_6x64's B layout: 64-unit panels, zp[(q·nr + k)·64 + j mod 64]
   for unit j of panel q = j / 64; the last panel's columns past w are zero. */
static void gather_std_panels(const double *y, size_t ldy, const int32_t *rows, size_t nr, const int32_t *cols, size_t w,
                              const double *mean, const double *scale, float *zp) {
  const size_t panels = (w + TILE_NR - 1) / TILE_NR;
  if (w % TILE_NR)
    for (size_t k = 0; k < nr; k++) memset(zp + ((panels - 1) * nr + k) * TILE_NR + w % TILE_NR, 0, sizeof(float) * (TILE_NR - w % TILE_NR));
  for (size_t k = 0; k < nr; k++) {
    const double *src = y + (size_t)rows[k] * ldy;
    for (size_t j = 0; j < w; j++)
      zp[((j / TILE_NR) * nr + k) * TILE_NR + j % TILE_NR] = (float)std_value(src, cols, j, mean, scale);
  }
}

/* out (rowsS × w, row stride w) = s · Z, s read in place 6 rows at a time (its last rows, when rowsS is not a
   multiple of 6, from `last`: 6 × na, zero-padded), Z from its panels zp (na × w). */
static void tile_product(const sse_ctx *c, const float *zp, size_t w, float *last, float *out) {
  const size_t na = c->na, rowsS = c->rowsS;
  const size_t panels = (w + TILE_NR - 1) / TILE_NR;
  float tile[TILE_MR * TILE_NR] __attribute__((aligned(64)));
  for (size_t r0 = 0; r0 < rowsS; r0 += TILE_MR) {
    const size_t mr = rowsS - r0 < TILE_MR ? rowsS - r0 : TILE_MR;
    const float *a = c->s + r0 * na;
    if (mr < TILE_MR) {
      memset(last, 0, sizeof(float) * TILE_MR * na);
      memcpy(last, a, sizeof(float) * mr * na);
      a = last;
    }
    for (size_t q = 0; q < panels; q++) {
      const size_t j0 = q * TILE_NR;
      const size_t nc = w - j0 < TILE_NR ? w - j0 : TILE_NR;
      float *dst = out + r0 * w + j0;
      if (mr == TILE_MR && nc == TILE_NR) {
        nn_tile_6x64(na, a, na, 1, zp + q * na * TILE_NR, dst, w, false);
      } else {
        nn_tile_6x64(na, a, na, 1, zp + q * na * TILE_NR, tile, TILE_NR, false);
        for (size_t i = 0; i < mr; i++) memcpy(dst + i * w, tile + i * TILE_NR, nc * sizeof(float));
      }
    }
  }
}

/* Column blocks [k0, k1) of the units (block units each): gather, predictions, error sums. */
static void sse_blocks(void *arg, size_t k0, size_t k1) {
  sse_ctx *c = (sse_ctx *)arg;
  const size_t nA = c->nA, nv = c->nv, na = c->na, block = c->block;
  const size_t rowsS = c->rowsS;
  const size_t panels = (block + TILE_NR - 1) / TILE_NR;
  float *za = (float *)malloc(sizeof(float) * na * (c->tile ? panels * TILE_NR : block));
  float *last = c->tile ? (float *)malloc(sizeof(float) * TILE_MR * na) : NULL;
  float *p = (float *)malloc(sizeof(float) * nA * nv * block);
  float *q = c->coef ? (float *)malloc(sizeof(float) * rowsS * block) : NULL;
  double *yv = (double *)malloc(sizeof(double) * nv * block);
  double *mean = (double *)malloc(sizeof(double) * block);
  double *scale = (double *)malloc(sizeof(double) * block);
  if (!za || !p || !yv || !mean || !scale || (c->coef && !q) || (c->tile && !last)) {
    c->failed = 1;
  } else {
    for (size_t k = k0; k < k1 && !c->failed; k++) {
      const size_t c0 = k * block;
      const size_t w = c->b - c0 < block ? c->b - c0 : block;
      const int32_t *cols = c->cols + c0;
      column_scaling(c->y, c->ldy, c->train, na, cols, w, mean, scale);
      if (c->tile) {
        gather_std_panels(c->y, c->ldy, c->train, na, cols, w, mean, scale, za);
        tile_product(c, za, w, last, c->coef ? q : p);
      } else {
        gather_std(c->y, c->ldy, c->train, na, cols, w, mean, scale, za, NULL, w);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (blasint)rowsS, (blasint)w, (blasint)na, 1.0f, c->s,
                    (blasint)na, za, (blasint)w, 0.0f, c->coef ? q : p, (blasint)w);
      }
      double *sse0 = c->sse0 + c0;
      for (size_t i = 0; i < nv; i++) {
        const double *src = c->y + (size_t)c->val[i] * c->ldy;
        double *dst = yv + i * w;
        for (size_t j = 0; j < w; j++) {
          const double v = src[cols[j]] - mean[j];
          dst[j] = v;
          sse0[j] += v * v;
        }
      }
      const float *qg = q, *coef = c->coef;
      for (size_t g = 0; g < c->G; g++) {
        /* Basis form: Q_g (nB × (nv·w), block j = basis map j's predictions) → P = coef_g · Q_g, the
           layout of s · Z in the plain form ((nA·nv) × w, block a = penalty a). */
        if (c->coef) {
          const size_t nB = (size_t)c->nB[g];
          cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (blasint)nA, (blasint)(nv * w), (blasint)nB, 1.0f,
                      coef, (blasint)nB, qg, (blasint)(nv * w), 0.0f, p, (blasint)(nv * w));
          qg += nB * nv * w;
          coef += nA * nB;
        }
        for (size_t a = 0; a < nA; a++) add_squared_errors(c->sse + (g * nA + a) * c->b + c0, p + a * nv * w, yv, scale, nv, w);
      }
    }
  }
  free(za);
  free(last);
  free(p);
  free(q);
  free(yv);
  free(mean);
  free(scale);
}

static void sse_task(void *arg, char *err, size_t err_len) {
  sse_ctx *c = (sse_ctx *)arg;
  c->rowsS = 0;
  if (c->coef)
    for (size_t g = 0; g < c->G; g++) c->rowsS += (size_t)c->nB[g] * c->nv;
  else
    c->rowsS = c->nA * c->nv;
  parallel_for_blas1((c->b + c->block - 1) / c->block, c->threads, 0, sse_blocks, c);
  if (c->failed) snprintf(err, err_len, "ridgeInnerSse: out of memory");
}

/*
 * The arguments the α-search kernels share, y, ldy, train, val, cols, sse, sse0, block at argv[0..7]:
 * read and checked (y a whole number of rows, indices in range, non-empty folds, sse0 one value per
 * unit) into c's fold fields; *lsse is sse's length, for the caller to check against its rows.
 */
static bool fold_args(napi_env env, const char *fn, napi_value *argv, sse_ctx *c, size_t *lsse) {
  void *y, *sse, *sse0;
  size_t ly, lsse0, na, nv, b;
  blasint ldy, block;
  int32_t *train = NULL, *val = NULL, *cols = NULL;
  if (!get_float_array(env, argv[0], fn, "y", napi_float64_array, &y, &ly, NULL) || !get_dim(env, argv[1], fn, "ldy", &ldy))
    return false;
  if (!get_i32(env, argv[2], fn, "train", &train, &na) || !get_i32(env, argv[3], fn, "val", &val, &nv) ||
      !get_i32(env, argv[4], fn, "cols", &cols, &b))
    return false;
  if (!get_float_array(env, argv[5], fn, "sse", napi_float64_array, &sse, lsse, NULL) ||
      !get_float_array(env, argv[6], fn, "sse0", napi_float64_array, &sse0, &lsse0, NULL) ||
      !get_dim(env, argv[7], fn, "block", &block))
    return false;
  if (ldy < 1 || ly % (size_t)ldy != 0) return range_error(env, fn, "argument 'y' is not a whole number of rows of ldy values");
  if (na == 0 || nv == 0 || block < 1) return range_error(env, fn, "train, val and block must be non-empty");
  const size_t nrows = ly / (size_t)ldy;
  if (!check_index(env, fn, "train", train, na, nrows) || !check_index(env, fn, "val", val, nv, nrows) ||
      !check_index(env, fn, "cols", cols, b, (size_t)ldy) || !check_len(env, fn, "sse0", lsse0, b, 1))
    return false;
  c->y = (const double *)y;
  c->ldy = (size_t)ldy;
  c->train = train;
  c->val = val;
  c->cols = cols;
  c->na = na;
  c->nv = nv;
  c->b = b;
  c->block = (size_t)block;
  c->sse = (double *)sse;
  c->sse0 = (double *)sse0;
  return true;
}

/* ridgeInnerSse(s, nA, y, ldy, train, val, cols, sse, sse0, block) */
static napi_value js_inner_sse(napi_env env, napi_callback_info info) {
  const char *fn = "ridgeInnerSse";
  napi_value argv[10];
  if (!get_args(env, info, fn, 10, argv)) return NULL;
  void *s;
  size_t ls, lsse;
  blasint nA;
  sse_ctx f = {0};
  if (!get_float_array(env, argv[0], fn, "s", napi_float32_array, &s, &ls, NULL) || !get_dim(env, argv[1], fn, "nA", &nA) ||
      !fold_args(env, fn, argv + 2, &f, &lsse))
    return NULL;
  if (nA < 1) return range_error(env, fn, "nA must be at least 1"), NULL;
  if (!check_len(env, fn, "s", ls, (size_t)nA * f.nv, f.na) || !check_len(env, fn, "sse", lsse, (size_t)nA, f.b)) return NULL;
  sse_ctx *c = (sse_ctx *)calloc(1, sizeof(sse_ctx));
  if (!c) return range_error(env, fn, "out of memory"), NULL;
  *c = f;
  c->s = (const float *)s;
  c->G = 1;
  c->nA = (size_t)nA;
  c->threads = 1;
  napi_value keep[8] = {argv[0], argv[2], argv[4], argv[5], argv[6], argv[7], argv[8]};
  return submit_task(env, sse_task, c, "brainmap:ridgeInnerSse", keep, 7);
}

/* ridgeInnerSseBasis(s, nB, coef, nA, y, ldy, train, val, cols, sse, sse0, block) */
static napi_value js_inner_sse_basis(napi_env env, napi_callback_info info) {
  const char *fn = "ridgeInnerSseBasis";
  napi_value argv[12];
  if (!get_args(env, info, fn, 12, argv)) return NULL;
  void *s, *coef;
  size_t ls, lc, lsse;
  blasint nB, nA;
  sse_ctx f = {0};
  if (!get_float_array(env, argv[0], fn, "s", napi_float32_array, &s, &ls, NULL) || !get_dim(env, argv[1], fn, "nB", &nB) ||
      !get_float_array(env, argv[2], fn, "coef", napi_float32_array, &coef, &lc, NULL) || !get_dim(env, argv[3], fn, "nA", &nA) ||
      !fold_args(env, fn, argv + 4, &f, &lsse))
    return NULL;
  if (nB < 1 || nA < 1) return range_error(env, fn, "nB and nA must be at least 1"), NULL;
  if (!check_len(env, fn, "s", ls, (size_t)nB * f.nv, f.na) || !check_len(env, fn, "coef", lc, (size_t)nA, (size_t)nB) ||
      !check_len(env, fn, "sse", lsse, (size_t)nA, f.b))
    return NULL;
  sse_ctx *c = (sse_ctx *)calloc(1, sizeof(sse_ctx));
  if (!c) return range_error(env, fn, "out of memory"), NULL;
  *c = f;
  c->s = (const float *)s;
  c->coef = (const float *)coef;
  c->nB1 = (int32_t)nB;
  c->nB = &c->nB1;
  c->G = 1;
  c->nA = (size_t)nA;
  c->threads = 1;
  napi_value keep[8] = {argv[0], argv[2], argv[4], argv[6], argv[7], argv[8], argv[9], argv[10]};
  return submit_task(env, sse_task, c, "brainmap:ridgeInnerSseBasis", keep, 8);
}

/* ridgeInnerSseGroups(s, nB, coef, nA, y, ldy, train, val, cols, sse, sse0, block, threads) */
static napi_value js_inner_sse_groups(napi_env env, napi_callback_info info) {
  const char *fn = "ridgeInnerSseGroups";
  napi_value argv[13];
  if (!get_args(env, info, fn, 13, argv)) return NULL;
  void *s, *coef;
  size_t ls, lc, lsse, G;
  blasint nA, threads;
  int32_t *nB = NULL;
  sse_ctx f = {0};
  if (!get_float_array(env, argv[0], fn, "s", napi_float32_array, &s, &ls, NULL) || !get_i32(env, argv[1], fn, "nB", &nB, &G) ||
      !get_float_array(env, argv[2], fn, "coef", napi_float32_array, &coef, &lc, NULL) || !get_dim(env, argv[3], fn, "nA", &nA) ||
      !fold_args(env, fn, argv + 4, &f, &lsse) || !get_dim(env, argv[12], fn, "threads", &threads))
    return NULL;
  if (G == 0 || nA < 1 || threads < 1) return range_error(env, fn, "nB must be non-empty, nA and threads at least 1"), NULL;
  size_t sumB = 0;
  for (size_t g = 0; g < G; g++) {
    if (nB[g] < 1) return range_error(env, fn, "every group needs at least one basis map (nB ≥ 1)"), NULL;
    sumB += (size_t)nB[g];
  }
  if (!check_len(env, fn, "s", ls, sumB * f.nv, f.na) || !check_len(env, fn, "coef", lc, (size_t)nA, sumB) ||
      !check_len(env, fn, "sse", lsse, G * (size_t)nA, f.b))
    return NULL;
  sse_ctx *c = (sse_ctx *)calloc(1, sizeof(sse_ctx));
  if (!c) return range_error(env, fn, "out of memory"), NULL;
  *c = f;
  c->s = (const float *)s;
  c->coef = (const float *)coef;
  c->nB = nB;
  c->G = G;
  c->nA = (size_t)nA;
  c->threads = (int)threads;
  c->tile = nn_tile_available();
  napi_value keep[9] = {argv[0], argv[1], argv[2], argv[4], argv[6], argv[7], argv[8], argv[9], argv[10]};
  return submit_task(env, sse_task, c, "brainmap:ridgeInnerSseGroups", keep, 9);
}

bool ridge_register(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"ridgeGather", NULL, js_gather, NULL, NULL, NULL, napi_enumerable, NULL},
      {"ridgeInnerSse", NULL, js_inner_sse, NULL, NULL, NULL, napi_enumerable, NULL},
      {"ridgeInnerSseBasis", NULL, js_inner_sse_basis, NULL, NULL, NULL, napi_enumerable, NULL},
      {"ridgeInnerSseGroups", NULL, js_inner_sse_groups, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) {
    throw_last(env, "napi_define_properties");
    return false;
  }
  return true;
}
