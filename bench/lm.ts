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
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pereiraPassages, pereiraRowLabels } from '../src/data/pereira-design.js';
import { type Backend, getBackend, setBlasThreads } from '../src/linalg/index.js';
import { untrainedConfig } from '../src/features/lm/config.js';
import { DEFAULT_LM_RULES, extractLmFeatures, planPasses, tokenizeSamples } from '../src/features/lm/extract.js';
import { Gpt2Model } from '../src/features/lm/gpt2.js';
import { UntrainedGpt2Weights } from '../src/features/lm/init.js';
import { r50kTokenizer } from '../src/features/lm/tokenizer.js';

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

function runTorch(python: string, shape: 'gpt2' | 'gpt2-xl', passes: number[][], threads: number): TorchRow | { error: string } {
  const dir = mkdtempSync(join(os.tmpdir(), 'brainmap-bench-'));
  try {
    const file = join(dir, 'passes.json');
    writeFileSync(file, JSON.stringify({ passes }));
    const r = spawnSync(python, [TORCH_SCRIPT, file, shape, String(threads)], { encoding: 'utf8', maxBuffer: 1 << 24 });
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
  const f = await extractLmFeatures(gm, r50kTokenizer(), texts, blocks);
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
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await benchLm();
