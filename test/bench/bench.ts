/**
 * `npm run bench`: decode speed and memory on >= 1,000,000 real frames, against tshark on the same file.
 *
 * The big captures are built once under bench-data/ by replicating real captures from
 * samples/reference with shifted timestamps. Each case runs the CLI as a user would, under
 * /usr/bin/time for wall time and peak RSS. No assertions: the figures are printed for the notes.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { knetBench } from './knet.ts';
import { replicateCapture } from './replicate.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
const DATA = join(ROOT, 'bench-data');
const MIN_FRAMES = Number(process.env['BENCH_FRAMES'] ?? 1_000_000);

interface Timed {
  readonly seconds: number;
  readonly peakRssMb: number;
  readonly status: number | null;
  readonly stderr: string;
}

function ensureTimeTool(): void {
  if (existsSync('/usr/bin/time')) return;
  spawnSync('bash', ['-c', 'apt-get install -y -qq time >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq time)'], { stdio: 'inherit' });
  if (!existsSync('/usr/bin/time')) throw new Error('bench needs /usr/bin/time (Debian package "time")');
}

function timed(argv: readonly string[]): Timed {
  const r = spawnSync('/usr/bin/time', ['-f', 'BENCH_TIME %e %M', ...argv], {
    encoding: 'utf8',
    maxBuffer: 256 << 20,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const m = /BENCH_TIME ([\d.]+) (\d+)/.exec(r.stderr);
  if (m === null) throw new Error(`no timing from ${argv.join(' ')}: ${r.stderr.slice(-500)}`);
  return { seconds: Number(m[1]), peakRssMb: Number(m[2]) / 1024, status: r.status, stderr: r.stderr.replace(/BENCH_TIME.*\n?/, '') };
}

async function bigCapture(name: string, source: string, opts: { readonly shiftRings?: boolean } = {}): Promise<{ path: string; frames: number }> {
  mkdirSync(DATA, { recursive: true });
  const path = join(DATA, `${name}-${MIN_FRAMES}.pcap`);
  const countPath = `${path}.frames`;
  if (!existsSync(path) || !existsSync(countPath)) {
    process.stderr.write(`bench: building ${path} from ${source}\n`);
    const { frames } = await replicateCapture(join(ROOT, source), path, MIN_FRAMES, opts);
    const { writeFileSync } = await import('node:fs');
    writeFileSync(countPath, String(frames));
  }
  const { readFileSync } = await import('node:fs');
  return { path, frames: Number(readFileSync(countPath, 'utf8')) };
}

function row(label: string, frames: number, t: Timed): string {
  const fps = frames / t.seconds;
  return `${label.padEnd(44)} ${t.seconds.toFixed(2).padStart(8)} s ${Math.round(fps).toLocaleString('en-US').padStart(12)} frames/s  peak RSS ${t.peakRssMb.toFixed(0).padStart(5)} MB${t.status === 0 ? '' : `  (exit ${t.status})`}`;
}

async function main(): Promise<void> {
  ensureTimeTool();
  const cli = [process.execPath, join(ROOT, 'bin/totemscope.mjs')];
  const lines: string[] = [];

  // Ring ids shifted per copy, so the analysis sees a long capture of successive rings.
  const udpu = await bigCapture('udpu-rings', 'samples/reference/udpu.pcap', { shiftRings: true });
  const size = statSync(udpu.path).size / (1 << 20);
  lines.push(`udpu capture: ${udpu.frames.toLocaleString('en-US')} frames, ${size.toFixed(0)} MB (${udpu.path})`);
  // Default: as many threads as cores (at most 4); the one-pass figure beside it.
  const cores = Math.min(4, availableParallelism());
  const ours = timed([...cli, 'read', '--stats', udpu.path]);
  lines.push(row(`totemscope read --stats (${cores} threads)`, udpu.frames, ours));
  if (ours.status !== 0 || ours.stderr !== '') lines.push(ours.stderr);
  const onePass = timed([...cli, 'read', '--stats', '--threads', '1', udpu.path]);
  lines.push(row('totemscope read --stats --threads 1', udpu.frames, onePass));
  if (onePass.status !== 0) lines.push(onePass.stderr);
  const tshark = timed(['tshark', '-r', udpu.path, '-q', '-z', 'io,phs']);
  lines.push(row('tshark -q -z io,phs', udpu.frames, tshark));
  lines.push(`ratio: totemscope is ${(tshark.seconds / ours.seconds).toFixed(1)}x faster than tshark (${(tshark.seconds / onePass.seconds).toFixed(1)}x in one thread)`);

  const kill = await bigCapture('udpu-kill-restart', 'samples/udpu-kill-restart/capture.pcap', { shiftRings: true });
  lines.push(`udpu kill/restart capture: ${kill.frames.toLocaleString('en-US')} frames (${kill.path})`);
  const analyze = timed([...cli, 'analyze', '--json', '--config', join(ROOT, 'samples/udpu-kill-restart/corosync.conf'), kill.path]);
  lines.push(row('totemscope analyze --json', kill.frames, analyze));
  if (analyze.status !== 0) lines.push(analyze.stderr);

  lines.push(...(await knetBench()));
  process.stdout.write(`${lines.join('\n')}\n`);
}

await main();
