/*
 * Float32 kernels of the GPT-2 forward pass and the seeded normal generator of untrained weights,
 * each one call over a whole activation matrix, run on the libuv thread pool (promise) and split
 * across `threads` POSIX threads. Definitions (and the TypeScript versions that give the same
 * results to float32 rounding) are in src/linalg/nn.ts.
 *
 * JS surface (added to the addon's exports; see src/linalg/native.ts):
 *   nnLayerNorm(x, out, rows, d, w, b, eps, threads)                      -> Promise<void>
 *       out[i,:] = (x[i,:] − mean)/√(var + eps)·w + b, mean and var summed in float64 in order.
 *   nnBiasAct(x, rows, n, bias, act, threads)                             -> Promise<void>
 *       x[i,j] ← act(x[i,j] + bias[j]); act 0: identity, 1: GELU (tanh form), 2: ReLU.
 *   nnCausalAttention(qkv, offsets, out, d, nHead, scale, threads)        -> Promise<void>
 *       qkv: R × 3d rows [q | k | v] (heads contiguous in each); offsets: Int32Array of sequence
 *       starts (length nseq + 1, last = R); out (R × d) row r of sequence s, head h =
 *       Σ_{j ≤ i} softmax_j(scale·q_i·k_j) v_j.
 *   nnFillNormal(out, seed, tensor, chunk, firstChunk, std, threads[, packK, packN]) -> Promise<void>
 *       out[c·chunk + i] = float32(std · numpy RandomState([seed, tensor, firstChunk + c])
 *       .standard_normal(chunk)[i]) (the last chunk may be short); with packK > 0 the values (of a
 *       packK × packN matrix, row-major order) are written in nnPack's layout instead.
 *   nnPack(w, k, n, out, threads)                                         -> Promise<void>
 *       W (k × n row-major) into 64-column panels for nnLinear (length ceil(n/64)·64·k).
 *   nnLinear(x, m, k, w, n, bias, out, accumulate, act, threads)          -> Promise<void>
 *       out (m × n) = act(x·W + bias), or out += x·W + bias (accumulate, act 0); W packed.
 *   nnLinearAvailable()                                                   -> boolean (AVX-512F)
 *   nnAlloc(length)                                 -> Float32Array of zeros, 64-byte aligned storage
 *
 * The sums, products and roundings are written out in a fixed order and the build disables
 * floating-point contraction (-ffp-contract=off), so results do not depend on the thread count.
 */
#define _DEFAULT_SOURCE /* mmap/madvise flags under -std=c11 */
#include "brainmap_native.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__linux__)
#include <sys/mman.h>
#endif

/* Hot loops get AVX-512 / AVX2 clones picked at load time (GCC on x86-64 with ifunc support). */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define NN_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define NN_CLONES
#endif

/* ---------------------------------------------------------------------------------------------- */
/* a tiny fork-join over POSIX threads                                                              */

typedef struct {
  range_fn fn;
  void *ctx;
  size_t n;        /* work items */
  size_t grain;    /* items taken at a time (dynamic) or 0 for static contiguous ranges */
  int nthreads;
  atomic_size_t next;
} pool_t;

typedef struct {
  pool_t *pool;
  int index;
} worker_t;

static void *pool_worker(void *arg) {
  worker_t *w = (worker_t *)arg;
  pool_t *p = w->pool;
  if (p->grain == 0) {
    size_t per = (p->n + (size_t)p->nthreads - 1) / (size_t)p->nthreads;
    size_t b = (size_t)w->index * per;
    size_t e = b + per < p->n ? b + per : p->n;
    if (b < e) p->fn(p->ctx, b, e);
  } else {
    for (;;) {
      size_t b = atomic_fetch_add(&p->next, p->grain);
      if (b >= p->n) break;
      size_t e = b + p->grain < p->n ? b + p->grain : p->n;
      p->fn(p->ctx, b, e);
    }
  }
  return NULL;
}

/* parallel_for: see brainmap_native.h. */
void parallel_for(size_t n, int threads, size_t grain, range_fn fn, void *ctx) {
  if (n == 0) return;
  if (threads < 1) threads = 1;
  if (threads > 64) threads = 64;
  if ((size_t)threads > n) threads = (int)n;
  pool_t pool = {fn, ctx, n, grain, threads, 0};
  atomic_init(&pool.next, 0);
  pthread_t tids[64];
  worker_t workers[64];
  int started = 0;
  for (int t = 1; t < threads; t++) {
    workers[t].pool = &pool;
    workers[t].index = t;
    if (pthread_create(&tids[t], NULL, pool_worker, &workers[t]) != 0) break;
    started = t;
  }
  if (started < threads - 1) {
    /* Could not start every thread: the static split needs all indices, so shrink the pool only
     * for dynamic scheduling; for static ranges run the missing ranges here. */
    if (grain == 0) {
      for (int t = started + 1; t < threads; t++) {
        workers[t].pool = &pool;
        workers[t].index = t;
        pool_worker(&workers[t]);
      }
    }
  }
  workers[0].pool = &pool;
  workers[0].index = 0;
  pool_worker(&workers[0]);
  for (int t = 1; t <= started; t++) pthread_join(tids[t], NULL);
}

/* ---------------------------------------------------------------------------------------------- */
/* exp for float32, vectorisable (Cephes expf: round-to-nearest range reduction, degree-6 polynomial) */

static inline float nn_expf(float x) {
  x = x < -87.3f ? -87.3f : x;
  x = x > 88.3f ? 88.3f : x;
  const float t = x * 1.44269504088896341f;
  const float fx = (t + 12582912.0f) - 12582912.0f; /* round to nearest */
  float r = x - fx * 0.693359375f;
  r = r - fx * -2.12194440e-4f;
  const float r2 = r * r;
  float y = 1.9875691500e-4f;
  y = y * r + 1.3981999507e-3f;
  y = y * r + 8.3334519073e-3f;
  y = y * r + 4.1665795894e-2f;
  y = y * r + 1.6666665459e-1f;
  y = y * r + 5.0000001201e-1f;
  y = y * r2 + r + 1.0f;
  union {
    int32_t i;
    float f;
  } u;
  u.i = ((int32_t)fx + 127) << 23;
  return y * u.f;
}

/* ---------------------------------------------------------------------------------------------- */
/* layer norm                                                                                       */

typedef struct {
  const float *x;
  float *out;
  const float *w, *b;
  size_t rows, d;
  double eps;
  int threads;
} ln_ctx;

