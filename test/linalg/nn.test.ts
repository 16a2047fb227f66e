/**
 * Forward-pass kernels (layer norm, bias + activation, causal attention) and seeded normals on both
 * backends: against closed forms computed here, and native against portable. These tests FAIL
 * when the native addon is missing or predates the kernels (see native.test.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type Backend, type NnActivation, NativeBackend, PortableBackend, loadNativeBackend, nativeUnavailableReason } from '../../src/linalg/index.js';
import { randn, rng } from './helpers.js';
import { packPanel64, unpackPanel64 } from '../../src/linalg/nn.js';

function native(): NativeBackend {
  const be = loadNativeBackend();
  if (!be) assert.fail(`the native addon is not available (${nativeUnavailableReason()}); run \`npx node-gyp rebuild\``);
  for (const k of ['nnLayerNorm', 'nnBiasAct', 'nnCausalAttention', 'nnFillNormal'] as const) {
    assert.equal(typeof be.addon[k], 'function', `the addon predates the forward-pass kernels (${k} missing); run \`npx node-gyp rebuild\``);
  }
  return be;
}

const backends: Array<[string, () => Backend]> = [['native', native], ['portable', () => new PortableBackend()]];

function randf(n: number, seed: number, scale = 1): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => scale * randn(r));
}

/** |a − b| ≤ tol·max(1, |b|) elementwise. */
function assertNear(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(a.length, b.length, `${what}: length`);
  for (let i = 0; i < b.length; i++) {
    const diff = Math.abs(a[i] - b[i]);
    if (!(diff <= tol * Math.max(1, Math.abs(b[i])))) assert.fail(`${what}: element ${i}: ${a[i]} vs ${b[i]}`);
  }
}

