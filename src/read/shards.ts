/**
 * `read --stats` over several threads: a big capture file is cut into shards at record boundaries,
 * the first shard is decoded here and the others in worker threads, and the counts are added in
 * file order.
 *
 * The sum is exactly what one pass gives, or it is not used: the caller then reads the file in one
 * pass (`readStatsSharded` resolves with `undefined` and a reason). Accepted only when
 *  - every boundary found by the resync heuristic is confirmed: the shard before it ended exactly
 *    there;
 *  - at every boundary the decoders of both shards are in the same state
 *    (FramePipeline.boundaryState): no IP datagram half reassembled, and for knet the same
 *    duplicate window, peer restart state, reassemblies and crypto detection. A shard after a knet
 *    boundary starts decoding 30 s of capture time early (without counting) to build that state;
 *    capture time must not go backwards (the knet windows rely on it);
 *  - no shard hit a malformed or truncated record (the single pass reports those, with offsets);
 *  - pcapng: no section or interface block appeared after the first packet.
 * Decoding is deterministic, so equal state at a boundary means equal results after it.
 */
import { availableParallelism } from 'node:os';
import { open, stat } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import { captureLayout, findRecordBoundary, type CaptureLayout } from '../../dissectors/capture/resync.ts';
import type { KnetCryptoOptions } from '../../dissectors/knet/index.ts';
import type { PortRange } from '../decode/ports.ts';
import { PipelineStats } from '../decode/stats.ts';
import { u32 } from '../../dissectors/bytes.ts';
import { FramePipeline } from '../decode/pipeline.ts';
import { CaptureReader } from '../../dissectors/capture/reader.ts';
import { runShard, type ShardResult, type ShardSpec } from './shard.ts';

/** Below this many bytes per shard, threads cost more than they save, even when asked for. */
export const DEFAULT_MIN_SHARD_BYTES = 32 << 20;
/**
 * The shard size when the thread count was not asked for. A worker costs about 0.3 s of CPU of its
 * own (an isolate that loads, compiles and warms up the decoders afresh), so on the 2-core bench
 * machine a 1M-frame (190 MB) file was read faster in one pass (0.62 s against 0.72 s) and a
 * 2M-frame one in two threads (1.14 s against 1.41 s).
 */
export const AUTO_MIN_SHARD_BYTES = 160 << 20;
/** Bytes read at a cut point to find a record boundary (many records at any snap length). */
const RESYNC_WINDOW = 1 << 20;
const HEAD_BYTES = 1 << 20;
/** The first shard's extra share (of one shard): a worker's start-up (~0.1-0.2 s) in decode time. */
const MAIN_SHARD_EXTRA = 0.25;
/** knet's duplicate window is 10 s; peers ping every second or so. Three times that, to be sure. */
const WARM_UP_SECONDS = 30;
const MIN_WARM_UP_BYTES = 256 << 10;
const PCAPNG_WARM_UP_BYTES = 8 << 20;
/**
 * A shard keeps nothing between frames, so a bounded young generation suffices (32 MB: knet batches
 * need that much to keep scavenges cheap); without a limit each
 * worker's heap grows with the garbage of a long file and peak RSS with the file size.
 */
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 32, maxOldGenerationSizeMb: 96 };

export interface ShardedReadOptions {
  readonly threads: number;
  readonly minShardBytes?: number;
  readonly ports?: PortRange;
  readonly knet?: KnetCryptoOptions;
}

export type ShardedOutcome =
  | { readonly stats: PipelineStats; readonly shards: number }
  | { readonly stats: undefined; readonly reason: string };

/**
 * Where cut k of count-1 goes, as a fraction of the file. The first shard runs here and starts at
 * once; a worker first loads the bundle and compiles, so the first shard gets MAIN_SHARD_EXTRA
 * more than the others to finish together.
 */
function cutFraction(k: number, count: number): number {
  const weights = count + MAIN_SHARD_EXTRA;
  return (k + MAIN_SHARD_EXTRA) / weights;
}

/** Threads to use when the user did not say: the machine's cores, at most 4. */
export function defaultThreads(): number {
  return Math.max(1, Math.min(4, availableParallelism()));
}

