/**
 * `read --stats`: no per-frame output, only the closing table. Big files are counted in shards on
 * several threads (shards.ts), otherwise in one pass in which records are counted, not decoded
 * (FramePipeline.count). Kept apart from run.ts so the command loads only what counting needs.
 */
import type { Writable } from 'node:stream';
import { batchesPay, FrameBatcher, FramePipeline } from '../decode/pipeline.ts';
import type { PipelineStats } from '../decode/stats.ts';
import { readCaptureFile } from '../sources/captureFile.ts';
import { readOutcome, readProblem } from './outcome.ts';
import { LineWriter } from './output.ts';
import { AUTO_MIN_SHARD_BYTES, readStatsSharded } from './shards.ts';
import { renderStats, statsJson } from './statsView.ts';
import type { ReadConfig, ReadResult } from './types.ts';

export async function runStatsRead(cfg: ReadConfig, stdout: Writable, stderr: Writable): Promise<ReadResult> {
  if (cfg.count === undefined && (cfg.threads ?? 1) > 1) {
    const sharded = await readStatsSharded(cfg.path, {
      threads: cfg.threads ?? 1,
      // Threads the user asked for are used on any file worth it; chosen ones only where they pay.
      ...(cfg.threadsAsked === true ? {} : { minShardBytes: AUTO_MIN_SHARD_BYTES }),
      ...(cfg.ports !== undefined ? { ports: cfg.ports } : {}),
      ...(cfg.knet !== undefined ? { knet: cfg.knet } : {}),
    });
    if (sharded.stats !== undefined) {
      // A sharded read only succeeds on a complete file.
      await printStats(cfg, sharded.stats, stdout);
      return readOutcome(sharded.stats, undefined, 0, stderr);
    }
    if (cfg.threadsAsked === true) stderr.write(`totemscope: reading in one pass: ${sharded.reason}\n`);
  }

  const pipeline = new FramePipeline({
    ...(cfg.ports !== undefined ? { ports: cfg.ports } : {}),
    ...(cfg.knet !== undefined ? { knet: cfg.knet } : {}),
  });
  // No frames are wanted: records are counted, one by one or, when knet crypto is batched, per chunk.
  const batched = batchesPay(cfg.knet);
  const batcher = new FrameBatcher(pipeline, undefined, batched);
  let accepted = 0;
  let stop = false;
  let problem: string | undefined;
  try {
    await readCaptureFile(
      cfg.path,
      (rec) => {
        if (stop) return;
        accepted++;
        if (cfg.count !== undefined && accepted >= cfg.count) stop = true;
        batcher.push(rec);
      },
      {
        reuseBuffer: true,
        // A batch holds its records until drained; counting keeps none past the callback.
        reuseRecord: !batched,
        afterChunk: () => {
          batcher.drain();
          return !stop;
        },
      },
    );
    batcher.drain();
  } catch (e) {
    // Records before a malformed one were delivered: count them before reporting.
    batcher.drain();
    problem = readProblem(e, cfg.path);
  }
  await printStats(cfg, pipeline.stats, stdout);
  return readOutcome(pipeline.stats, problem, 0, stderr);
}

async function printStats(cfg: ReadConfig, stats: PipelineStats, stdout: Writable): Promise<void> {
  const out = new LineWriter(stdout);
  if (cfg.statsJson === true) out.line(JSON.stringify(statsJson(stats)));
  else for (const l of renderStats(stats)) out.line(l);
  await out.flush();
}
