/**
 * The parts of `--help` shared by the commands: the table of feature terms (generated from the
 * feature registry, so it lists exactly what `--features` accepts) and each command's runnable
 * examples. Commands add them with `.addHelpText('after', …)`.
 *
 * The registry's built-in features load with the fitting code (language models, linear algebra),
 * which a command's start-up must not load (see main.ts): `loadFeatureTerms` registers them only
 * when help is asked for, and the help text reads what is registered at the time it is printed.
 */
import type { FeatureDefinition } from '../features/registry.js';
import { table } from './format.js';

let terms: readonly FeatureDefinition[] = [];

/** Registers the built-in features and keeps their definitions for the help text. */
export async function loadFeatureTerms(): Promise<void> {
  const [{ registerBuiltinFeatures }, { featureDefinitions }] = await Promise.all([import('../features/builtin.js'), import('../features/registry.js')]);
  registerBuiltinFeatures();
  terms = featureDefinitions();
}

/** Breaks text into lines of at most `width` characters at spaces. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line !== '' && line.length + 1 + word.length > width) { lines.push(line); line = word; } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(line);
  return lines;
}

/**
 * The feature-term table (term, arguments, what it is) of every registered feature, with the spec
 * grammar; empty when no feature is registered (help not requested: see loadFeatureTerms).
 */
export function featureTermsHelp(): string {
  if (terms.length === 0) return '';
  const rows: string[][] = [];
  for (const def of terms) {
    const args = wrap(def.params.length === 0 ? '–' : def.params.join(', '), 14);
    const what = wrap(def.summary, 56);
    for (let i = 0; i < Math.max(args.length, what.length); i++) rows.push([i === 0 ? def.name : '', args[i] ?? '', what[i] ?? '']);
  }
  return [
    '',
    'Feature terms (--features, --a, --b, --simple, --oasm):',
    table(['term', 'arguments', 'what it is'], rows).split('\n').map((l) => `  ${l}`).join('\n'),
    '  A term is name[:key=value…] (lm:<model>:layer=…); "+" stacks terms into one band, "|" separates the bands',
    '  of a banded ridge, key=grid or key=a,b,c is a grid chosen by inner cross-validation, and :delays=1,2,3',
    '  adds delayed copies (FIR, in samples). The method of each feature: docs/method.md §3.',
  ].join('\n');
}

/** One example: the command line (starting with `brainmap`) and what it does. */
export interface HelpExample {
  cmd: string;
  what: string;
}