export async function readStatsSharded(path: string, opts: ShardedReadOptions): Promise<ShardedOutcome> {
  const no = (reason: string): ShardedOutcome => ({ stats: undefined, reason });
  if (path === '-') return no('standard input is read in one pass');
  const st = await stat(path).catch(() => undefined);
  if (st === undefined || !st.isFile()) return no('not a regular file');
  const size = st.size;
  const minShard = opts.minShardBytes ?? DEFAULT_MIN_SHARD_BYTES;
  const count = Math.min(Math.max(1, Math.floor(opts.threads)), Math.floor(size / minShard));
  if (count < 2) return no(`${count < 1 ? 'file' : 'file or thread count'} too small for shards`);

  // Workers start now and get their shard once it is planned: their start-up overlaps the planning.
  const workers = Array.from({ length: count - 1 }, startWorker);
  const outcome = await planAndRun(path, size, count, opts, workers).catch((e: unknown) => no(`a shard failed: ${e instanceof Error ? e.message : String(e)}`));
  for (const w of workers) void w.terminate();
  return outcome;
}

async function planAndRun(path: string, size: number, count: number, opts: ShardedReadOptions, workers: readonly Worker[]): Promise<ShardedOutcome> {
  const no = (reason: string): ShardedOutcome => ({ stats: undefined, reason });
  const head = await readAt(path, 0, HEAD_BYTES);
  const layout = captureLayout(head);
  if (layout === undefined) return no('capture header not recognised, or longer than the look-ahead');
  const header = head.slice(0, layout.headerLength);
  const starts = [layout.headerLength];
  for (let k = 1; k < count; k++) {
    const target = Math.floor(cutFraction(k, count) * size);
    const b = findRecordBoundary(layout, await readAt(path, target, RESYNC_WINDOW), target, size);
    if (b < 0 || b <= starts[starts.length - 1]!) return no(`no record boundary found near offset ${target}`);
    starts.push(b);
  }
  // knet state spans frames (duplicate window, peer restarts): a shard then decodes some capture
  // time before its start without counting it, and the boundary states must agree.
  const knet = startsWithKnet(head, opts.ports);
  let warmBytes = 0;
  if (knet) {
    warmBytes = await warmUpBytes(path, layout, size);
    if (warmBytes > size / count / 2) return no('knet traffic too dense for shards (each would need a long warm-up)');
  }
  const warmStarts = [starts[0]!];
  for (let k = 1; k < count; k++) {
    const target = starts[k]! - warmBytes;
    if (warmBytes === 0) warmStarts.push(starts[k]!);
    else if (target <= layout.headerLength) warmStarts.push(layout.headerLength);
    else {
      const b = findRecordBoundary(layout, await readAt(path, target, RESYNC_WINDOW), target, size);
      warmStarts.push(b < 0 || b > starts[k]! ? layout.headerLength : b);
    }
  }
  const specs: ShardSpec[] = starts.map((start, k) => ({
    path,
    header,
    warmStart: warmStarts[k]!,
    start,
    end: k + 1 < starts.length ? starts[k + 1]! : size,
    ...(opts.ports !== undefined ? { ports: opts.ports } : {}),
    ...(opts.knet !== undefined ? { knet: opts.knet } : {}),
  }));
  let results: ShardResult[];
  try {
    // The workers get their shards before this thread starts on its own.
    const inWorkers = specs.slice(1).map((spec, k) => inWorker(workers[k]!, spec));
    results = await Promise.all([runShard(specs[0]!), ...inWorkers]);
  } catch (e) {
    return no(`a shard failed: ${e instanceof Error ? e.message : String(e)}`);
  }
  const why = checkShards(layout, specs, results, size);
  if (why !== undefined) return no(why);
  const stats = new PipelineStats();
  for (const r of results) stats.add(r.stats);
  return { stats, shards: results.length };
}

