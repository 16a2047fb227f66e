/**
 * Issue 12 point 13: the LM feature cache trusted any valid .npy (a file of zeros was used
 * silently). Each entry's manifest now holds the sha256 of every file; a file that does not match
 * is reported in one line and the features are recomputed (and the entry rewritten).
 * Reference values: Hugging Face's hidden states of the gpt2-tiny-random fixture.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { registerBuiltinFeatures } from '../../src/features/builtin.js';
import { buildTerm } from '../../src/features/registry.js';
import { parseFeatureSpec } from '../../src/features/spec.js';
import { clearLmMemo, getLmFeatures, type LmManifest } from '../../src/features/lm/cache.js';
import { readNpz } from '../../src/io/npy.js';
import { assertClose, FIXTURE, fixtureExpected, groupBlocks, tempDir, textDataset } from '../lm/helpers.js';

registerBuiltinFeatures();
const expected = fixtureExpected();
const texts = expected.samples.map((s) => s.text);
const blocks = groupBlocks(expected.group_sizes);
const npz = readNpz(join(FIXTURE, 'expected_hidden_states.npz'));
const L = expected.n_layer + 1;
const D = expected.n_embd;
const N = texts.length;

function hfPooled(pool: 'last' | 'mean' | 'sum', layer: number): Float32Array {
  const name = pool === 'last' ? 'pooled_last_token' : pool === 'mean' ? 'pooled_mean' : 'pooled_sum';
  const ref = npz.get(name)!.data as Float32Array;
  const out = new Float32Array(N * D);
  for (let s = 0; s < N; s++) out.set(ref.subarray((s * L + layer) * D, (s * L + layer + 1) * D), s * D);
  return out;
}

/** A float32 (N, D) .npy of zeros, built by hand from the format (valid, and wrong). */
function zerosNpy(): Uint8Array {
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': (${N}, ${D}), }`;
  const total = Math.ceil((10 + dict.length + 1) / 64) * 64;
  const out = new Uint8Array(total + N * D * 4);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, (total - 10) & 0xff, (total - 10) >> 8]);
  for (let k = 0; k < dict.length; k++) out[10 + k] = dict.charCodeAt(k);
  out.fill(0x20, 10 + dict.length, total - 1);
  out[total - 1] = 0x0a;
  return out;
}

/** Runs `f`, returning what it wrote to stderr. */
async function stderrOf<T>(f: () => Promise<T>): Promise<{ value: T; stderr: string }> {
  const write = process.stderr.write.bind(process.stderr);
  let text = '';
  process.stderr.write = ((chunk: string | Uint8Array) => { text += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString(); return true; }) as typeof process.stderr.write;
  try {
    return { value: await f(), stderr: text };
  } finally {
    process.stderr.write = write;
  }
}

test('lm cache: a cache file replaced by a valid .npy of zeros is detected, reported in one line and recomputed', async () => {
  const cache = tempDir();
  process.env.BRAINMAP_CACHE = cache;
  try {
    clearLmMemo();
    const ds = textDataset(texts, blocks);
    const first = await getLmFeatures(FIXTURE, ds);
    assert.equal(first.from, 'extracted');
    const [key] = readdirSync(join(cache, 'lm'));
    const dir = join(cache, 'lm', key);
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as LmManifest;
    assert.equal(manifest.checksums?.length, L);
    assert.match(manifest.checksums?.[3]?.mean ?? '', /^[0-9a-f]{64}$/);

    // The lm feature (what score/partition/sweeps build) reads the one file it needs.
    const victim = join(dir, 'layer3_mean.npy');
    writeFileSync(victim, zerosNpy());
    clearLmMemo();
    const term = parseFeatureSpec(`lm:${FIXTURE}:layer=3:pool=mean`).bands[0].terms[0];
    const built = await stderrOf(() => buildTerm(term, { dataset: ds }));
    const lines = built.stderr.split('\n').filter((l) => l !== '');
    assert.equal(lines.length, 1, built.stderr);
    assert.match(lines[0], new RegExp(`^warning: ${victim.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: lm feature cache: content does not match its sha256 in manifest\\.json \\([0-9a-f]{12}…, expected [0-9a-f]{12}…\\); recomputing the features instead of using it$`));
    assertClose(built.value.data, hfPooled('mean', 3), 'mean layer 3 after recomputing');
    // The entry was rewritten: read back from disk, silently, with the right values.
    clearLmMemo();
    const again = await stderrOf(() => getLmFeatures(FIXTURE, ds));
    assert.equal(again.stderr, '');
    assert.equal(again.value.from, 'disk');
    assertClose(again.value.features.pooled.mean[3], hfPooled('mean', 3), 'mean layer 3 from the rewritten cache');
  } finally {
    clearLmMemo();
    delete process.env.BRAINMAP_CACHE;
  }
});