NN_CLONES static void ln_rows(void *arg, size_t begin, size_t end) {
  const ln_ctx *c = (const ln_ctx *)arg;
  const size_t d = c->d;
  for (size_t i = begin; i < end; i++) {
    const float *x = c->x + i * d;
    float *o = c->out + i * d;
    /* Eight partial sums (element j goes to lane j mod 8), combined pairwise: the order of
     * src/linalg/nn.ts, and independent lanes that vectorise. */
    double s8[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    size_t j8 = d - d % 8;
    for (size_t j = 0; j < j8; j += 8)
      for (int l = 0; l < 8; l++) s8[l] += x[j + l];
    for (size_t j = j8; j < d; j++) s8[j - j8] += x[j];
    const double mean = (((s8[0] + s8[1]) + (s8[2] + s8[3])) + ((s8[4] + s8[5]) + (s8[6] + s8[7]))) / (double)d;
    double v8[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (size_t j = 0; j < j8; j += 8)
      for (int l = 0; l < 8; l++) {
        const double q = x[j + l] - mean;
        v8[l] += q * q;
      }
    for (size_t j = j8; j < d; j++) {
      const double q = x[j] - mean;
      v8[j - j8] += q * q;
    }
    const double v = ((v8[0] + v8[1]) + (v8[2] + v8[3])) + ((v8[4] + v8[5]) + (v8[6] + v8[7]));
    const double inv = 1 / sqrt(v / (double)d + c->eps);
    for (size_t j = 0; j < d; j++) o[j] = (float)((x[j] - mean) * inv * c->w[j] + c->b[j]);
  }
}

static void ln_task(void *arg, char *err, size_t err_len) {
  (void)err;
  (void)err_len;
  ln_ctx *c = (ln_ctx *)arg;
  parallel_for(c->rows, c->rows * c->d < 65536 ? 1 : c->threads, 0, ln_rows, c);
}

/* ---------------------------------------------------------------------------------------------- */
/* bias + activation                                                                                */

typedef struct {
  float *x;
  const float *bias;
  size_t rows, n;
  int act;
  int threads;
} act_ctx;

/* x[j] ← act(x[j] + bias[j]) for one row of n values. GELU, tanh form:
 * 0.5·v·(1 + tanh(u)) = v / (1 + exp(−2u)), u = √(2/π)·(v + 0.044715·v³). */
NN_CLONES static void act_row(float *x, const float *bias, size_t n, int act) {
  if (act == 1) {
    for (size_t j = 0; j < n; j++) {
      const float v = x[j] + bias[j];
      const float t = -2.0f * (0.7978845608028654f * (v + 0.044715f * v * v * v));
      /* t > 88: exp(t) overflows float32 and GELU(v) is 0 (from below) to float32 precision. */
      const float g = v / (1.0f + nn_expf(t));
      x[j] = t > 88.0f ? -0.0f : g;
    }
  } else if (act == 2) {
    for (size_t j = 0; j < n; j++) {
      const float v = x[j] + bias[j];
      x[j] = v > 0.0f ? v : 0.0f;
    }
  } else {
    for (size_t j = 0; j < n; j++) x[j] = x[j] + bias[j];
  }
}

static void act_rows(void *arg, size_t begin, size_t end) {
  const act_ctx *c = (const act_ctx *)arg;
  for (size_t i = begin; i < end; i++) act_row(c->x + i * c->n, c->bias, c->n, c->act);
}

static void act_task(void *arg, char *err, size_t err_len) {
  (void)err;
  (void)err_len;
  act_ctx *c = (act_ctx *)arg;
  parallel_for(c->rows, c->rows * c->n < 65536 ? 1 : c->threads, 0, act_rows, c);
}

/* ---------------------------------------------------------------------------------------------- */
/* causal attention                                                                                 */

typedef struct {
  const float *qkv;
  float *out;
  const int32_t *offsets;
  size_t nseq, d, heads, maxT;
  float scale;
  int threads;
} att_ctx;

/*
 * One (sequence, head): K transposed into kt (hd × T) once, then per query row i the scores
 * s_j = scale·Σ_c q_c·k_jc (j ≤ i; axpy over j, summed over c in order), p = softmax(s), and
 * out_i = (Σ_j e_j v_j)/Σ_j e_j.
 */
NN_CLONES static void att_one(const att_ctx *c, size_t s, size_t h, float *kt, float *sc, float *acc) {
  const size_t d = c->d, hd = d / c->heads, stride = 3 * d;
  const size_t r0 = (size_t)c->offsets[s];
  const size_t T = (size_t)c->offsets[s + 1] - r0;
  const float scale = c->scale;
  const float *base = c->qkv + r0 * stride;
  for (size_t j = 0; j < T; j++) {
    const float *k = base + j * stride + d + h * hd;
    for (size_t q = 0; q < hd; q++) kt[q * T + j] = k[q];
  }
  for (size_t i = 0; i < T; i++) {
    const float *q = base + i * stride + h * hd;
    const size_t n = i + 1;
    for (size_t j = 0; j < n; j++) sc[j] = 0.0f;
    for (size_t q_ = 0; q_ < hd; q_++) {
      const float qc = q[q_];
      const float *kr = kt + q_ * T;
      for (size_t j = 0; j < n; j++) sc[j] += qc * kr[j];
    }
    float mx = -INFINITY;
    for (size_t j = 0; j < n; j++) {
      sc[j] *= scale;
      mx = sc[j] > mx ? sc[j] : mx;
    }
    for (size_t j = 0; j < n; j++) sc[j] = nn_expf(sc[j] - mx);
    double sum = 0;
    for (size_t j = 0; j < n; j++) sum += sc[j];
    for (size_t q_ = 0; q_ < hd; q_++) acc[q_] = 0.0f;
    for (size_t j = 0; j < n; j++) {
      const float p = sc[j];
      const float *v = base + j * stride + 2 * d + h * hd;
      for (size_t q_ = 0; q_ < hd; q_++) acc[q_] += p * v[q_];
    }
    const float inv = (float)(1.0 / sum);
    float *o = c->out + (r0 + i) * d + h * hd;
    for (size_t q_ = 0; q_ < hd; q_++) o[q_] = acc[q_] * inv;
  }
}

static void att_range(void *arg, size_t begin, size_t end) {
  const att_ctx *c = (const att_ctx *)arg;
  const size_t hd = c->d / c->heads;
  float *scratch = (float *)malloc((c->maxT * hd + c->maxT + hd + 64) * sizeof(float));
  if (!scratch) return; /* reported by the caller's pre-check; cannot happen for sane sizes */
  float *kt = scratch, *sc = kt + c->maxT * hd, *acc = sc + c->maxT + 16;
  for (size_t t = begin; t < end; t++) att_one(c, t / c->heads, t % c->heads, kt, sc, acc);
  free(scratch);
}

static void att_task(void *arg, char *err, size_t err_len) {
  att_ctx *c = (att_ctx *)arg;
  /* Probe the per-thread scratch size once so an allocation failure is reported, not ignored. */
  void *probe = malloc((c->maxT * (c->d / c->heads) + c->maxT + c->d / c->heads + 64) * sizeof(float));
  if (!probe) {
    snprintf(err, err_len, "nnCausalAttention: out of memory for a %zu-token scratch", c->maxT);
    return;
  }
  free(probe);
  parallel_for(c->nseq * c->heads, c->threads, 1, att_range, c);
}

/* ---------------------------------------------------------------------------------------------- */
/* linear layer on pre-packed weights: out = act(x·W + b), or out += x·W + b                         */
/*                                                                                                  */
/* W (K × N, row-major [in, out]) is packed once into panels of 64 columns: panel q holds columns   */
/* 64q … 64q+63 as K rows of 64 floats (zero-padded past N), panels one after another. The product   */
/* is blocked GotoBLAS-style (KC-deep slices, MC-row blocks of x packed 6 rows at a time) around a   */
/* 6 × 64 AVX-512 register tile; threads take contiguous ranges of panels, so every output element   */
/* is summed in the same order whatever the thread count: k in order within a KC slice, slices      */
/* added to the running tile in order, then the bias, then the activation (or, accumulating, the    */
/* finished x·W + b added to out).                                                                  */

#define LIN_NR 64
#define LIN_MR 6
#define LIN_KC 256
#define LIN_MC 96 /* a multiple of LIN_MR */

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define NN_HAVE_LINEAR 1
#include <immintrin.h>
#else
#define NN_HAVE_LINEAR 0
#endif

/* Whether nnLinear runs here (x86-64 with AVX-512F). */
bool nn_tile_available(void) {
#if NN_HAVE_LINEAR
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f");
#else
  return false;
#endif
}

static size_t lin_packed_len(size_t k, size_t n) { return (n + LIN_NR - 1) / LIN_NR * LIN_NR * k; }

/* Index of W[k, j] (row-major K × N) in the packed layout. */
static inline size_t lin_packed_index(size_t K, size_t k, size_t j) {
  return ((j / LIN_NR) * K + k) * LIN_NR + j % LIN_NR;
}

typedef struct {
  const float *w;
  float *out;
  size_t k, n;
  int threads;
} pack_ctx;

static void pack_panels(void *arg, size_t q0, size_t q1) {
  const pack_ctx *c = (const pack_ctx *)arg;
  for (size_t q = q0; q < q1; q++) {
    const size_t j0 = q * LIN_NR;
    const size_t nc = c->n - j0 < LIN_NR ? c->n - j0 : LIN_NR;
    for (size_t k = 0; k < c->k; k++) {
      float *dst = c->out + (q * c->k + k) * LIN_NR;
      memcpy(dst, c->w + k * c->n + j0, nc * sizeof(float));
      for (size_t j = nc; j < LIN_NR; j++) dst[j] = 0.0f;
    }
  }
}

static void pack_task(void *arg, char *err, size_t err_len) {
  (void)err;
  (void)err_len;
  pack_ctx *c = (pack_ctx *)arg;
  parallel_for((c->n + LIN_NR - 1) / LIN_NR, c->threads, 0, pack_panels, c);
}

/* o[j] ← o[j] + (s[j] + bias[j]): a finished x·W row added to the residual stream, in HF's order. */
NN_CLONES static void residual_row(float *o, const float *s, const float *bias, size_t n) {
  for (size_t j = 0; j < n; j++) o[j] = o[j] + (s[j] + bias[j]);
}

typedef struct {
  const float *x;
  const float *w; /* packed */
  const float *bias;
  float *out;
  float *scratch; /* accumulate: x·W is summed here (m × n), then added to out tile by tile */
  size_t m, k, n;
  bool accumulate;
  int act;
  int threads;
  atomic_int failed;
} lin_ctx;

#if NN_HAVE_LINEAR
/* c (6 × 64 tile, row stride ldc) = (load ? c : 0) + Σ_k a[i·as + k·ks]·b[k·64 + j] over kc steps: a packed
   6-row micro-panel (as = 1, ks = 6) or 6 rows of a row-major matrix (as = its row stride, ks = 1). */
__attribute__((target("avx512f"), always_inline)) static inline void lin_tile_strided(size_t kc, const float *a, size_t as,
                                                                                      size_t ks, const float *b, float *c,
                                                                                      size_t ldc, bool load) {
  __m512 c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33, c40, c41, c42, c43, c50, c51,
      c52, c53;
  if (load) {
#define LIN_LD(i)                              \
  c##i##0 = _mm512_loadu_ps(c + i * ldc);      \
  c##i##1 = _mm512_loadu_ps(c + i * ldc + 16); \
  c##i##2 = _mm512_loadu_ps(c + i * ldc + 32); \
  c##i##3 = _mm512_loadu_ps(c + i * ldc + 48);
    LIN_LD(0) LIN_LD(1) LIN_LD(2) LIN_LD(3) LIN_LD(4) LIN_LD(5)
#undef LIN_LD
  } else {
    c00 = c01 = c02 = c03 = c10 = c11 = c12 = c13 = c20 = c21 = c22 = c23 = _mm512_setzero_ps();
    c30 = c31 = c32 = c33 = c40 = c41 = c42 = c43 = c50 = c51 = c52 = c53 = _mm512_setzero_ps();
  }
  for (size_t k = 0; k < kc; k++) {
    const __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16), b2 = _mm512_loadu_ps(b + 32),
                 b3 = _mm512_loadu_ps(b + 48);
    __m512 x;
#define LIN_FMA(i)                          \
  x = _mm512_set1_ps(a[i * as]);            \
  c##i##0 = _mm512_fmadd_ps(x, b0, c##i##0); \
  c##i##1 = _mm512_fmadd_ps(x, b1, c##i##1); \
  c##i##2 = _mm512_fmadd_ps(x, b2, c##i##2); \
  c##i##3 = _mm512_fmadd_ps(x, b3, c##i##3);
    LIN_FMA(0) LIN_FMA(1) LIN_FMA(2) LIN_FMA(3) LIN_FMA(4) LIN_FMA(5)
#undef LIN_FMA
    a += ks;
    b += LIN_NR;
  }
#define LIN_ST(i)                             \
  _mm512_storeu_ps(c + i * ldc, c##i##0);      \
  _mm512_storeu_ps(c + i * ldc + 16, c##i##1); \
  _mm512_storeu_ps(c + i * ldc + 32, c##i##2); \
  _mm512_storeu_ps(c + i * ldc + 48, c##i##3);
  LIN_ST(0) LIN_ST(1) LIN_ST(2) LIN_ST(3) LIN_ST(4) LIN_ST(5)
#undef LIN_ST
}

/* lin_tile_strided on a packed 6-row micro-panel (a[k·6 + i]). */
__attribute__((target("avx512f"))) static void lin_tile(size_t kc, const float *a, const float *b, float *c, size_t ldc,
                                                         bool load) {
  lin_tile_strided(kc, a, 1, LIN_MR, b, c, ldc, load);
}

/* Panels q0 … q1−1 of the output (all rows). */
static void lin_panels(void *arg, size_t q0, size_t q1) {
  lin_ctx *L = (lin_ctx *)arg;
  const size_t M = L->m, K = L->k, N = L->n;
  float *ap = (float *)aligned_alloc(64, LIN_MC * LIN_KC * sizeof(float));
  if (!ap) {
    atomic_store(&L->failed, 1);
    return;
  }
  float tile[LIN_MR * LIN_NR] __attribute__((aligned(64)));
  for (size_t pc = 0; pc < K; pc += LIN_KC) {
    const size_t kc = K - pc < LIN_KC ? K - pc : LIN_KC;
    const bool last = pc + kc == K;
    const bool load = pc > 0;
    for (size_t ic = 0; ic < M; ic += LIN_MC) {
      const size_t mc = M - ic < LIN_MC ? M - ic : LIN_MC;
      /* Pack x[ic … ic+mc−1, pc … pc+kc−1] in 6-row micro-panels: ap[r0·kc + k·6 + i]. */
      for (size_t r0 = 0; r0 < mc; r0 += LIN_MR) {
        float *dst = ap + r0 * kc;
        for (size_t i = 0; i < LIN_MR; i++) {
          if (r0 + i < mc) {
            const float *src = L->x + (ic + r0 + i) * K + pc;
            for (size_t k = 0; k < kc; k++) dst[k * LIN_MR + i] = src[k];
          } else {
            for (size_t k = 0; k < kc; k++) dst[k * LIN_MR + i] = 0.0f;
          }
        }
      }
      for (size_t q = q0; q < q1; q++) {
        const float *bp = L->w + (q * K + pc) * LIN_NR;
        const size_t j0 = q * LIN_NR;
        const size_t nc = N - j0 < LIN_NR ? N - j0 : LIN_NR;
        for (size_t r0 = 0; r0 < mc; r0 += LIN_MR) {
          const size_t nr = mc - r0 < LIN_MR ? mc - r0 : LIN_MR;
          float *c = (L->scratch ? L->scratch : L->out) + (ic + r0) * N + j0;
          if (nr == LIN_MR && nc == LIN_NR) {
            lin_tile(kc, ap + r0 * kc, bp, c, N, load);
          } else {
            if (load) {
              memset(tile, 0, sizeof tile);
              for (size_t i = 0; i < nr; i++) memcpy(tile + i * LIN_NR, c + i * N, nc * sizeof(float));
            }
            lin_tile(kc, ap + r0 * kc, bp, tile, LIN_NR, load);
            for (size_t i = 0; i < nr; i++) memcpy(c + i * N, tile + i * LIN_NR, nc * sizeof(float));
          }
          if (last && L->scratch) {
            float *o = L->out + (ic + r0) * N + j0;
            for (size_t i = 0; i < nr; i++) residual_row(o + i * N, c + i * N, L->bias + j0, nc);
          } else if (last) {
            for (size_t i = 0; i < nr; i++) act_row(c + i * N, L->bias + j0, nc, L->act);
          }
        }
      }
    }
  }
  free(ap);
}
#endif

#if NN_HAVE_LINEAR
__attribute__((target("avx512f"))) void nn_tile_6x64(size_t kc, const float *a, size_t as, size_t ks, const float *b, float *c,
                                                     size_t ldc, bool load) {
  lin_tile_strided(kc, a, as, ks, b, c, ldc, load);
}
#else
void nn_tile_6x64(size_t kc, const float *a, size_t as, size_t ks, const float *b, float *c, size_t ldc, bool load) {
  /* Never called (nn_tile_available() is false here); the same sums, for completeness. */
  for (size_t i = 0; i < LIN_MR; i++)
    for (size_t j = 0; j < LIN_NR; j++) {
      float v = load ? c[i * ldc + j] : 0.0f;
      for (size_t k = 0; k < kc; k++) v += a[i * as + k * ks] * b[k * LIN_NR + j];
      c[i * ldc + j] = v;
    }
}
#endif

static void lin_task(void *arg, char *err, size_t err_len) {
  lin_ctx *L = (lin_ctx *)arg;
  if (L->m == 0 || L->n == 0) return;
  if (L->k == 0) {
    for (size_t i = 0; i < L->m; i++) {
      float *row = L->out + i * L->n;
      if (!L->accumulate) memset(row, 0, L->n * sizeof(float));
      act_row(row, L->bias, L->n, L->act);
    }
    return;
  }
#if NN_HAVE_LINEAR
  /* Accumulating: sum x·W apart from the residual stream (adding products one by one to the much
   * larger residual would round each at its scale), then out += x·W + b per finished tile. */
  if (L->accumulate) {
    L->scratch = (float *)malloc(L->m * L->n * sizeof(float));
    if (!L->scratch) {
      snprintf(err, err_len, "nnLinear: out of memory for a %zu × %zu scratch", L->m, L->n);
      return;
    }
  }
  parallel_for((L->n + LIN_NR - 1) / LIN_NR, L->threads, 0, lin_panels, L);
  free(L->scratch);
  L->scratch = NULL;
  if (atomic_load(&L->failed)) snprintf(err, err_len, "nnLinear: out of memory for the packing buffer");
#else
  snprintf(err, err_len, "nnLinear: not available on this CPU");
#endif
}

/* ---------------------------------------------------------------------------------------------- */
/* MT19937 (numpy's init_by_array) + legacy polar Box–Muller, with fdlibm's log so the values equal  */
/* the TypeScript generator (V8's Math.log is fdlibm's) bit for bit                                 */

#define MT_N 624
#define MT_M 397

typedef struct {
  uint32_t mt[MT_N];
  uint32_t out[MT_N]; /* tempered outputs of the current state */
  int pos;
} mt_state;

static void mt_seed(mt_state *st, uint32_t s) {
  st->mt[0] = s;
  for (int i = 1; i < MT_N; i++) st->mt[i] = 1812433253u * (st->mt[i - 1] ^ (st->mt[i - 1] >> 30)) + (uint32_t)i;
  st->pos = MT_N;
}

static void mt_init_by_array(mt_state *st, const uint32_t *key, int len) {
  mt_seed(st, 19650218u);
  uint32_t *mt = st->mt;
  int i = 1, j = 0;
  for (int k = MT_N > len ? MT_N : len; k > 0; k--) {
    mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >> 30)) * 1664525u)) + key[j] + (uint32_t)j;
    i++;
    j++;
    if (i >= MT_N) {
      mt[0] = mt[MT_N - 1];
      i = 1;
    }
    if (j >= len) j = 0;
  }
  for (int k = MT_N - 1; k > 0; k--) {
    mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >> 30)) * 1566083941u)) - (uint32_t)i;
    i++;
    if (i >= MT_N) {
      mt[0] = mt[MT_N - 1];
      i = 1;
    }
  }
  mt[0] = 0x80000000u;
  st->pos = MT_N;
}