/** Two or three runnable examples per command (the help test parses every one). */
export const EXAMPLES: Readonly<Record<string, readonly HelpExample[]>> = {
  score: [
    { cmd: 'brainmap score --dataset sim:fedorenko --features oasm:sigma=1.8 --split shuffled', what: "OASM with the paper's shuffled folds (leaks across folds)" },
    { cmd: 'brainmap score --dataset sim:fedorenko --features wp:sigma=grid --split contiguous --out wp-score', what: 'word position, σ chosen by inner CV, results written to wp-score/' },
    { cmd: "brainmap score --dataset sim:pereira --features 'sp:sigma=3.4+sl|bow' --n-iter 30", what: 'banded ridge: position+length and bag of words as two bands' },
  ],
  demo: [
    { cmd: 'brainmap demo --out brainmap-demo', what: 'every simulated dataset; the report is brainmap-demo/report.html' },
    { cmd: 'brainmap demo --dataset sim:fedorenko --out demo-fedorenko', what: 'the Fedorenko design only (faster)' },
  ],
  report: [
    { cmd: 'brainmap report brainmap-demo', what: 'the demo results as one HTML file (brainmap-demo/report.html)' },
    { cmd: "brainmap report audit-out --figures audit-figures --title 'audit of an untrained GPT-2'", what: 'an audit folder, with an SVG and a PNG of every figure' },
  ],
  audit: [
    { cmd: 'brainmap audit --dataset sim:fedorenko --features lm:gpt2-untrained:layer=4:pool=last --out audit-out', what: 'what an untrained GPT-2 layer’s score is made of' },
    { cmd: "brainmap audit --dataset sim:pereira --features bow --simple 'sp:sigma=3.4+sl' --no-brainscore", what: 'a content feature against position+length, without the old protocol' },
  ],
  partition: [
    { cmd: 'brainmap partition --dataset sim:fedorenko --a wp:sigma=4.7 --b lm:gpt2-untrained:layer=4:pool=last --n-iter 30', what: 'how much of an untrained GPT-2 layer word position explains (Ω)' },
    { cmd: "brainmap partition --dataset sim:pereira --a 'sp:sigma=3.4+sl' --b bow --out part-out --json", what: 'position+length versus bag of words, as JSON' },
  ],
  deconstruct: [
    { cmd: 'brainmap deconstruct --dataset sim:pereira:content=0:word=0.5:sense=0.4:synt=0.4 --space len=planted:len --space pos=planted:pos --space word=planted:word --space sense=planted:sense --space synt=planted:synt --space llm=planted:llm --out dec-out', what: 'the simulated spaces the responses were made of, and an "LLM" made of them: 63 sub-models' },
    { cmd: "brainmap deconstruct --dataset sim:fedorenko --space wp=wp:sigma=4.7 --space bow=bow --space llm=lm:gpt2-untrained:layer=4:pool=last --n-iter 10 --json", what: 'word position, bag of words and an untrained GPT-2 layer (7 sub-models), as JSON' },
    { cmd: "brainmap deconstruct --dataset sim:pereira --space sp='sp:sigma=3.4+sl' --space bow=bow --space llm=planted:llm --models sp,bow,sp+bow,sp+bow+llm", what: 'only the chosen sub-models (plus the LLM alone)' },
  ],
  inspect: [
    { cmd: 'brainmap inspect --dataset sim:pereira', what: 'samples, units, experiments and folds of the simulated Pereira design' },
    { cmd: 'brainmap inspect my-dataset --json', what: 'a dataset folder (y.npy, samples.csv, units.csv) as JSON' },
  ],
  ceiling: [
    { cmd: 'brainmap ceiling --dataset sim:fedorenko --method subject-pool', what: "Brain-Score's subject-pool ceiling" },
    { cmd: 'brainmap ceiling --dataset my-dataset --method split-half --out ceiling-out', what: 'split-half ceilings from the repeat column of samples.csv' },
  ],
  run: [
    { cmd: 'brainmap run examples/figure1-fedorenko.yaml --dry-run', what: 'the jobs of an experiment file and which are done' },
    { cmd: 'brainmap run examples/figure1-fedorenko.yaml --workers 2 --store brainmap-store', what: 'run them here on two worker threads' },
    { cmd: 'brainmap run examples/figure1-fedorenko.yaml --queue redis://localhost:6379', what: 'enqueue them for brainmap worker processes' },
  ],
  worker: [
    { cmd: 'brainmap worker --queue redis://localhost:6379 --store /shared/brainmap-store', what: 'compute queued jobs into a shared store' },
    { cmd: 'brainmap worker --queue redis://localhost:6379 --store /shared/brainmap-store --workers 4 --exit-when-drained', what: 'four jobs at once; exit when the queue is empty' },
  ],
  status: [
    { cmd: 'brainmap status examples/figure1-fedorenko.yaml', what: 'jobs of the experiment done in its store' },
    { cmd: 'brainmap status --store brainmap-store --queue redis://localhost:6379', what: 'the store and the queue' },
  ],
  'features lm': [
    { cmd: 'brainmap features lm --model gpt2-untrained --dataset sim:fedorenko --out gpt2u-features', what: 'every layer of an untrained GPT-2, pooled three ways' },
    { cmd: 'brainmap features lm --model models/gpt2 --dataset fedorenko2016:data/fedorenko2016.nc --pool last --out gpt2-features', what: 'a Hugging Face folder, last-token pooling only' },
  ],
};

/** The "Examples:" block of a command (its path: `score`, `features lm`). */
export function examplesHelp(command: string): string {
  const ex = EXAMPLES[command] ?? [];
  if (ex.length === 0) return '';
  return ['', 'Examples:', ...ex.flatMap((e) => [`  ${e.cmd}`, `      ${e.what}`])].join('\n');
}

/** Help after the options: the feature table (commands that take features) and the examples. */
export function helpAfter(command: string, opts: { features?: boolean } = {}): () => string {
  return () => (opts.features ? featureTermsHelp() + '\n' : '') + examplesHelp(command) + '\n';
}
