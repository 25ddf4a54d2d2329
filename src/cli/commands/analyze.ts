/**
 * `totemscope analyze FILE... [--config corosync.conf] [--token MS] [--key FILE] [--json]`:
 * ring reconstruction of one or more captures (src/analysis/). Options → AnalyzerOptions; the
 * work is `analyzeFiles` and `renderTextReport`.
 */
import { readFileSync, statSync } from 'node:fs';
import { Command, InvalidArgumentError } from '@commander-js/extra-typings';
import type { AnalyzerOptions } from '../../analysis/types.ts';
import type { PipelineOptions } from '../../decode/pipeline.ts';
// The work is imported when the command runs, so other commands do not load (or compile) it.

function positiveMs(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number of milliseconds');
  return n;
}

/** Large inputs on a terminal get a progress bar on stderr. */
const PROGRESS_MIN_BYTES = 50 * 1024 * 1024;

export function register(program: Command): void {
  program
    .command('analyze')
    .description('reconstruct the ring(s) in captures: memberships, token timing, retransmissions, token loss, capture gaps')
    .argument('<file...>', 'capture files (pcap/pcapng); several captures of one incident are merged by timestamp')
    .option('--config <file>', 'corosync.conf: effective token timeout, node names and addresses')
    .option('--token <ms>', 'effective token timeout in ms (enables near-miss detection)', positiveMs)
    .option('--key <file>', 'knet authkey, to decrypt knet captures')
    .option('--json', 'print the JSON report (docs/analyze-json.md)')
    .action(async (files, opts) => {
      const [{ analyzerOptionsFromConf }, { analyzeFiles }, { renderTextReport }] = await Promise.all([
        import('../../analysis/confTimers.ts'),
        import('../../analysis/files.ts'),
        import('../../analysis/textReport.ts'),
      ]);
      let analyzer: AnalyzerOptions = opts.config !== undefined ? analyzerOptionsFromConf(readFileSync(opts.config, 'utf8')) : {};
      if (opts.token !== undefined) analyzer = { ...analyzer, tokenMs: opts.token, timersSource: '--token' };
      const pipeline: PipelineOptions = opts.key !== undefined ? { knet: { keys: [new Uint8Array(readFileSync(opts.key))] } } : {};
      let totalBytes = 0;
      for (const f of files) totalBytes += f === '-' ? 0 : statSync(f).size;
      const showProgress = process.stderr.isTTY === true && totalBytes >= PROGRESS_MIN_BYTES && files.length === 1;
      const result = await analyzeFiles(files, {
        analyzer,
        pipeline,
        totalBytes,
        ...(showProgress ? { onProgress: (read: number, total: number) => progress(read, total) } : {}),
      });
      if (showProgress) process.stderr.write('\r\x1b[K');
      process.stdout.write(opts.json === true ? JSON.stringify(result.report, null, 2) + '\n' : renderTextReport(result.report));
    });
}

function progress(read: number, total: number): void {
  if (total <= 0) return;
  const frac = Math.min(1, read / total);
  const width = 40;
  const done = Math.round(frac * width);
  process.stderr.write(`\r[${'#'.repeat(done)}${'.'.repeat(width - done)}] ${(frac * 100).toFixed(0)}%`);
}