/* Next 624 words of the state, tempered into st->out (the tempering loop vectorises). */
NN_CLONES static void mt_refill(mt_state *st) {
  uint32_t *mt = st->mt;
  int kk = 0;
  uint32_t y;
  for (; kk < MT_N - MT_M; kk++) {
    y = (mt[kk] & 0x80000000u) | (mt[kk + 1] & 0x7fffffffu);
    mt[kk] = mt[kk + MT_M] ^ (y >> 1) ^ ((y & 1u) ? 0x9908b0dfu : 0u);
  }
  for (; kk < MT_N - 1; kk++) {
    y = (mt[kk] & 0x80000000u) | (mt[kk + 1] & 0x7fffffffu);
    mt[kk] = mt[kk + (MT_M - MT_N)] ^ (y >> 1) ^ ((y & 1u) ? 0x9908b0dfu : 0u);
  }
  y = (mt[MT_N - 1] & 0x80000000u) | (mt[0] & 0x7fffffffu);
  mt[MT_N - 1] = mt[MT_M - 1] ^ (y >> 1) ^ ((y & 1u) ? 0x9908b0dfu : 0u);
  for (int k = 0; k < MT_N; k++) {
    uint32_t t = mt[k];
    t ^= t >> 11;
    t ^= (t << 7) & 0x9d2c5680u;
    t ^= (t << 15) & 0xefc60000u;
    t ^= t >> 18;
    st->out[k] = t;
  }
  st->pos = 0;
}

