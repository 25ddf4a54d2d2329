/** `totemscope read FILE`: decode a capture like `tshark -r`. */
import { Command, Option } from '@commander-js/extra-typings';
import { isKnownField } from '../../catalog.ts';
import { parsePortRange } from '../../decode/ports.ts';
import { compileFilter, FilterSyntaxError, type DisplayFilter } from '../../filter/displayFilter.ts';
import { runRead, type ReadConfig } from '../../read/run.ts';

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`expected a positive integer, got '${v}'`);
  return n;
}

export function register(program: Command): void {
  program
    .command('read')
    .description('decode a pcap/pcapng capture of corosync traffic (FILE or - for stdin), like tshark -r')
    .argument('<file>', "capture file (pcap or pcapng), or '-' for standard input")
    .option('-V, --verbose', 'print the full decoded tree of each frame')
    .option('-x, --hex', 'print a hex dump of each frame')
    .option('--json', 'one JSON object per frame (flat dotted field names); with --stats, the statistics as JSON')
    .addOption(new Option('-c, --count <n>', 'stop after reading N frames').argParser(positiveInt))
    .option('-Y, --filter <expr>', "display filter over catalog fields, e.g. 'corosync_totemsrp.orf_token.rtr_list_entries > 0'")
    .option('--stats', 'no per-frame output: a closing table of frames by transport and type, errors by code')
    .option('--all', 'also list frames that are not corosync traffic')
    .option('--ports <range>', 'UDP ports carrying corosync traffic (either side)', '5404-5412')
    .action(async (file, opts) => {
      let filter: DisplayFilter | undefined;
      if (opts.filter !== undefined) {
        try {
          filter = compileFilter(opts.filter, isKnownField);
        } catch (e) {
          if (e instanceof FilterSyntaxError) {
            process.stderr.write(`totemscope: bad display filter: ${e.message}\n`);
            process.exitCode = 2;
            return;
          }
          throw e;
        }
      }
      const cfg: ReadConfig = {
        path: file,
        mode: opts.stats ? 'stats' : opts.json ? 'json' : opts.verbose ? 'verbose' : 'summary',
        statsJson: opts.stats === true && opts.json === true,
        hex: opts.hex === true,
        all: opts.all === true,
        ports: parsePortRange(opts.ports),
        ...(opts.count !== undefined ? { count: opts.count } : {}),
        ...(filter !== undefined ? { filter } : {}),
      };
      const result = await runRead(cfg, process.stdout, process.stderr);
      if (!result.complete) process.exitCode = 1;
    });
}
