/**
 * Language-model forward-pass speed against PyTorch, on the same passes.
 *
 * Workload: untrained GPT-2-shaped and GPT2-XL-shaped models (seed 0) on the Pereira2018 sentences
 * with passage context (METHODS §3.6, Appendix A): the 168 shared passes (one per passage, 9,225
 * tokens), all hidden states, pooled three ways. GPT2-XL runs on the first 40 passes by default
 * (`--lm-xl-passes=N|all`), to keep the bench short. `--lm-threads=N` sets the thread count of both
 * (default: brainmap's BLAS threads, all cores).
 *
 * Reference: bench/lm_torch.py, Hugging Face `GPT2Model(config)` with `output_hidden_states`, one
 * pass at a time, same token ids, torch.set_num_threads = brainmap's BLAS threads, run right before
 * brainmap on the same shape (the machine may be shared: ratios measured back to back are what to
 * read). Python: $BRAINMAP_PYTHON, else ./.venv/bin/python, else python3 (needs torch +
 * transformers). Without one, the last recorded PyTorch figures (bench/lm-reference.json, with
 * their date and conditions) are printed instead; `--lm-record` rewrites that file from this run.
 *
 * Printed per shape: brainmap tokens/s, PyTorch tokens/s, their ratio; the same per CPU-second of
 * each process (a figure that a busy machine disturbs less: under contention, PyTorch's OpenMP
 * threads spin and its wall time suffers most); brainmap's weight generation (all blocks, by the
 * backend; embeddings are generated row by row as tokens occur and are part of the forward time)
 * against `GPT2Model(config)`.
 *
 * Model-zoo rows (`--no-lm-zoo` to skip): untrained Llama-3.2-3B-shaped (28 blocks, d 3072, GQA
 * 24/8 heads, tied 128,256-row embeddings, llama3 RoPE) and RoBERTa-large-shaped (24 blocks, d 1024)
 * models (config.json of those checkpoints, weights by transformers' init rules, seed 0) on the
 * first `--lm-zoo-passes=N` (default 8) of the same passes, every hidden state; against
 * LlamaModel / RobertaModel(config) in bench/lm_torch.py. brainmap's weights are generated once and
 * held (float32: ≈ 13 GB for the 3B shape, as PyTorch's model), then the passes run one at a time
 * (as PyTorch's). `--lm-zoo-layers=N` keeps only N blocks of each (a shortened check; tokens/s then
 * is not the full model's).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pereiraPassages, pereiraRowLabels } from '../src/data/pereira-design.js';
import { type Backend, getBackend, setBlasThreads } from '../src/linalg/index.js';
import { untrainedConfig } from '../src/features/lm/config.js';
import { DEFAULT_LM_RULES, extractLmFeatures, gpt2Runner, planPasses, tokenizeSamples } from '../src/features/lm/extract.js';
import { Gpt2Model } from '../src/features/lm/gpt2.js';
import { UntrainedGpt2Weights } from '../src/features/lm/init.js';
import { r50kTokenizer } from '../src/features/lm/tokenizer.js';
import { openArchitecture } from '../src/features/lm/architectures.js';
import { initRules, UntrainedTensors, type TensorSource } from '../src/features/lm/untrained.js';
import { referenceEnv } from './env.js';

const SENTENCES = fileURLToPath(new URL('../../shared/data/pereira2018/sentences_ordered.txt', import.meta.url));
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TORCH_SCRIPT = fileURLToPath(new URL('./lm_torch.py', import.meta.url));
const REFERENCE = fileURLToPath(new URL('./lm-reference.json', import.meta.url));
const DEFAULT_XL_PASSES = 40;

/** One shape's figures. */
interface LmRow {
  passes: number;
  tokens: number;
  /** Wall-clock seconds. */
  init: number;
  forward: number;
  /** CPU seconds of the process (all threads). */
  initCpu: number;
  forwardCpu: number;
}

interface TorchRow extends LmRow {
  torch: string;
  transformers: string;
  threads: number;
}

/** bench/lm-reference.json: the last recorded PyTorch figures. */
interface Reference {
  date: string;
  conditions: string;
  rows: Record<string, TorchRow>;
}

/** A python with torch + transformers: $BRAINMAP_PYTHON, ./.venv/bin/python, python3 (null if none works). */
function findTorchPython(): { python: string } | { reason: string } {
  const env = process.env.BRAINMAP_PYTHON;
  const candidates = env ? [env] : [join(ROOT, '.venv', 'bin', 'python'), 'python3'];
  const tried: string[] = [];
  for (const py of candidates) {
    if (py.includes('/') && !existsSync(py)) {
      tried.push(`${py} (missing)`);
      continue;
    }
    const r = spawnSync(py, ['-c', 'import torch, transformers'], { encoding: 'utf8' });
    if (r.status === 0) return { python: py };
    tried.push(`${py} (${r.error ? r.error.message : (r.stderr.trim().split('\n').pop() ?? `exit ${r.status}`)})`);
  }
  return { reason: `no python with torch + transformers: ${tried.join('; ')}` };
}