static inline uint32_t mt_next(mt_state *st) {
  if (st->pos >= MT_N) mt_refill(st);
  return st->out[st->pos++];
}

static inline double mt_double(mt_state *st) {
  const uint32_t a = mt_next(st) >> 5, b = mt_next(st) >> 6;
  return ((double)a * 67108864.0 + (double)b) / 9007199254740992.0;
}

/* fdlibm e_log.c (Sun Microsystems, freely redistributable), as V8's base::ieee754::log. */
static double fdlibm_log(double x) {
  static const double ln2_hi = 6.93147180369123816490e-01, ln2_lo = 1.90821492927058770002e-10,
                      two54 = 1.80143985094819840000e+16, Lg1 = 6.666666666666735130e-01,
                      Lg2 = 3.999999999940941908e-01, Lg3 = 2.857142874366239149e-01,
                      Lg4 = 2.222219843214978396e-01, Lg5 = 1.818357216161805012e-01,
                      Lg6 = 1.531383769920937332e-01, Lg7 = 1.479819860511658591e-01;
  union {
    double d;
    uint64_t u;
  } ux;
  ux.d = x;
  int32_t hx = (int32_t)(ux.u >> 32);
  uint32_t lx = (uint32_t)ux.u;
  int32_t k = 0;
  if (hx < 0x00100000) {
    if (((hx & 0x7fffffff) | (int32_t)lx) == 0) return -INFINITY;
    if (hx < 0) return NAN;
    k -= 54;
    x *= two54;
    ux.d = x;
    hx = (int32_t)(ux.u >> 32);
  }
  if (hx >= 0x7ff00000) return x + x;
  k += (hx >> 20) - 1023;
  hx &= 0x000fffff;
  int32_t i = (hx + 0x95f64) & 0x100000;
  ux.d = x;
  ux.u = (ux.u & 0xffffffffull) | ((uint64_t)(uint32_t)(hx | (i ^ 0x3ff00000)) << 32);
  x = ux.d;
  k += (i >> 20);
  const double f = x - 1.0;
  double dk;
  if ((0x000fffff & (2 + hx)) < 3) {
    if (f == 0.0) {
      if (k == 0) return 0.0;
      dk = (double)k;
      return dk * ln2_hi + dk * ln2_lo;
    }
    const double R = f * f * (0.5 - 0.33333333333333333 * f);
    if (k == 0) return f - R;
    dk = (double)k;
    return dk * ln2_hi - ((R - dk * ln2_lo) - f);
  }
  const double s = f / (2.0 + f);
  dk = (double)k;
  const double z = s * s;
  i = hx - 0x6147a;
  const double w = z * z;
  const int32_t j = 0x6b851 - hx;
  const double t1 = w * (Lg2 + w * (Lg4 + w * Lg6));
  const double t2 = z * (Lg1 + w * (Lg3 + w * (Lg5 + w * Lg7)));
  i |= j;
  const double R = t2 + t1;
  if (i > 0) {
    const double hfsq = 0.5 * f * f;
    if (k == 0) return f - (hfsq - s * (hfsq + R));
    return dk * ln2_hi - ((hfsq - (s * (hfsq + R) + dk * ln2_lo)) - f);
  }
  if (k == 0) return f - s * (f - R);
  return dk * ln2_hi - ((s * (f - R) - dk * ln2_lo) - f);
}

