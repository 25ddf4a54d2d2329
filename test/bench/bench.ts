/**
 * `npm run bench`: decode speed and memory on >= 1,000,000 real frames, against tshark on the same file.
 *
 * The big captures are built once under bench-data/ by replicating real captures from
 * samples/reference with shifted timestamps. Each case runs the CLI as a user would, under
 * /usr/bin/time for wall time and peak RSS. No assertions: the figures are printed for the notes.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { buildBundle } from './bundle.ts';
import { knetBench } from './knet.ts';
import { replicateCapture } from './replicate.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
const DATA = join(ROOT, 'bench-data');
const MIN_FRAMES = Number(process.env['BENCH_FRAMES'] ?? 1_000_000);

interface Timed {
  readonly seconds: number;
  /** user + system CPU seconds of the command (steal excluded). */
  readonly cpuSeconds: number;
  readonly peakRssMb: number;
  readonly status: number | null;
  readonly stderr: string;
  /** Share of the machine's CPU time the hypervisor took (steal) while the command ran. */
  readonly stealShare: number;
}

function ensureTimeTool(): void {
  if (existsSync('/usr/bin/time')) return;
  spawnSync('bash', ['-c', 'apt-get install -y -qq time >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq time)'], { stdio: 'inherit' });
  if (!existsSync('/usr/bin/time')) throw new Error('bench needs /usr/bin/time (Debian package "time")');
}

/** The machine's CPU time counters (/proc/stat "cpu" line): total and steal, in ticks. */
function cpuTicks(): { total: number; steal: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
  return { total: line.reduce((a, b) => a + b, 0), steal: line[7] ?? 0 };
}