function runTorch(python: string, shape: string, passes: number[][], threads: number, layers?: number): TorchRow | { error: string } {
  const dir = mkdtempSync(join(os.tmpdir(), 'brainmap-bench-'));
  try {
    const file = join(dir, 'passes.json');
    writeFileSync(file, JSON.stringify({ passes }));
    const r = spawnSync(python, [TORCH_SCRIPT, file, shape, String(threads), ...(layers ? [String(layers)] : [])], { encoding: 'utf8', maxBuffer: 1 << 24, env: referenceEnv() });
    if (r.status !== 0) return { error: r.error?.message ?? r.stderr.trim().split('\n').slice(-3).join(' | ') };
    const o = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as { torch: string; transformers: string; threads: number; init_s: number; init_cpu_s: number; tokens: number; forward_s: number; forward_cpu_s: number };
    return { passes: passes.length, tokens: o.tokens, init: o.init_s, forward: o.forward_s, initCpu: o.init_cpu_s, forwardCpu: o.forward_cpu_s, torch: o.torch, transformers: o.transformers, threads: o.threads };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function runBrainmap(backend: Backend, model: string, texts: string[], blocks: string[]): Promise<LmRow> {
  const cfg = untrainedConfig(model);
  const cpuSeconds = (u: NodeJS.CpuUsage): number => (u.user + u.system) / 1e6;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const weights = new UntrainedGpt2Weights(cfg, 0);
  for (let l = 0; l < cfg.nLayer; l++) await weights.preparedBlock(l, backend);
  const init = (performance.now() - t0) / 1000;
  const initCpu = cpuSeconds(process.cpuUsage(c0));
  const gm = new Gpt2Model(weights, backend);
  const t1 = performance.now();
  const c1 = process.cpuUsage();
  // As `lm:gpt2-untrained` runs it (src/features/lm/model.ts): no LM head — an untrained model's perplexity
  // means nothing, and PyTorch's GPT2Model has no head either.
  const f = await extractLmFeatures(gpt2Runner(gm, false), r50kTokenizer(), texts, blocks);
  const forward = (performance.now() - t1) / 1000;
  const forwardCpu = cpuSeconds(process.cpuUsage(c1));
  weights.release();
  return { passes: f.passes, tokens: f.tokensProcessed, init, forward, initCpu, forwardCpu };
}

const fmt = (x: number, digits = 1): string => x.toFixed(digits);

function loadReference(): Reference | null {
  try {
    return JSON.parse(readFileSync(REFERENCE, 'utf8')) as Reference;
  } catch {
    return null;
  }
}

function conditions(backend: Backend): string {
  const load = os.loadavg().map((x) => x.toFixed(1)).join(' ');
  return `${os.cpus()[0]?.model ?? 'cpu'} × ${os.availableParallelism()}, ${backend.getThreads()} threads, load average ${load} at the end`;
}

export async function benchLm(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  let texts: string[];
  try {
    texts = readFileSync(SENTENCES, 'utf8').split('\n').filter((l) => l !== '');
  } catch {
    console.log(`lm: skipped (${SENTENCES} not found)`);
    return;
  }
  const blocks = pereiraRowLabels(pereiraPassages());
  if (texts.length !== blocks.length) {
    console.log(`lm: skipped (${texts.length} sentences, expected ${blocks.length})`);
    return;
  }
  const xlArg = argv.find((a) => a.startsWith('--lm-xl-passes='))?.split('=')[1];
  const record = argv.includes('--lm-record');
  const threadArg = argv.find((a) => a.startsWith('--lm-threads='))?.split('=')[1];
  const backend = getBackend('auto');
  if (threadArg !== undefined) {
    const t = Number(threadArg);
    if (!Number.isInteger(t) || t < 1) throw new Error(`--lm-threads: expected a positive integer, got '${threadArg}'`);
    setBlasThreads(t);
  }
  const threads = backend.getThreads();
  const tokens = tokenizeSamples(texts, blocks, r50kTokenizer(), DEFAULT_LM_RULES);
  const passes = planPasses(blocks, tokens, DEFAULT_LM_RULES);
  const xlPasses = xlArg === 'all' ? passes.length : Number(xlArg ?? DEFAULT_XL_PASSES);
  if (!Number.isInteger(xlPasses) || xlPasses < 1) throw new Error(`--lm-xl-passes: expected a positive integer or 'all', got '${xlArg}'`);

  const py = findTorchPython();
  const ref = loadReference();
  console.log(`lm forward pass (untrained, seed 0, Pereira2018 with passage context, all hidden states; backend ${backend.name}, ${threads} threads)`);
  if ('reason' in py) console.log(`  PyTorch: not run (${py.reason}); showing the figures recorded ${ref ? `on ${ref.date} (${ref.conditions})` : '— none recorded'}`);
  const measured: Record<string, TorchRow> = {};
  for (const [shape, model, nPasses] of [['gpt2', 'gpt2-untrained', passes.length], ['gpt2-xl', 'gpt2-xl-untrained', Math.min(xlPasses, passes.length)]] as const) {
    const subset = passes.slice(0, nPasses);
    const nSamples = subset[subset.length - 1].samples.at(-1)!.sample + 1;
    // PyTorch first (its process has exited before brainmap allocates the same weights again).
    let tr: TorchRow | null = null;
    let note = '';
    if ('python' in py) {
      const r = runTorch(py.python, shape, subset.map((p) => p.ids), threads);
      if ('error' in r) note = ` (PyTorch failed: ${r.error})`;
      else {
        tr = r;
        measured[shape] = r;
      }
    }
    const bm = await runBrainmap(backend, model, texts.slice(0, nSamples), blocks.slice(0, nSamples));
    if (!('python' in py)) {
      tr = ref?.rows[shape] ?? null;
      if (tr && (tr.tokens !== bm.tokens || tr.passes !== bm.passes)) {
        note = ` (recorded PyTorch figure is for ${tr.passes} passes / ${tr.tokens} tokens)`;
      }
      if (tr && tr.threads !== threads) note += ` (PyTorch was recorded on ${tr.threads} thread${tr.threads === 1 ? '' : 's'}, brainmap ran on ${threads}: compare per CPU-second, or rerun with --lm-threads=${tr.threads})`;
    }
    const bmTps = bm.tokens / bm.forward;
    const head = `  ${shape.padEnd(8)} ${bm.passes} passes, ${bm.tokens} tokens${nPasses < passes.length ? ` (first ${nPasses} of ${passes.length} passes)` : ''}:`;
    if (tr) {
      const trTps = tr.tokens / tr.forward;
      const src = 'python' in py ? 'PyTorch' : `PyTorch (recorded ${ref?.date}, ${tr.threads} thread${tr.threads === 1 ? '' : 's'})`;
      console.log(`${head} brainmap ${fmt(bmTps)} tokens/s, ${src} ${fmt(trTps)} tokens/s → ${fmt(bmTps / trTps, 2)}×${note}`);
      console.log(`  ${''.padEnd(8)} per CPU-second (all threads): brainmap ${fmt(bm.tokens / bm.forwardCpu)}, PyTorch ${fmt(tr.tokens / tr.forwardCpu)} tokens → ${fmt((bm.tokens / bm.forwardCpu) / (tr.tokens / tr.forwardCpu), 2)}×`);
      console.log(`  ${''.padEnd(8)} weights: brainmap ${fmt(bm.init, 2)} s (all ${untrainedConfig(model).nLayer} blocks; ${fmt(bm.initCpu, 1)} CPU-s), GPT2Model(config) ${fmt(tr.init, 2)} s (${fmt(tr.initCpu, 1)} CPU-s) → brainmap ${fmt(tr.init / bm.init, 2)}× as fast (${fmt(tr.initCpu / bm.initCpu, 2)}× per CPU-second)`);
    } else {
      console.log(`${head} brainmap ${fmt(bmTps)} tokens/s (${fmt(bm.tokens / bm.forwardCpu)} per CPU-second), weights ${fmt(bm.init, 2)} s${note}`);
    }
  }
  if ('python' in py) {
    const any = Object.values(measured)[0];
    if (any) console.log(`  (PyTorch ${any.torch}, transformers ${any.transformers}, ${any.threads} threads; ${conditions(backend)})`);
    if (record && Object.keys(measured).length > 0) {
      const out: Reference = { date: new Date().toISOString().slice(0, 10), conditions: conditions(backend), rows: { ...(ref?.rows ?? {}), ...measured } };
      writeFileSync(REFERENCE, `${JSON.stringify(out, null, 2)}\n`);
      console.log(`  recorded in ${REFERENCE}`);
    }
  }
  if (!argv.includes('--no-lm-zoo')) await benchZoo(argv, backend, passes.map((p) => p.ids), 'python' in py ? py.python : null);
}

/** config.json of the two zoo shapes (the published checkpoints' values). */
const ZOO_SHAPES: Record<string, Record<string, unknown>> = {
  'llama-3.2-3b': {
    model_type: 'llama', vocab_size: 128256, hidden_size: 3072, intermediate_size: 8192, num_hidden_layers: 28, num_attention_heads: 24,
    num_key_value_heads: 8, head_dim: 128, max_position_embeddings: 131072, rms_norm_eps: 1e-5, hidden_act: 'silu', rope_theta: 500000,
    rope_scaling: { rope_type: 'llama3', factor: 32, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 },
    tie_word_embeddings: true, initializer_range: 0.02,
  },
  'roberta-large': {
    model_type: 'roberta', vocab_size: 50265, hidden_size: 1024, intermediate_size: 4096, num_hidden_layers: 24, num_attention_heads: 16,
    max_position_embeddings: 514, type_vocab_size: 1, layer_norm_eps: 1e-5, pad_token_id: 1, hidden_act: 'gelu', initializer_range: 0.02,
  },
};

/** Generated weights made once and held (what a loaded checkpoint is), so that passes time the forward pass alone. */
class HeldTensors implements TensorSource {
  readonly files: readonly string[] = [];
  private readonly held = new Map<string, Float32Array>();
  constructor(private readonly inner: UntrainedTensors) {}
  find(name: string): unknown { return this.inner.find(name); }
  get(name: string, shape: readonly number[]): Float32Array {
    let t = this.held.get(name);
    if (!t) { t = this.inner.get(name, shape); this.held.set(name, t); }
    return t;
  }
  getRows(name: string, shape: readonly [number, number], rows: readonly number[]): Float32Array { return this.inner.getRows(name, shape, rows); }
}

export async function benchZoo(argv: readonly string[], backend: Backend, allPasses: number[][], python: string | null): Promise<void> {
  const nArg = argv.find((a) => a.startsWith('--lm-zoo-passes='))?.split('=')[1];
  const lArg = argv.find((a) => a.startsWith('--lm-zoo-layers='))?.split('=')[1];
  const nPasses = Number(nArg ?? 8);
  if (!Number.isInteger(nPasses) || nPasses < 1) throw new Error(`--lm-zoo-passes: expected a positive integer, got '${nArg}'`);
  const layers = lArg === undefined ? undefined : Number(lArg);
  if (layers !== undefined && (!Number.isInteger(layers) || layers < 1)) throw new Error(`--lm-zoo-layers: expected a positive integer, got '${lArg}'`);
  const passes = allPasses.slice(0, nPasses).map((p) => p.slice(0, 512));
  const tokens = passes.reduce((a, p) => a + p.length, 0);
  const threads = backend.getThreads();
  console.log(`lm model zoo (untrained, seed 0, first ${passes.length} Pereira passes, ${tokens} tokens, every hidden state; ${threads} threads${layers ? `; only ${layers} blocks per model — a shortened check` : ''})`);
  for (const [shape, cfg] of Object.entries(ZOO_SHAPES)) {
    let tr: TorchRow | null = null;
    let note = '';
    if (python) {
      const r = runTorch(python, shape, passes, threads, layers);
      if ('error' in r) note = ` (PyTorch failed: ${r.error})`;
      else tr = r;
    } else note = ' (PyTorch: no python with torch + transformers)';
    const dir = mkdtempSync(join(os.tmpdir(), 'brainmap-bench-zoo-'));
    try {
      writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...cfg, ...(layers ? { num_hidden_layers: layers } : {}) }));
      const cpu = (u: NodeJS.CpuUsage): number => (u.user + u.system) / 1e6;
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      const arch = openArchitecture(dir, new HeldTensors(new UntrainedTensors(initRules(dir, String(cfg.model_type)), 0, join(dir, 'config.json'))));
      await arch.hiddenStates([[passes[0][0]]], backend); // generates and holds every block's weights
      const init = (performance.now() - t0) / 1000;
      const initCpu = cpu(process.cpuUsage(c0));
      const t1 = performance.now();
      const c1 = process.cpuUsage();
      for (const p of passes) await arch.hiddenStates([p], backend);
      const forward = (performance.now() - t1) / 1000;
      const forwardCpu = cpu(process.cpuUsage(c1));
      const bmTps = tokens / forward;
      const head = `  ${shape.padEnd(14)} ${arch.nLayer} blocks:`;
      if (tr) {
        const trTps = tr.tokens / tr.forward;
        console.log(`${head} brainmap ${fmt(bmTps)} tokens/s, PyTorch ${fmt(trTps)} tokens/s → ${fmt(bmTps / trTps, 2)}×; per CPU-second ${fmt(tokens / forwardCpu)} vs ${fmt(tr.tokens / tr.forwardCpu)}; weights: brainmap ${fmt(init, 1)} s, ${shape === 'llama-3.2-3b' ? 'LlamaModel' : 'RobertaModel'}(config) ${fmt(tr.init, 1)} s`);
      } else {
        console.log(`${head} brainmap ${fmt(bmTps)} tokens/s (${fmt(tokens / forwardCpu)} per CPU-second), weights ${fmt(init, 1)} s (${fmt(initCpu, 1)} CPU-s)${note}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  console.log(`  (${conditions(backend)})`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await benchLm();