/*
 * f = √(−2·log(r2)/r2) for a batch of r2 in (0, 1): fdlibm's log written without branches (every
 * path computed, the right one selected: the same operations, so the same bits) so that the loop
 * vectorises; flag[q] = 1 where fdlibm takes a path not written here (r2 subnormal, or within
 * 2^-20 of a power of two), to be redone with fdlibm_log.
 */
NN_CLONES static void polar_factor(const double *r2, double *out, unsigned char *flag, size_t n) {
  const double ln2_hi = 6.93147180369123816490e-01, ln2_lo = 1.90821492927058770002e-10,
               Lg1 = 6.666666666666735130e-01, Lg2 = 3.999999999940941908e-01, Lg3 = 2.857142874366239149e-01,
               Lg4 = 2.222219843214978396e-01, Lg5 = 1.818357216161805012e-01, Lg6 = 1.531383769920937332e-01,
               Lg7 = 1.479819860511658591e-01;
  for (size_t q = 0; q < n; q++) {
    uint64_t u;
    memcpy(&u, &r2[q], 8);
    int32_t hx = (int32_t)(u >> 32);
    int32_t k = (hx >> 20) - 1023;
    const int32_t sub = hx < 0x00100000;
    hx &= 0x000fffff;
    const int32_t i = (hx + 0x95f64) & 0x100000;
    const uint64_t xb = (u & 0xffffffffull) | ((uint64_t)(uint32_t)(hx | (i ^ 0x3ff00000)) << 32);
    double x;
    memcpy(&x, &xb, 8);
    k += (i >> 20);
    const double f = x - 1.0;
    const int32_t tiny = (0x000fffff & (2 + hx)) < 3;
    const double s = f / (2.0 + f);
    const double dk = (double)k;
    const double z = s * s;
    const double w = z * z;
    const int32_t ij = (hx - 0x6147a) | (0x6b851 - hx);
    const double t1 = w * (Lg2 + w * (Lg4 + w * Lg6));
    const double t2 = z * (Lg1 + w * (Lg3 + w * (Lg5 + w * Lg7)));
    const double R = t2 + t1;
    const double hfsq = 0.5 * f * f;
    const double a0 = f - (hfsq - s * (hfsq + R));
    const double a1 = dk * ln2_hi - ((hfsq - (s * (hfsq + R) + dk * ln2_lo)) - f);
    const double b0 = f - s * (f - R);
    const double b1 = dk * ln2_hi - ((s * (f - R) - dk * ln2_lo) - f);
    const double lg = ij > 0 ? (k == 0 ? a0 : a1) : (k == 0 ? b0 : b1);
    out[q] = sqrt((-2.0 * lg) / r2[q]);
    flag[q] = (unsigned char)(sub | tiny);
  }
}

#define NORMAL_PAIRS 256

/* std · standard_normal(n) of RandomState(key) into out (float32): pairs drawn (with rejection)
 * a batch at a time, their polar factors computed together. */