for (const [name, make] of backends) {
  test(`${name}: layerNorm is (x − mean)/√(var + eps)·w + b per row`, async () => {
    const be = make();
    // Closed form: row [1, 2, 3, 4] has mean 2.5 and biased variance 1.25.
    const x = Float32Array.from([1, 2, 3, 4, -2, 0, 0, 2]);
    const w = Float32Array.from([1, 2, 0.5, -1]);
    const b = Float32Array.from([0, 1, 0, 0.25]);
    const out = new Float32Array(8);
    await be.layerNorm(x, out, 2, 4, w, b, 1e-5);
    const want: number[] = [];
    for (const [row, mean, v] of [[[1, 2, 3, 4], 2.5, 1.25], [[-2, 0, 0, 2], 0, 2]] as const) {
      row.forEach((xj, j) => want.push(Math.fround(((xj - mean) / Math.sqrt(v + 1e-5)) * w[j] + b[j])));
    }
    assert.deepEqual(Array.from(out), want);
    // A long row (d = 1603: eight lanes and a tail) against a plain float64 two-pass computation.
    const d = 1603;
    const xl = randf(3 * d, 5, 3);
    const wl = randf(d, 6);
    const bl = randf(d, 7);
    const ol = new Float32Array(3 * d);
    await be.layerNorm(xl, ol, 3, d, wl, bl, 1e-5);
    const ref = new Float64Array(3 * d);
    for (let i = 0; i < 3; i++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += xl[i * d + j];
      const mean = s / d;
      let v = 0;
      for (let j = 0; j < d; j++) v += (xl[i * d + j] - mean) ** 2;
      for (let j = 0; j < d; j++) ref[i * d + j] = ((xl[i * d + j] - mean) / Math.sqrt(v / d + 1e-5)) * wl[j] + bl[j];
    }
    assertNear(ol, ref, 2e-6, 'layerNorm d = 1603');
    // In place.
    const xi = xl.slice();
    await be.layerNorm(xi, xi, 3, d, wl, bl, 1e-5);
    assert.deepEqual(xi, ol);
  });

  test(`${name}: biasActivation adds the bias and applies GELU (tanh form), ReLU or nothing`, async () => {
    const be = make();
    const n = 1000;
    const rows = 3;
    const bias = randf(n, 11, 0.5);
    const x = randf(rows * n, 12, 3);
    // Exact values at zero and symmetry: GELU(0) = 0.
    const gelu = (v: number): number => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)));
    for (const act of ['gelu_tanh', 'relu', 'identity'] as NnActivation[]) {
      const y = x.slice();
      await be.biasActivation(y, rows, n, bias, act);
      const want = Float64Array.from(x, (xv, i) => {
        const v = Math.fround(xv + bias[i % n]);
        return act === 'gelu_tanh' ? gelu(v) : act === 'relu' ? Math.max(v, 0) : v;
      });
      if (act === 'gelu_tanh') {
        // Float32 evaluation: exp's argument −2u carries a relative rounding error of a few 1e-8,
        // i.e. the result a relative error of ~1e-7·|2u| (|v| ≤ ~12 here, |2u| ≤ ~100), and far in
        // the negative tail the value is tiny: compare relative to max(|value|, 1e-3·|v|).
        for (let i = 0; i < want.length; i++) {
          const v = Math.fround(x[i] + bias[i % n]);
          const tol = 2e-6 * Math.max(Math.abs(want[i]), 1e-3 * Math.abs(v));
          assert.ok(Math.abs(y[i] - want[i]) <= tol, `gelu element ${i}: v ${v}: ${y[i]} vs ${want[i]}`);
        }
      } else {
        assert.deepEqual(Array.from(y), Array.from(want, Math.fround), act);
      }
    }
    const z = new Float32Array(4);
    await be.biasActivation(z, 1, 4, new Float32Array(4), 'gelu_tanh');
    assert.deepEqual(Array.from(z), [0, 0, 0, 0]);
    // Far tails: GELU(v) → v for large v and → 0 (from below) for very negative v; no NaN.
    const tails = Float32Array.from([30, 100, 3e38, -30, -100, -3e38]);
    await be.biasActivation(tails, 1, 6, new Float32Array(6), 'gelu_tanh');
    assert.deepEqual(Array.from(tails.subarray(0, 3)), [30, 100, Math.fround(3e38)]);
    for (const v of tails.subarray(3)) assert.ok(v <= 0 && v > -1e-30, `tail ${v}`);
    await assert.rejects(be.biasActivation(new Float32Array(4), 2, 2, new Float32Array(3), 'relu'), /bias/);
  });

  test(`${name}: causalAttention: closed forms (one token → v; equal keys → running mean of v)`, async () => {
    const be = make();
    const d = 8;
    const H = 2;
    const T = 5;
    // Equal keys in every row: the scores of row i are all equal, so out_i = mean of v_0 … v_i.
    const qkv = new Float32Array(T * 3 * d);
    const r = rng(3);
    for (let t = 0; t < T; t++) {
      for (let c = 0; c < d; c++) {
        qkv[t * 3 * d + c] = randn(r); // q
        qkv[t * 3 * d + d + c] = c + 1; // k, the same for every token
        qkv[t * 3 * d + 2 * d + c] = Math.round(randn(r) * 8) / 8; // v (exact in float32)
      }
    }
    const out = new Float32Array(T * d);
    await be.causalAttention(qkv, Int32Array.from([0, T]), out, d, H, 0.5);
    const want = new Float64Array(T * d);
    for (let i = 0; i < T; i++) {
      for (let c = 0; c < d; c++) {
        let s = 0;
        for (let j = 0; j <= i; j++) s += qkv[j * 3 * d + 2 * d + c];
        want[i * d + c] = s / (i + 1);
      }
    }
    assertNear(out, want, 3e-7, 'equal keys');
    // Two stacked sequences of one token each: the output is v itself; sequences do not mix.
    const two = qkv.subarray(0, 2 * 3 * d).slice();
    const o2 = new Float32Array(2 * d);
    await be.causalAttention(two, Int32Array.from([0, 1, 2]), o2, d, H, 1);
    assert.deepEqual(Array.from(o2), [...two.subarray(2 * d, 3 * d), ...two.subarray(5 * d, 6 * d)]);
    await assert.rejects(be.causalAttention(qkv, Int32Array.from([0, T + 1]), out, d, H, 1), /qkv/);
    await assert.rejects(be.causalAttention(qkv, Int32Array.from([0, T]), out, d, 3, 1), /divide/);
  });

  test(`${name}: causalAttention matches a direct float64 softmax(q·kᵀ·scale + causal mask)·v per head`, async () => {
    const be = make();
    const d = 48;
    const H = 6;
    const hd = d / H;
    const lens = [1, 7, 33];
    const offs = Int32Array.from([0, 1, 8, 41]);
    const R = 41;
    const qkv = randf(R * 3 * d, 21);
    const out = new Float32Array(R * d);
    const scale = 1 / Math.sqrt(hd);
    await be.causalAttention(qkv, offs, out, d, H, scale);
    const want = new Float64Array(R * d);
    lens.forEach((T, s) => {
      const r0 = offs[s];
      for (let h = 0; h < H; h++) {
        for (let i = 0; i < T; i++) {
          // Full row of scores with −∞ above the diagonal, then an ordinary softmax.
          const sc = Array.from({ length: T }, (_, j) => {
            if (j > i) return -Infinity;
            let dot = 0;
            for (let c = 0; c < hd; c++) dot += qkv[(r0 + i) * 3 * d + h * hd + c] * qkv[(r0 + j) * 3 * d + d + h * hd + c];
            return dot * scale;
          });
          const mx = Math.max(...sc);
          const e = sc.map((v) => Math.exp(v - mx));
          const z = e.reduce((a, b) => a + b, 0);
          for (let c = 0; c < hd; c++) {
            let acc = 0;
            for (let j = 0; j < T; j++) acc += (e[j] / z) * qkv[(r0 + j) * 3 * d + 2 * d + h * hd + c];
            want[(r0 + i) * d + h * hd + c] = acc;
          }
        }
      }
    });
    assertNear(out, want, 2e-6, 'attention');
  });

  test(`${name}: fillNormalChunks is numpy RandomState([seed, tensor, chunk]).standard_normal, chunk by chunk`, async () => {
    const be = make();
    // (0.02 * np.random.RandomState([3, 1, 4]).standard_normal(2000)).astype(np.float32)[[623, 1234, 1999]]
    const big = new Float32Array(2000);
    await be.fillNormalChunks(big, 3, 1, 2000, 4, 0.02);
    assert.deepEqual([big[623], big[1234], big[1999]], [0.026737431064248085, 0.016574012115597725, -0.00923245307058096]);
    // np.random.RandomState([1234, 5, 7]).standard_normal(10).astype(np.float32), as chunk 7 of tensor 5 of seed 1234
    const ten = new Float32Array(13);
    await be.fillNormalChunks(ten, 1234, 5, 10, 7, 1);
    assert.deepEqual(Array.from(ten.subarray(0, 10)), [2.0039079189300537, -0.5056458711624146, -0.8665483593940735, -0.6108382344245911, -1.6355754137039185, 2.0524775981903076, 0.6533952951431274, -0.7955843210220337, 0.02821170724928379, -0.15051335096359253]);
    await assert.rejects(be.fillNormalChunks(ten, -1, 0, 4, 0, 1), /seed/);
    await assert.rejects(be.fillNormalChunks(ten, 0, 0, 0, 0, 1), /chunk/);
  });
}