/** Why the shards' sum would differ from one pass, or undefined when it is exact. */
export function checkShards(layout: CaptureLayout, specs: readonly ShardSpec[], results: readonly ShardResult[], fileSize: number): string | undefined {
  const knet = results.some((r) => r.sawKnet);
  for (let k = 0; k < results.length; k++) {
    const r = results[k]!;
    if (r.problem !== undefined) return `shard ${k}: ${r.problem}`;
    if (r.endOffset !== specs[k]!.end) return `shard ${k} ended at ${r.endOffset}, not at the boundary ${specs[k]!.end}`;
    if (knet && r.timeWentBack) return `shard ${k}: capture time goes back (knet windows need it in order)`;
    if (layout.format === 'pcapng' && (r.sections !== 1 || r.interfaces !== layout.interfaces)) return `shard ${k}: section or interface blocks after the first packet`;
    if (k > 0) {
      const before = results[k - 1]!.endState;
      if (before === undefined) return `shard ${k - 1} ends with decoder state in flight (IP fragments or a knet reassembly)`;
      if (before !== r.startState) return `shard ${k} starts with other decoder state than shard ${k - 1} ends with`;
    }
  }
  return results[results.length - 1]!.endOffset === fileSize ? undefined : 'the last shard did not reach the end of the file';
}

/**
 * Bytes of capture that cover WARM_UP_SECONDS of capture time, from the file's average rate
 * (pcap: first and last record times; pcapng: a fixed amount).
 */
async function warmUpBytes(path: string, layout: CaptureLayout, size: number): Promise<number> {
  if (layout.format !== 'pcap' || layout.firstSec < 0) return PCAPNG_WARM_UP_BYTES;
  const target = Math.max(layout.headerLength, size - RESYNC_WINDOW);
  const window = await readAt(path, target, RESYNC_WINDOW);
  const b = findRecordBoundary(layout, window, target, size);
  if (b < 0) return PCAPNG_WARM_UP_BYTES;
  const lastSec = u32(window, b - target, layout.littleEndian);
  const perSecond = (size - layout.headerLength) / Math.max(1, lastSec - layout.firstSec);
  return Math.max(MIN_WARM_UP_BYTES, Math.ceil(WARM_UP_SECONDS * perSecond));
}

/** Whether the first frames of the file carry knet (counted, not decoded: the shards count too). */
function startsWithKnet(head: Uint8Array, ports: PortRange | undefined): boolean {
  const pipeline = new FramePipeline(ports !== undefined ? { ports } : {});
  const reader = new CaptureReader({ reuseRecord: true });
  try {
    reader.push(head, (rec) => pipeline.count(rec));
  } catch {
    // A malformed head is the one-pass reader's to report.
  }
  return pipeline.stats.byTransport.has('knet');
}

async function readAt(path: string, position: number, length: number): Promise<Uint8Array> {
  const fh = await open(path, 'r');
  try {
    const buf = new Uint8Array(length);
    const { bytesRead } = await fh.read(buf, 0, length, position);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

function inWorker(w: Worker, spec: ShardSpec): Promise<ShardResult> {
  return new Promise((resolve, reject) => {
    w.postMessage(spec);
    w.once('message', (m: { ok: true; result: ShardResult } | { ok: false; error: string }) => {
      if (m.ok) resolve(m.result);
      else reject(new Error(m.error));
      void w.terminate();
    });
    w.once('error', reject);
    w.once('exit', (code) => reject(new Error(`shard worker exited with code ${code}`)));
  });
}

/**
 * From the bundle (dist/totemscope.mjs) the worker is dist/shardWorker.mjs; from the TypeScript
 * sources it is shardWorker.ts, loaded through tsx's loader like the CLI itself (a worker does not
 * inherit the loader the main thread registered).
 */
function startWorker(): Worker {
  let w: Worker;
  if (!import.meta.url.endsWith('.ts')) w = new Worker(new URL('./shardWorker.mjs', import.meta.url), { resourceLimits: WORKER_LIMITS });
  else {
    const api = JSON.stringify(import.meta.resolve('tsx/esm/api'));
    const entry = JSON.stringify(new URL('./shardWorker.ts', import.meta.url).href);
    w = new Worker(`import(${api}).then((tsx) => { tsx.register(); return import(${entry}); });`, { eval: true, resourceLimits: WORKER_LIMITS });
  }
  // A worker that is never given a shard (the plan fell through) is terminated; its errors until
  // then have no one to go to.
  w.on('error', () => undefined);
  return w;
}