static void fill_normal_stream(float *out, size_t n, const uint32_t *key, int keylen, double std) {
  mt_state st;
  mt_init_by_array(&st, key, keylen);
  double x1[NORMAL_PAIRS], x2[NORMAL_PAIRS], r2[NORMAL_PAIRS], f[NORMAL_PAIRS];
  unsigned char flag[NORMAL_PAIRS];
  size_t o = 0;
  while (o < n) {
    const size_t need = (n - o + 1) / 2;
    const size_t np = need < NORMAL_PAIRS ? need : NORMAL_PAIRS;
    for (size_t p = 0; p < np; p++) {
      double a, b, r;
      do {
        a = 2.0 * mt_double(&st) - 1.0;
        b = 2.0 * mt_double(&st) - 1.0;
        r = a * a + b * b;
      } while (r >= 1.0 || r == 0.0);
      x1[p] = a;
      x2[p] = b;
      r2[p] = r;
    }
    polar_factor(r2, f, flag, np);
    for (size_t p = 0; p < np; p++) {
      if (flag[p]) f[p] = sqrt((-2.0 * fdlibm_log(r2[p])) / r2[p]);
      out[o++] = (float)(std * (f[p] * x2[p]));
      if (o < n) out[o++] = (float)(std * (f[p] * x1[p]));
    }
  }
}

typedef struct {
  float *out;
  size_t n, chunk;
  uint32_t seed, tensor, first;
  double std;
  int threads;
  /* pack_k > 0: `out` is a packed K × N weight (n = K·N values in row-major order, see nnPack). */
  size_t pack_k, pack_n;
  atomic_int failed;
} normal_ctx;

static void normal_range(void *arg, size_t begin, size_t end) {
  normal_ctx *c = (normal_ctx *)arg;
  float *tmp = NULL;
  if (c->pack_k > 0) {
    tmp = (float *)malloc(c->chunk * sizeof(float));
    if (!tmp) {
      atomic_store(&c->failed, 1);
      return;
    }
  }
  for (size_t ch = begin; ch < end; ch++) {
    const size_t off = ch * c->chunk;
    const size_t len = off + c->chunk <= c->n ? c->chunk : c->n - off;
    const uint32_t key[3] = {c->seed, c->tensor, (uint32_t)(c->first + ch)};
    if (!tmp) {
      fill_normal_stream(c->out + off, len, key, 3, c->std);
      continue;
    }
    fill_normal_stream(tmp, len, key, 3, c->std);
    size_t k = off / c->pack_n, j = off % c->pack_n;
    for (size_t i = 0; i < len; i++) {
      c->out[lin_packed_index(c->pack_k, k, j)] = tmp[i];
      if (++j == c->pack_n) {
        j = 0;
        k++;
      }
    }
  }
  free(tmp);
}

static void normal_task(void *arg, char *err, size_t err_len) {
  normal_ctx *c = (normal_ctx *)arg;
  const size_t chunks = (c->n + c->chunk - 1) / c->chunk;
  if (c->pack_k > 0) {
    /* Zero the padding columns of the last panel (the values are scattered, not written there). */
    const size_t jpad = c->pack_n % LIN_NR;
    if (jpad != 0) {
      const size_t q = c->pack_n / LIN_NR;
      for (size_t k = 0; k < c->pack_k; k++)
        memset(c->out + (q * c->pack_k + k) * LIN_NR + jpad, 0, (LIN_NR - jpad) * sizeof(float));
    }
  }
  parallel_for(chunks, c->threads, 1, normal_range, c);
  if (atomic_load(&c->failed)) snprintf(err, err_len, "nnFillNormal: out of memory for a chunk buffer");
}

/* ---------------------------------------------------------------------------------------------- */
/* N-API wrappers                                                                                   */

static bool get_f32(napi_env env, napi_value v, const char *fn, const char *name, float **data, size_t *len) {
  void *p = NULL;
  if (!get_float_array(env, v, fn, name, napi_float32_array, &p, len, NULL)) return false;
  *data = (float *)p;
  return true;
}

static bool get_threads_arg(napi_env env, napi_value v, const char *fn, int *out) {
  blasint t;
  if (!get_dim(env, v, fn, "threads", &t)) return false;
  if (t < 1 || t > 64) return range_error(env, fn, "argument 'threads' must be in [1, 64]");
  *out = (int)t;
  return true;
}

static bool get_u32(napi_env env, napi_value v, const char *fn, const char *name, uint32_t *out) {
  double x;
  if (!get_number(env, v, fn, name, &x)) return false;
  if (!(x >= 0) || x > 4294967295.0 || x != (double)(uint64_t)x) {
    char body[160];
    snprintf(body, sizeof body, "argument '%s' must be an integer in [0, 2^32 - 1], got %g", name, x);
    return range_error(env, fn, body);
  }
  *out = (uint32_t)x;
  return true;
}

static void *alloc_ctx(napi_env env, size_t size) {
  void *p = calloc(1, size);
  if (!p) napi_throw_error(env, NULL, "brainmap_native: out of memory");
  return p;
}

/* nnLayerNorm(x, out, rows, d, w, b, eps, threads) */
static napi_value js_layer_norm(napi_env env, napi_callback_info info) {
  const char *fn = "nnLayerNorm";
  napi_value argv[8];
  if (!get_args(env, info, fn, 8, argv)) return NULL;
  float *x, *out, *w, *b;
  size_t lx, lo, lw, lb;
  blasint rows, d;
  double eps;
  int threads = 1;
  if (!get_f32(env, argv[0], fn, "x", &x, &lx) || !get_f32(env, argv[1], fn, "out", &out, &lo)) return NULL;
  if (!get_dim(env, argv[2], fn, "rows", &rows) || !get_dim(env, argv[3], fn, "d", &d)) return NULL;
  if (!get_f32(env, argv[4], fn, "w", &w, &lw) || !get_f32(env, argv[5], fn, "b", &b, &lb)) return NULL;
  if (!get_number(env, argv[6], fn, "eps", &eps) || !get_threads_arg(env, argv[7], fn, &threads)) return NULL;
  if (!check_len(env, fn, "x", lx, rows, d) || !check_len(env, fn, "out", lo, rows, d) ||
      !check_len(env, fn, "w", lw, d, 1) || !check_len(env, fn, "b", lb, d, 1))
    return NULL;
  ln_ctx *c = (ln_ctx *)alloc_ctx(env, sizeof(ln_ctx));
  if (!c) return NULL;
  *c = (ln_ctx){x, out, w, b, (size_t)rows, (size_t)d, eps, threads};
  napi_value keep[4] = {argv[0], argv[1], argv[4], argv[5]};
  return submit_task(env, ln_task, c, "brainmap:nnLayerNorm", keep, 4);
}

/* nnBiasAct(x, rows, n, bias, act, threads) */
static napi_value js_bias_act(napi_env env, napi_callback_info info) {
  const char *fn = "nnBiasAct";
  napi_value argv[6];
  if (!get_args(env, info, fn, 6, argv)) return NULL;
  float *x, *bias;
  size_t lx, lb;
  blasint rows, n, act;
  int threads = 1;
  if (!get_f32(env, argv[0], fn, "x", &x, &lx)) return NULL;
  if (!get_dim(env, argv[1], fn, "rows", &rows) || !get_dim(env, argv[2], fn, "n", &n)) return NULL;
  if (!get_f32(env, argv[3], fn, "bias", &bias, &lb)) return NULL;
  if (!get_dim(env, argv[4], fn, "act", &act) || !get_threads_arg(env, argv[5], fn, &threads)) return NULL;
  if (act > 2) {
    range_error(env, fn, "argument 'act' must be 0 (identity), 1 (GELU, tanh form) or 2 (ReLU)");
    return NULL;
  }
  if (!check_len(env, fn, "x", lx, rows, n) || !check_len(env, fn, "bias", lb, n, 1)) return NULL;
  act_ctx *c = (act_ctx *)alloc_ctx(env, sizeof(act_ctx));
  if (!c) return NULL;
  *c = (act_ctx){x, bias, (size_t)rows, (size_t)n, (int)act, threads};
  napi_value keep[2] = {argv[0], argv[3]};
  return submit_task(env, act_task, c, "brainmap:nnBiasAct", keep, 2);
}