test('lm cache: one flipped byte, a missing file or a broken manifest are reported and recomputed, never used', async () => {
  const cache = tempDir();
  process.env.BRAINMAP_CACHE = cache;
  try {
    clearLmMemo();
    const ds = textDataset(texts, blocks);
    await getLmFeatures(FIXTURE, ds);
    const [key] = readdirSync(join(cache, 'lm'));
    const dir = join(cache, 'lm', key);

    // One byte of one value (still a valid float32 array of the right shape).
    const flipped = join(dir, 'layer1_sum.npy');
    const bytes = new Uint8Array(readFileSync(flipped));
    bytes[bytes.length - 3] ^= 0x10;
    writeFileSync(flipped, bytes);
    clearLmMemo();
    const r1 = await stderrOf(() => getLmFeatures(FIXTURE, ds));
    assert.equal(r1.value.from, 'extracted');
    assert.equal(r1.stderr.split('\n').filter((l) => l !== '').length, 1);
    assert.match(r1.stderr, /layer1_sum\.npy: lm feature cache: content does not match its sha256/);
    assertClose(r1.value.features.pooled.sum[1], hfPooled('sum', 1), 'sum layer 1');

    // A file gone.
    const gone = join(dir, 'layer0_last.npy');
    rmSync(gone);
    clearLmMemo();
    const r0 = await stderrOf(() => getLmFeatures(FIXTURE, ds));
    assert.equal(r0.value.from, 'extracted');
    assert.equal(r0.stderr, `warning: ${gone}: lm feature cache: no such file or directory; recomputing the features instead of using it\n`);
    assert.ok(existsSync(gone));

    // A manifest cut short.
    const mpath = join(dir, 'manifest.json');
    const text = readFileSync(mpath, 'utf8');
    writeFileSync(mpath, text.slice(0, text.length >> 1));
    clearLmMemo();
    const r2 = await stderrOf(() => getLmFeatures(FIXTURE, ds));
    assert.equal(r2.value.from, 'extracted');
    assert.match(r2.stderr, /^warning: .*manifest\.json: lm feature cache: not readable JSON \(.*\); recomputing the features instead of using it\n$/);

    // A manifest without checksums (edited, or written by hand) is not trusted either.
    const m = JSON.parse(readFileSync(mpath, 'utf8')) as LmManifest;
    delete m.checksums;
    writeFileSync(mpath, JSON.stringify(m));
    clearLmMemo();
    const r3 = await stderrOf(() => buildTerm(parseFeatureSpec(`lm:${FIXTURE}:layer=2:pool=last`).bands[0].terms[0], { dataset: ds }));
    assert.match(r3.stderr, /^warning: .*manifest\.json: lm feature cache: lists no file and checksum for every layer; recomputing the features instead of using it\n$/);
    assertClose(r3.value.data, hfPooled('last', 2), 'last layer 2');
  } finally {
    clearLmMemo();
    delete process.env.BRAINMAP_CACHE;
  }
});
