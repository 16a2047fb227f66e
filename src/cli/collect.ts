import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { inputError } from '../data/errors.js';
import { describeFsError } from '../io/fsutil.js';
import { writeFileAtomic } from '../pipeline/results.js';
import { checkOutputFile } from './outpath.js';

interface CollectCommandOptions {
  out?: string;
}

export function registerCollectCommand(program: Command): void {
  program
    .command('collect')
    .description('one long tidy CSV of every result under a folder or results store: a row per analysis, level (dataset, subject, unit), experiment, subject, unit and metric, with every setting as a column (loads in pandas/R without joins)')
    .argument('<folder|store>', 'a folder of results (brainmap score/partition/audit/deconstruct/demo --out) or a results store (brainmap run); read recursively')
    .option('--out <file.csv>', 'write the CSV to this file (default: standard output)')
    .addHelpText('after', `
Examples:
  brainmap collect brainmap-store --out sweep.csv     # every job of a sweep store
  brainmap collect audit/ > audit.csv                 # an audit: its scores, partitions and banded lines
  python3 -c "import pandas as pd; d = pd.read_csv('sweep.csv'); print(d[(d.level == 'subject') & (d.metric == 'r2')].pivot_table(index='subject', columns=['features', 'split'], values='value'))"`)
    .action(async (dir: string, opts: CollectCommandOptions) => {
      let isDir = false;
      try {
        isDir = statSync(dir).isDirectory();
      } catch (err) {
        throw inputError(dir, 'folder', describeFsError(err));
      }
      if (!isDir) throw inputError(dir, 'folder', 'is a file, expected a folder of results or a results store');
      if (opts.out) checkOutputFile(opts.out, '--out');
      const { collectResults, collectedCsv } = await import('../report/collect.js');
      const c = collectResults(dir);
      if (c.analyses === 0) throw inputError(dir, 'folder', 'no score.json, partition.json, audit.json or deconstruct.json found under it');
      const csv = collectedCsv(c);
      for (const n of c.notes.slice(0, 10)) process.stderr.write(`warning: ${n.file}: ${n.problem}\n`);
      if (c.notes.length > 10) process.stderr.write(`warning: … and ${c.notes.length - 10} more incomplete or unreadable files\n`);
      if (!opts.out) {
        process.stdout.write(csv);
        return;
      }
      try {
        mkdirSync(dirname(resolve(opts.out)), { recursive: true });
        writeFileAtomic(resolve(opts.out), csv);
      } catch (err) {
        throw inputError(resolve(opts.out), '--out', `cannot write the CSV (${describeFsError(err)})`);
      }
      process.stderr.write(`wrote ${opts.out}: ${c.rows.length} rows × ${c.columns.length} columns from ${c.analyses} analyses\n`);
    });
}