/** Float64 reference of x·W, and Σ_p |x_ip·w_pj| per element (float32 sums err by ~1e-7 of it per √k). */
function refLinear(x: Float32Array, rows: number, w: Float32Array, k: number, n: number): { xw: Float64Array; mag: Float64Array } {
  const xw = new Float64Array(rows * n);
  const mag = new Float64Array(rows * n);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      let a = 0;
      for (let p = 0; p < k; p++) {
        const t = x[i * k + p] * w[p * n + j];
        s += t;
        a += Math.abs(t);
      }
      xw[i * n + j] = s;
      mag[i * n + j] = a;
    }
  }
  return { xw, mag };
}

/** |a − b| ≤ 1e-6·mag + 2e-7·|b| elementwise. */
function assertSum(a: ArrayLike<number>, b: ArrayLike<number>, mag: ArrayLike<number>, what: string): void {
  assert.equal(a.length, b.length, `${what}: length`);
  for (let i = 0; i < b.length; i++) {
    const diff = Math.abs(a[i] - b[i]);
    if (!(diff <= 1e-6 * mag[i] + 2e-7 * Math.abs(b[i]))) assert.fail(`${what}: element ${i}: ${a[i]} vs ${b[i]} (Σ|terms| ${mag[i]})`);
  }
}

