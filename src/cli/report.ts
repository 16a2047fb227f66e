import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { inputError } from '../data/errors.js';
import { describeFsError } from '../io/fsutil.js';
import { checkOutputDir, checkOutputFile } from './outpath.js';
import { helpAfter } from './help.js';

interface ReportCommandOptions {
  out?: string;
  figures?: string;
  title?: string;
}

export function registerReportCommand(program: Command): void {
  program
    .command('report')
    .description('one self-contained HTML report (and, with --figures, SVG/PNG files) of every result under a folder')
    .argument('<results-dir>', 'a folder of results (brainmap demo/score/partition/audit --out, or a results store); read recursively')
    .option('--out <file>', 'the HTML file to write (default: <results-dir>/report.html)')
    .option('--figures <dir>', 'also write each figure as <id>.svg and <id>.png (and <id>-r.* for Pearson r) into this folder')
    .option('--title <text>', 'title of the report')
    .addHelpText('after', helpAfter('report'))
    .action(async (dir: string, opts: ReportCommandOptions) => {
      let isDir = false;
      try {
        isDir = statSync(dir).isDirectory();
      } catch (err) {
        throw inputError(dir, 'results-dir', describeFsError(err));
      }
      if (!isDir) throw inputError(dir, 'results-dir', 'is a file, expected a folder of results');
      // Unusable output paths fail before the results are read and the figures drawn.
      checkOutputFile(opts.out ?? join(dir, 'report.html'), opts.out ? '--out' : 'report.html');
      if (opts.figures) checkOutputDir(opts.figures, '--figures');
      const t0 = Date.now();
      // The report and figure modules (Vega) load when the command runs, not when the CLI starts.
      const { writeReport } = await import('../report/index.js');
      const { html, figures, model } = await writeReport(dir, { out: opts.out, figuresDir: opts.figures, title: opts.title });
      const lines = [`wrote ${html} (${model.figures.length} figures from ${model.manifest.length} result files, ${((Date.now() - t0) / 1000).toFixed(1)} s)`];
      if (opts.figures) lines.push(`wrote ${figures.length} figures as SVG and PNG to ${opts.figures}`);
      if (model.notes.length) {
        lines.push(`missing or incomplete (${model.notes.length}; listed at the top of the report):`);
        for (const n of model.notes.slice(0, 10)) lines.push(`  ${n.file}: ${n.problem}`);
        if (model.notes.length > 10) lines.push(`  … and ${model.notes.length - 10} more`);
      }
      process.stdout.write(lines.join('\n') + '\n');
    });
}