/* nnCausalAttention(qkv, offsets, out, d, nHead, scale, threads) */
static napi_value js_causal_attention(napi_env env, napi_callback_info info) {
  const char *fn = "nnCausalAttention";
  napi_value argv[7];
  if (!get_args(env, info, fn, 7, argv)) return NULL;
  float *qkv, *out;
  size_t lq, lo;
  blasint d, heads;
  double scale;
  int threads = 1;
  if (!get_f32(env, argv[0], fn, "qkv", &qkv, &lq)) return NULL;
  bool is_ta = false;
  napi_typedarray_type type;
  size_t noff = 0;
  void *offp = NULL;
  napi_value ab;
  size_t byte_off;
  if (napi_is_typedarray(env, argv[1], &is_ta) != napi_ok || !is_ta ||
      napi_get_typedarray_info(env, argv[1], &type, &noff, &offp, &ab, &byte_off) != napi_ok ||
      type != napi_int32_array) {
    type_error(env, fn, "argument '%s' must be an Int32Array", "offsets");
    return NULL;
  }
  if (!get_f32(env, argv[2], fn, "out", &out, &lo)) return NULL;
  if (!get_dim(env, argv[3], fn, "d", &d) || !get_dim(env, argv[4], fn, "nHead", &heads)) return NULL;
  if (!get_number(env, argv[5], fn, "scale", &scale) || !get_threads_arg(env, argv[6], fn, &threads)) return NULL;
  if (heads < 1 || d % heads != 0) {
    range_error(env, fn, "nHead must be ≥ 1 and divide d");
    return NULL;
  }
  const int32_t *offsets = (const int32_t *)offp;
  if (noff < 1 || offsets[0] != 0) {
    range_error(env, fn, "offsets must start with 0");
    return NULL;
  }
  size_t maxT = 0;
  for (size_t s = 0; s + 1 < noff; s++) {
    if (offsets[s + 1] < offsets[s]) {
      range_error(env, fn, "offsets must be non-decreasing");
      return NULL;
    }
    const size_t T = (size_t)(offsets[s + 1] - offsets[s]);
    if (T > maxT) maxT = T;
  }
  const size_t R = (size_t)offsets[noff - 1];
  if (!check_len(env, fn, "qkv", lq, R, 3 * (size_t)d) || !check_len(env, fn, "out", lo, R, (size_t)d)) return NULL;
  att_ctx *c = (att_ctx *)alloc_ctx(env, sizeof(att_ctx));
  if (!c) return NULL;
  *c = (att_ctx){qkv, out, offsets, noff - 1, (size_t)d, (size_t)heads, maxT, (float)scale, threads};
  napi_value keep[3] = {argv[0], argv[1], argv[2]};
  return submit_task(env, att_task, c, "brainmap:nnCausalAttention", keep, 3);
}

/* nnFillNormal(out, seed, tensor, chunk, firstChunk, std, threads[, packK, packN]) */
static napi_value js_fill_normal(napi_env env, napi_callback_info info) {
  const char *fn = "nnFillNormal";
  napi_value argv[9];
  size_t argc = 9;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) {
    throw_last(env, "napi_get_cb_info");
    return NULL;
  }
  if (argc < 7) {
    get_args(env, info, fn, 7, argv); /* throws "expected 7 arguments" */
    return NULL;
  }
  float *out;
  size_t len;
  uint32_t seed = 0, tensor = 0, first = 0;
  blasint chunk, pk = 0, pn = 0;
  double std;
  int threads = 1;
  if (!get_f32(env, argv[0], fn, "out", &out, &len)) return NULL;
  if (!get_u32(env, argv[1], fn, "seed", &seed) || !get_u32(env, argv[2], fn, "tensor", &tensor)) return NULL;
  if (!get_dim(env, argv[3], fn, "chunk", &chunk) || !get_u32(env, argv[4], fn, "firstChunk", &first)) return NULL;
  if (!get_number(env, argv[5], fn, "std", &std) || !get_threads_arg(env, argv[6], fn, &threads)) return NULL;
  if (argc >= 9 && (!get_dim(env, argv[7], fn, "packK", &pk) || !get_dim(env, argv[8], fn, "packN", &pn))) return NULL;
  if (chunk < 1) {
    range_error(env, fn, "argument 'chunk' must be at least 1");
    return NULL;
  }
  size_t n = len;
  if (pk > 0) {
    n = (size_t)pk * (size_t)pn;
    if (!check_len(env, fn, "out", len, lin_packed_len((size_t)pk, (size_t)pn), 1)) return NULL;
  }
  if ((double)first + (double)((n + (size_t)chunk - 1) / (size_t)chunk) > 4294967296.0) {
    range_error(env, fn, "chunk numbers must stay below 2^32");
    return NULL;
  }
  normal_ctx *c = (normal_ctx *)alloc_ctx(env, sizeof(normal_ctx));
  if (!c) return NULL;
  c->out = out;
  c->n = n;
  c->chunk = (size_t)chunk;
  c->seed = seed;
  c->tensor = tensor;
  c->first = first;
  c->std = std;
  c->threads = threads;
  c->pack_k = (size_t)pk;
  c->pack_n = (size_t)pn;
  atomic_init(&c->failed, 0);
  napi_value keep[1] = {argv[0]};
  return submit_task(env, normal_task, c, "brainmap:nnFillNormal", keep, 1);
}

/* nnPack(w, k, n, out, threads): W (k × n, row-major) into 64-column panels (length ceil(n/64)·64·k). */
static napi_value js_pack(napi_env env, napi_callback_info info) {
  const char *fn = "nnPack";
  napi_value argv[5];
  if (!get_args(env, info, fn, 5, argv)) return NULL;
  float *w, *out;
  size_t lw, lo;
  blasint k, n;
  int threads = 1;
  if (!get_f32(env, argv[0], fn, "w", &w, &lw)) return NULL;
  if (!get_dim(env, argv[1], fn, "k", &k) || !get_dim(env, argv[2], fn, "n", &n)) return NULL;
  if (!get_f32(env, argv[3], fn, "out", &out, &lo) || !get_threads_arg(env, argv[4], fn, &threads)) return NULL;
  if (!check_len(env, fn, "w", lw, k, n) || !check_len(env, fn, "out", lo, lin_packed_len(k, n), 1)) return NULL;
  pack_ctx *c = (pack_ctx *)alloc_ctx(env, sizeof(pack_ctx));
  if (!c) return NULL;
  *c = (pack_ctx){w, out, (size_t)k, (size_t)n, threads};
  napi_value keep[2] = {argv[0], argv[3]};
  return submit_task(env, pack_task, c, "brainmap:nnPack", keep, 2);
}