for (const [name, make] of backends) {
  test(`${name}: linear = act(x·W + b) and out += x·W + b, against a float64 product (shapes with row, column and depth tails)`, async () => {
    const be = make();
    // k = 300 spans two 256-deep slices of the native kernel; n = 130 ends in a partial 64-column
    // panel; rows = 13 ends in a partial 6-row tile; rows = 100 spans two 96-row blocks.
    for (const [rows, k, n] of [[13, 300, 130], [100, 64, 64], [1, 5, 3]] as const) {
      const x = randf(rows * k, 41 + k);
      const wd = randf(k * n, 42 + n, 0.1);
      const bias = randf(n, 43);
      const w = await be.packLinear(wd, k, n);
      const { xw, mag } = refLinear(x, rows, wd, k, n);
      const out = new Float32Array(rows * n).fill(NaN);
      await be.linear(x, rows, w, bias, out);
      assertSum(out, Float64Array.from(xw, (v, i) => v + bias[i % n]), mag, `${rows}×${k}×${n} identity`);
      const h = randf(rows * n, 44, 10);
      const acc = h.slice();
      await be.linear(x, rows, w, bias, acc, { accumulate: true });
      assertSum(acc, Float64Array.from(xw, (v, i) => h[i] + (v + bias[i % n])), mag, `${rows}×${k}×${n} accumulate`);
      const g = new Float32Array(rows * n);
      await be.linear(x, rows, w, bias, g, { act: 'relu' });
      assertSum(g, Float64Array.from(xw, (v, i) => Math.max(0, v + bias[i % n])), mag, `${rows}×${k}×${n} relu`);
    }
    // Zero rows; inputs of the wrong size.
    const w = await be.packLinear(randf(12, 1), 3, 4);
    await be.linear(new Float32Array(0), 0, w, new Float32Array(4), new Float32Array(0));
    await assert.rejects(be.linear(new Float32Array(5), 2, w, new Float32Array(4), new Float32Array(8)), /x/);
    await assert.rejects(be.linear(new Float32Array(6), 2, w, new Float32Array(4), new Float32Array(8), { accumulate: true, act: 'relu' }), /accumulate/);
  });

  test(`${name}: normalLinear holds fillNormalChunks' values in the backend's layout`, async () => {
    const be = make();
    const [k, n] = [70, 150];
    const plain = new Float32Array(k * n);
    await be.fillNormalChunks(plain, 4, 8, 1000, 0, 0.5);
    const w = await be.normalLinear(k, n, 4, 8, 1000, 0.5);
    assert.deepEqual([w.k, w.n], [k, n]);
    assert.deepEqual(w.layout === 'panel64' ? unpackPanel64(w.data, k, n) : w.data, plain);
    if (w.layout === 'panel64') assert.deepEqual(w.data, packPanel64(plain, k, n), 'padding zeros included');
  });
}

test('native linear: packed with the TypeScript layout, and the same bits with 1 and 2 threads', async () => {
  const nb = native();
  assert.ok(nb.packedLinear, 'this CPU has AVX-512F, so the packed kernel must be in use');
  const [rows, k, n] = [37, 520, 200];
  const wd = randf(k * n, 51);
  const w = await nb.packLinear(wd, k, n);
  assert.equal(w.layout, 'panel64');
  assert.deepEqual(w.data, packPanel64(wd, k, n));
  const x = randf(rows * k, 52);
  const bias = randf(n, 53);
  const o1 = new Float32Array(rows * n);
  const o2 = new Float32Array(rows * n);
  const threads = nb.getThreads();
  try {
    nb.setThreads(2);
    await nb.linear(x, rows, w, bias, o2, { act: 'gelu_tanh' });
    nb.setThreads(1);
    await nb.linear(x, rows, w, bias, o1, { act: 'gelu_tanh' });
  } finally {
    nb.setThreads(threads);
  }
  assert.deepEqual(o1, o2);
  // Row-major weights (what packLinear returns without the packed kernel) go through OpenBLAS + bias.
  const { xw, mag } = refLinear(x, rows, wd, k, n);
  const ob = new Float32Array(rows * n);
  const h = randf(rows * n, 54);
  await nb.linear(x, rows, { k, n, layout: 'row-major', data: wd }, bias, ob);
  assertSum(ob, Float64Array.from(xw, (v, i) => v + bias[i % n]), mag, 'row-major identity');
  const acc = h.slice();
  await nb.linear(x, rows, { k, n, layout: 'row-major', data: wd }, bias, acc, { accumulate: true });
  assertSum(acc, Float64Array.from(xw, (v, i) => h[i] + v + bias[i % n]), mag, 'row-major accumulate');
  await assert.rejects(new PortableBackend().linear(x, rows, w, bias, ob), /another backend/);
});

