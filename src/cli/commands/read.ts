/** `totemscope read FILE`: decode a capture like `tshark -r`. */
import { readFileSync } from 'node:fs';
import { Command, Option } from '@commander-js/extra-typings';
import { parsePortRange } from '../../decode/ports.ts';
import type { DisplayFilter } from '../../filter/displayFilter.ts';
import type { ReadConfig } from '../../read/types.ts';
// The work is imported when the command runs: `read --stats` then loads only what counting needs.

/** Exit statuses: 0 read to the end; 1 truncated/corrupt capture; 2 usage; 3 knet traffic that could not be decrypted. */
const EXIT_UNREADABLE = 1;
const EXIT_USAGE = 2;
const EXIT_UNDECRYPTABLE = 3;

const KNET_CIPHERS = ['none', 'aes128', 'aes192', 'aes256'] as const;
const KNET_HASHES = ['none', 'md5', 'sha1', 'sha256', 'sha384', 'sha512'] as const;

function collect(v: string, prev: string[]): string[] {
  return [...prev, v];
}

/** Reads an authkey; errors name the file, never the bytes. */
function readAuthkey(path: string): Uint8Array {
  const key = readFileSync(path);
  if (key.length === 0) throw new Error(`authkey ${path} is empty`);
  return new Uint8Array(key.buffer, key.byteOffset, key.byteLength);
}

function nonNegativeInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`expected a non-negative integer, got '${v}'`);
  return n;
}

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
    .addOption(
      new Option('--threads <n>', 'with --stats on a capture file: decode shards of a big file in N threads (default: the cores, at most 4, when the file has 160 MiB or more per thread; 1: one pass)').argParser(positiveInt),
    )
    .option('--all', 'also list frames that are not corosync traffic')
    .option('--deliver', 'one line per assembled application message in agreed order, as a CPG client received it (--json: one object each)')
    .addOption(new Option('--payload-bytes <n>', 'with --deliver --json: body bytes shown as hex').argParser(nonNegativeInt).default(64))
    .option('--ports <range>', 'UDP ports carrying corosync traffic (either side)', '5404-5412')
    .option('-k, --key <file>', 'knet authkey file (repeatable, tried in order; never printed)', collect, [] as string[])
    .addOption(new Option('--cipher <cipher>', 'knet crypto_cipher, when known (else detected per packet)').choices(KNET_CIPHERS))
    .addOption(new Option('--hash <hash>', 'knet crypto_hash, when known (else detected per packet)').choices(KNET_HASHES))
    .action(async (file, opts) => {
      let filter: DisplayFilter | undefined;
      if (opts.filter !== undefined) {
        const [{ compileFilter, FilterSyntaxError }, { isKnownField }] = await Promise.all([import('../../filter/displayFilter.ts'), import('../../catalog.ts')]);
        try {
          filter = compileFilter(opts.filter, isKnownField);
        } catch (e) {
          if (e instanceof FilterSyntaxError) {
            process.stderr.write(`totemscope: bad display filter: ${e.message}\n`);
            process.exitCode = EXIT_USAGE;
            return;
          }
          throw e;
        }
      }
      const cfg: ReadConfig = {
        path: file,
        mode: opts.stats ? 'stats' : opts.deliver ? 'deliver' : opts.json ? 'json' : opts.verbose ? 'verbose' : 'summary',
        deliverJson: opts.deliver === true && opts.json === true,
        payloadBytes: opts.payloadBytes,
        statsJson: opts.stats === true && opts.json === true,
        hex: opts.hex === true,
        all: opts.all === true,
        ports: parsePortRange(opts.ports),
        knet: {
          keys: opts.key.map(readAuthkey),
          ...(opts.cipher !== undefined ? { cipher: opts.cipher } : {}),
          ...(opts.hash !== undefined ? { hash: opts.hash } : {}),
        },
        threads: opts.threads ?? (await import('../../read/shards.ts')).defaultThreads(),
        threadsAsked: opts.threads !== undefined,
        ...(opts.count !== undefined ? { count: opts.count } : {}),
        ...(filter !== undefined ? { filter } : {}),
      };
      const result =
        cfg.mode === 'stats'
          ? await (await import('../../read/statsRead.ts')).runStatsRead(cfg, process.stdout, process.stderr)
          : await (await import('../../read/run.ts')).runRead(cfg, process.stdout, process.stderr);
      if (!result.complete) process.exitCode = EXIT_UNREADABLE;
      else if (result.undecryptable > 0) process.exitCode = EXIT_UNDECRYPTABLE;
    });
}