function timed(argv: readonly string[]): Timed {
  const before = cpuTicks();
  const r = spawnSync('/usr/bin/time', ['-f', 'BENCH_TIME %e %M %U %S', ...argv], {
    encoding: 'utf8',
    maxBuffer: 256 << 20,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const after = cpuTicks();
  const m = /BENCH_TIME ([\d.]+) (\d+) ([\d.]+) ([\d.]+)/.exec(r.stderr);
  if (m === null) throw new Error(`no timing from ${argv.join(' ')}: ${r.stderr.slice(-500)}`);
  return {
    seconds: Number(m[1]),
    peakRssMb: Number(m[2]) / 1024,
    cpuSeconds: Number(m[3]) + Number(m[4]),
    status: r.status,
    stderr: r.stderr.replace(/BENCH_TIME.*\n?/, ''),
    stealShare: (after.steal - before.steal) / Math.max(1, after.total - before.total),
  };
}

/** Runs a command `runs` times; the run with the median wall time, and the range. */
function timedRuns(argv: readonly string[], runs: number): { median: Timed; all: Timed[] } {
  const all = Array.from({ length: runs }, () => timed(argv));
  const sorted = [...all].sort((a, b) => a.seconds - b.seconds);
  return { median: sorted[Math.floor((sorted.length - 1) / 2)]!, all };
}

async function bigCapture(name: string, source: string, opts: { readonly shiftRings?: boolean } = {}, minFrames = MIN_FRAMES): Promise<{ path: string; frames: number }> {
  mkdirSync(DATA, { recursive: true });
  const path = join(DATA, `${name}-${minFrames}.pcap`);
  const countPath = `${path}.frames`;
  if (!existsSync(path) || !existsSync(countPath)) {
    process.stderr.write(`bench: building ${path} from ${source}\n`);
    const { frames } = await replicateCapture(join(ROOT, source), path, minFrames, opts);
    const { writeFileSync } = await import('node:fs');
    writeFileSync(countPath, String(frames));
  }
  return { path, frames: Number(readFileSync(countPath, 'utf8')) };
}

function row(label: string, frames: number, t: Timed, all?: readonly Timed[]): string {
  const fps = frames / t.seconds;
  const range = all !== undefined && all.length > 1 ? `  (${all.length} runs: ${all.map((x) => x.seconds.toFixed(2)).join(' ')} s)` : '';
  const rss = Math.max(t.peakRssMb, ...(all ?? []).map((x) => x.peakRssMb));
  return (
    `${label.padEnd(44)} ${t.seconds.toFixed(2).padStart(8)} s ${Math.round(fps).toLocaleString('en-US').padStart(12)} frames/s  ` +
    `cpu ${t.cpuSeconds.toFixed(2)} s  peak RSS ${rss.toFixed(0).padStart(5)} MB  steal ${(t.stealShare * 100).toFixed(0)}%${t.status === 0 ? '' : `  (exit ${t.status})`}${range}`
  );
}

async function main(): Promise<void> {
  ensureTimeTool();
  buildBundle();
  const cli = [process.execPath, join(ROOT, 'bin/totemscope.mjs')];
  const lines: string[] = [];
  const runs = Math.max(1, Number(process.env['BENCH_RUNS'] ?? 5));

  // Ring ids shifted per copy, so the analysis sees a long capture of successive rings.
  const udpu = await bigCapture('udpu-rings', 'samples/reference/udpu.pcap', { shiftRings: true });
  const size = statSync(udpu.path).size / (1 << 20);
  lines.push(`udpu capture: ${udpu.frames.toLocaleString('en-US')} frames, ${size.toFixed(0)} MB (${udpu.path})`);
  lines.push(`each totemscope figure: the median of ${runs} runs (BENCH_RUNS); steal: CPU time the hypervisor took from this VM meanwhile`);
  // Default: threads only where they pay (src/read/shards.ts AUTO_MIN_SHARD_BYTES); then one and two threads.
  const ours = timedRuns([...cli, 'read', '--stats', udpu.path], runs);
  lines.push(row('totemscope read --stats (default)', udpu.frames, ours.median, ours.all));
  if (ours.median.status !== 0 || ours.median.stderr !== '') lines.push(ours.median.stderr);
  for (const threads of new Set([1, Math.min(4, availableParallelism())])) {
    const t = timedRuns([...cli, 'read', '--stats', '--threads', String(threads), udpu.path], runs);
    lines.push(row(`totemscope read --stats --threads ${threads}`, udpu.frames, t.median, t.all));
    if (t.median.status !== 0) lines.push(t.median.stderr);
  }
  const tshark = timed(['tshark', '-r', udpu.path, '-q', '-z', 'io,phs']);
  lines.push(row('tshark -q -z io,phs', udpu.frames, tshark));
  lines.push(`ratio: totemscope read --stats is ${(tshark.seconds / ours.median.seconds).toFixed(1)}x faster than tshark (median run; ${(tshark.seconds / Math.max(...ours.all.map((x) => x.seconds))).toFixed(1)}x for the slowest)`);

  // Three times the frames: threads pay off by default, and memory stays where it was.
  const triple = await bigCapture('udpu-rings', 'samples/reference/udpu.pcap', { shiftRings: true }, 3 * MIN_FRAMES);
  lines.push(`udpu capture x3: ${triple.frames.toLocaleString('en-US')} frames, ${(statSync(triple.path).size / (1 << 20)).toFixed(0)} MB`);
  const tripleDefault = timedRuns([...cli, 'read', '--stats', triple.path], Math.min(runs, 3));
  lines.push(row('totemscope read --stats (default)', triple.frames, tripleDefault.median, tripleDefault.all));
  const tripleOne = timedRuns([...cli, 'read', '--stats', '--threads', '1', triple.path], Math.min(runs, 3));
  lines.push(row('totemscope read --stats --threads 1', triple.frames, tripleOne.median, tripleOne.all));

  const kill = await bigCapture('udpu-kill-restart', 'samples/udpu-kill-restart/capture.pcap', { shiftRings: true });
  lines.push(`udpu kill/restart capture: ${kill.frames.toLocaleString('en-US')} frames (${kill.path})`);
  const analyze = timed([...cli, 'analyze', '--json', '--config', join(ROOT, 'samples/udpu-kill-restart/corosync.conf'), kill.path]);
  lines.push(row('totemscope analyze --json', kill.frames, analyze));
  if (analyze.status !== 0) lines.push(analyze.stderr);

  lines.push(...(await knetBench()));
  process.stdout.write(`${lines.join('\n')}\n`);
}

await main();