test('native and portable kernels agree: layer norm bit for bit, GELU / attention to float32 rounding, normals bit for bit', async () => {
  const nb = native();
  const pb = new PortableBackend();
  const d = 1600;
  const rows = 37;
  const x = randf(rows * d, 31, 2);
  const w = randf(d, 32);
  const b = randf(d, 33);
  const o1 = new Float32Array(rows * d);
  const o2 = new Float32Array(rows * d);
  await nb.layerNorm(x, o1, rows, d, w, b, 1e-5);
  await pb.layerNorm(x, o2, rows, d, w, b, 1e-5);
  assert.deepEqual(o1, o2);

  const n = 6400;
  const g0 = randf(rows * n, 34, 4);
  const g1 = g0.slice();
  const g2 = g0.slice();
  const gb = randf(n, 35, 0.1);
  await nb.biasActivation(g1, rows, n, gb, 'gelu_tanh');
  await pb.biasActivation(g2, rows, n, gb, 'gelu_tanh');
  // Relative ~1e-7·|2u| (see the GELU test; |v| ≤ ~16 here), floored at 1e-3·|v| in the far tail.
  for (let i = 0; i < g2.length; i++) {
    const tol = 3e-6 * Math.max(Math.abs(g2[i]), 1e-3 * Math.abs(g0[i] + gb[i % n]));
    assert.ok(Math.abs(g1[i] - g2[i]) <= tol, `gelu native vs portable: element ${i}: ${g1[i]} vs ${g2[i]}`);
  }

  const dd = 64;
  const H = 4;
  const offs = Int32Array.from([0, 100, 103, 250]);
  const qkv = randf(250 * 3 * dd, 36);
  const a1 = new Float32Array(250 * dd);
  const a2 = new Float32Array(250 * dd);
  await nb.causalAttention(qkv, offs, a1, dd, H, 0.25);
  await pb.causalAttention(qkv, offs, a2, dd, H, 0.25);
  assertNear(a1, a2, 2e-6, 'attention native vs portable');

  // Several chunks, a short last one, and results independent of the thread count.
  const m = 3 * 4096 + 77;
  const n1 = new Float32Array(m);
  const n2 = new Float32Array(m);
  const n3 = new Float32Array(m);
  await nb.fillNormalChunks(n1, 9, 2, 4096, 0, 0.02);
  await pb.fillNormalChunks(n2, 9, 2, 4096, 0, 0.02);
  const threads = nb.getThreads();
  nb.setThreads(1);
  try {
    await nb.fillNormalChunks(n3, 9, 2, 4096, 0, 0.02);
  } finally {
    nb.setThreads(threads);
  }
  assert.deepEqual(n1, n2);
  assert.deepEqual(n1, n3);
  // 4 M values: about 2.6 M polar pairs, of which ~8 fall within 2^-20 of a power of two, where the
  // native vectorised log hands over to the scalar fdlibm path.
  const big1 = new Float32Array(1 << 22);
  const big2 = new Float32Array(1 << 22);
  await nb.fillNormalChunks(big1, 1, 1, 1 << 20, 0, 1);
  await pb.fillNormalChunks(big2, 1, 1, 1 << 20, 0, 1);
  let diff = 0;
  for (let i = 0; i < big1.length; i++) if (big1[i] !== big2[i]) diff++;
  assert.equal(diff, 0, 'native and TypeScript normals differ');
});