/* nnLinear(x, m, k, w, n, bias, out, accumulate, act, threads): out (m × n) = act(x·W + bias), or
 * out += x·W + bias (accumulate; act must be 0); W packed by nnPack. */
static napi_value js_linear(napi_env env, napi_callback_info info) {
  const char *fn = "nnLinear";
  napi_value argv[10];
  if (!get_args(env, info, fn, 10, argv)) return NULL;
  float *x, *w, *bias, *out;
  size_t lx, lw, lb, lo;
  blasint m, k, n, act;
  bool accumulate;
  int threads = 1;
  if (!get_f32(env, argv[0], fn, "x", &x, &lx)) return NULL;
  if (!get_dim(env, argv[1], fn, "m", &m) || !get_dim(env, argv[2], fn, "k", &k)) return NULL;
  if (!get_f32(env, argv[3], fn, "w", &w, &lw) || !get_dim(env, argv[4], fn, "n", &n)) return NULL;
  if (!get_f32(env, argv[5], fn, "bias", &bias, &lb) || !get_f32(env, argv[6], fn, "out", &out, &lo)) return NULL;
  if (!get_bool(env, argv[7], fn, "accumulate", &accumulate) || !get_dim(env, argv[8], fn, "act", &act)) return NULL;
  if (!get_threads_arg(env, argv[9], fn, &threads)) return NULL;
  if (act > 2 || (accumulate && act != 0)) {
    range_error(env, fn, "argument 'act' must be 0, 1 or 2, and 0 when accumulating");
    return NULL;
  }
  if (!check_len(env, fn, "x", lx, m, k) || !check_len(env, fn, "w", lw, lin_packed_len(k, n), 1) ||
      !check_len(env, fn, "bias", lb, n, 1) || !check_len(env, fn, "out", lo, m, n))
    return NULL;
  if (!nn_tile_available()) {
    napi_throw_error(env, NULL, "brainmap_native.nnLinear: needs an x86-64 CPU with AVX-512F (see nnLinearAvailable)");
    return NULL;
  }
  lin_ctx *c = (lin_ctx *)alloc_ctx(env, sizeof(lin_ctx));
  if (!c) return NULL;
  c->x = x;
  c->w = w;
  c->bias = bias;
  c->out = out;
  c->m = (size_t)m;
  c->k = (size_t)k;
  c->n = (size_t)n;
  c->accumulate = accumulate;
  c->act = (int)act;
  c->threads = threads;
  atomic_init(&c->failed, 0);
  napi_value keep[4] = {argv[0], argv[3], argv[5], argv[6]};
  return submit_task(env, lin_task, c, "brainmap:nnLinear", keep, 4);
}

/* Storage of nnAlloc: an anonymous mapping (zero pages, transparent huge pages requested) for large
 * arrays, else calloc; `base`/`size` are what to give back, `data` is 64-byte aligned inside. */
typedef struct {
  void *base;
  size_t size; /* 0: calloc'd */
} alloc_hint;

static void free_alloc(napi_env env, void *data, void *hint) {
  (void)env;
  (void)data;
  alloc_hint *h = (alloc_hint *)hint;
#if defined(__linux__)
  if (h->size > 0) munmap(h->base, h->size);
  else
#endif
    free(h->base);
  free(h);
}

/* nnAlloc(length) -> Float32Array of `length` zeros on 64-byte aligned storage (freed with it).
 * Arrays of 2 MiB and more are mapped with MADV_HUGEPAGE: far fewer page faults when the packed
 * weights of a large model are first written. */
static napi_value js_alloc(napi_env env, napi_callback_info info) {
  const char *fn = "nnAlloc";
  napi_value argv[1];
  if (!get_args(env, info, fn, 1, argv)) return NULL;
  double len;
  if (!get_number(env, argv[0], fn, "length", &len)) return NULL;
  if (!(len >= 0) || len != (double)(uint64_t)len || len > (double)(SIZE_MAX / 8)) {
    range_error(env, fn, "argument 'length' must be a non-negative integer");
    return NULL;
  }
  const size_t n = (size_t)len;
  const size_t bytes = n * sizeof(float);
  alloc_hint *h = (alloc_hint *)calloc(1, sizeof(alloc_hint));
  void *data = NULL;
  if (h) {
#if defined(__linux__)
    const size_t huge = (size_t)2 << 20;
    if (bytes >= huge) {
      const size_t size = (bytes + 2 * huge - 1) / huge * huge; /* room to align the start to 2 MiB */
      void *base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (base != MAP_FAILED) {
        uintptr_t start = ((uintptr_t)base + huge - 1) / huge * huge;
        madvise((void *)start, size - (start - (uintptr_t)base), MADV_HUGEPAGE); /* a hint; ignore failure */
        h->base = base;
        h->size = size;
        data = (void *)start;
      }
    }
#endif
    if (!data) {
      void *base = calloc(1, bytes + 64);
      if (base) {
        h->base = base;
        data = (void *)(((uintptr_t)base + 63) / 64 * 64);
      }
    }
  }
  if (!data) {
    free(h);
    napi_throw_range_error(env, NULL, "brainmap_native.nnAlloc: out of memory");
    return NULL;
  }
  napi_value ab, ta;
  if (napi_create_external_arraybuffer(env, data, bytes, free_alloc, h, &ab) != napi_ok) {
    free_alloc(env, data, h);
    throw_last(env, "napi_create_external_arraybuffer");
    return NULL;
  }
  if (napi_create_typedarray(env, napi_float32_array, n, ab, 0, &ta) != napi_ok) {
    throw_last(env, "napi_create_typedarray");
    return NULL;
  }
  return ta;
}

/* nnLinearAvailable() -> boolean */
static napi_value js_linear_available(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out;
  if (napi_get_boolean(env, nn_tile_available(), &out) != napi_ok) {
    throw_last(env, "napi_get_boolean");
    return NULL;
  }
  return out;
}

bool nn_register(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"nnLayerNorm", NULL, js_layer_norm, NULL, NULL, NULL, napi_enumerable, NULL},
      {"nnBiasAct", NULL, js_bias_act, NULL, NULL, NULL, napi_enumerable, NULL},
      {"nnCausalAttention", NULL, js_causal_attention, NULL, NULL, NULL, napi_enumerable, NULL},
      {"nnFillNormal", NULL, js_fill_normal, NULL, NULL, NULL, napi_enumerable, NULL},
      {"nnPack", NULL, js_pack, NULL, NULL, NULL, napi_enumerable, NULL},
      {"nnLinear", NULL, js_linear, NULL, NULL, NULL, napi_enumerable, NULL},
      {"nnLinearAvailable", NULL, js_linear_available, NULL, NULL, NULL, napi_enumerable, NULL},
      {"nnAlloc", NULL, js_alloc, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) {
    throw_last(env, "napi_define_properties");
    return false;
  }
  return true;
}
