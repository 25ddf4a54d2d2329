/**
 * `totemscope read`: decode a capture (file or stdin) and print it like `tshark -r`:
 * one summary line per frame, the full tree (-V), a hex dump (-x), one JSON object per line
 * (--json), or only the closing statistics (--stats). A display filter (-Y) selects frames.
 */
import type { Writable } from 'node:stream';
import { isCaptureFormatError, type CaptureRecord } from '../../dissectors/capture/index.ts';
import type { FieldNode, FieldValue } from '../../dissectors/catalog.ts';
import type { KnetCryptoOptions } from '../../dissectors/knet/index.ts';
import { batchesPay, FrameBatcher, FramePipeline } from '../decode/pipeline.ts';
import type { PortRange } from '../decode/ports.ts';
import type { DecodedFrame } from '../decode/types.ts';
import type { DisplayFilter } from '../filter/displayFilter.ts';
import { hexdump } from '../output/hexdump.ts';
import { collectFieldValues, renderTree } from '../output/tree.ts';
import { jsonValue } from '../output/values.ts';
import {
  DEFAULT_PAYLOAD_BYTES,
  DeliveryAssembler,
  deliverFrame,
  deliverJson,
  deliverLine,
  deliveryEventJson,
  deliveryEventLine,
  deliveryStatsLine,
  type DeliveryEvent,
} from '../deliver/index.ts';
import { frameTree, frameSummary } from './frameView.ts';
import { readCaptureFile } from '../sources/captureFile.ts';
import { LineWriter } from './output.ts';
import { readStatsSharded } from './shards.ts';
import type { PipelineStats } from '../decode/stats.ts';
import { renderStats, statsJson } from './statsView.ts';

export type ReadMode = 'summary' | 'verbose' | 'json' | 'stats' | 'deliver';

export interface ReadConfig {
  readonly path: string; // '-' = stdin
  readonly mode: ReadMode;
  /** With mode 'stats': print the statistics as one JSON object. */
  readonly statsJson?: boolean;
  readonly hex: boolean;
  readonly count?: number;
  readonly filter?: DisplayFilter;
  readonly ports?: PortRange;
  readonly knet?: KnetCryptoOptions;
  /** With mode 'deliver': JSON objects instead of text lines, and how many body bytes to show. */
  readonly deliverJson?: boolean;
  readonly payloadBytes?: number;
  /** Also show frames that are not corosync traffic (ARP, other UDP ports, ...). */
  readonly all: boolean;
  /**
   * With mode 'stats' on a regular file: decode shards of a big capture in this many threads
   * (src/read/shards.ts; the figures are those of one pass or it reads in one pass). Default 1.
   */
  readonly threads?: number;
  /** Say on stderr why a multi-threaded read fell back to one pass. */
  readonly explainThreads?: boolean;
}

export interface ReadResult {
  /** True when the input was read to its end. */
  readonly complete: boolean;
  /** Frames of encrypted knet traffic that could not be decrypted (no key, wrong key, corrupted). */
  readonly undecryptable: number;
  readonly framesRead: number;
  readonly framesShown: number;
  readonly problem?: string;
}

export async function runRead(cfg: ReadConfig, stdout: Writable, stderr: Writable): Promise<ReadResult> {
  if (cfg.mode === 'stats' && cfg.count === undefined && (cfg.threads ?? 1) > 1) {
    const sharded = await readStatsSharded(cfg.path, {
      threads: cfg.threads ?? 1,
      ...(cfg.ports !== undefined ? { ports: cfg.ports } : {}),
      ...(cfg.knet !== undefined ? { knet: cfg.knet } : {}),
    });
    if (sharded.stats !== undefined) return finishStats(cfg, sharded.stats, stdout, stderr);
    if (cfg.explainThreads === true) stderr.write(`totemscope: reading in one pass: ${sharded.reason}\n`);
  }
  const out = new LineWriter(stdout);
  const pipeline = new FramePipeline({
    ...(cfg.ports !== undefined ? { ports: cfg.ports } : {}),
    ...(cfg.knet !== undefined ? { knet: cfg.knet } : {}),
  });
  let shown = 0;
  let firstTime: { sec: number; nsec: number } | undefined;
  let stop = false;
  const assembler = cfg.mode === 'deliver' ? new DeliveryAssembler() : undefined;
  const deliverOut = (events: readonly DeliveryEvent[]): void => {
    for (const ev of events) {
      if (cfg.deliverJson === true) {
        const o = ev.kind === 'message' ? deliverJson(ev.message, cfg.payloadBytes ?? DEFAULT_PAYLOAD_BYTES) : deliveryEventJson(ev);
        if (o !== null) out.line(JSON.stringify(o));
      } else {
        const l = ev.kind === 'message' ? deliverLine(ev.message) : deliveryEventLine(ev);
        if (l !== null) out.line(l);
      }
    }
  };

  // With knet keys, a chunk's records are decoded as a batch: their HMACs are verified several at a
  // time and their AES done in one call (FramePipeline.decodeBatch; same frames, same order).
  let accepted = 0;
  const onRecord = (rec: CaptureRecord): void => {
    if (stop) return;
    accepted++;
    if (cfg.count !== undefined && accepted >= cfg.count) stop = true;
    batcher.push(rec);
  };
  const drainBatch = (): void => batcher.drain();
  const onFrame = (frame: DecodedFrame): void => {
    if (firstTime === undefined) firstTime = { sec: frame.tsSec, nsec: frame.tsNsec };
    if (cfg.mode === 'stats') return;
    if (assembler !== undefined) {
      deliverOut(deliverFrame(assembler, frame));
      return;
    }
    if (!cfg.all && frame.status === 'ignored') return;
    let tree: FieldNode[] | undefined;
    let values: Map<string, FieldValue[]> | undefined;
    if (cfg.filter !== undefined) {
      tree = frameTree(frame);
      values = collectFieldValues(tree);
      const v = values;
      if (!cfg.filter.matches((name) => v.get(name))) return;
    }
    shown++;
    switch (cfg.mode) {
      case 'summary':
        out.line(frameSummary(frame, firstTime));
        break;
      case 'verbose':
        out.line(frameSummary(frame, firstTime));
        for (const l of renderTree(tree ?? frameTree(frame), 1)) out.line(l);
        break;
      case 'json':
        out.line(frameJson(values ?? collectFieldValues(tree ?? frameTree(frame))));
        break;
    }
    if (cfg.hex) {
      for (const l of hexdump(frame.data)) out.line(l);
      out.line('');
    } else if (cfg.mode === 'verbose') {
      out.line('');
    }
  };

  const batcher = new FrameBatcher(pipeline, onFrame, batchesPay(cfg.knet));

  let problem: string | undefined;
  try {
    // Output is written as it goes, so nothing keeps views into a chunk: one reused read buffer.
    await readCaptureFile(cfg.path, onRecord, {
      reuseBuffer: true,
      afterChunk: async () => {
        drainBatch();
        await out.flush();
        return !(stop || out.isClosed);
      },
    });
    drainBatch();
  } catch (e) {
    // Records before a malformed one were delivered: decode them before reporting.
    drainBatch();
    if (isCaptureFormatError(e)) problem = e.message;
    else if (e instanceof Error && 'code' in e) problem = `${cfg.path}: ${e.message}`;
    else throw e;
  }
  if (assembler !== undefined && problem === undefined) {
    deliverOut(assembler.finish());
    if (cfg.deliverJson !== true) out.line(deliveryStatsLine(assembler.stats));
  }
  if (cfg.mode === 'stats') {
    if (cfg.statsJson === true) out.line(JSON.stringify(statsJson(pipeline.stats)));
    else for (const l of renderStats(pipeline.stats)) out.line(l);
  }
  await out.flush();
  if (problem !== undefined) {
    stderr.write(`totemscope: ${problem}\n`);
    stderr.write(`totemscope: ${pipeline.stats.frames} frames were read before the error\n`);
  }
  const undecryptable = warnUndecryptable(pipeline.stats, stderr);
  const base = { complete: problem === undefined, undecryptable, framesRead: pipeline.stats.frames, framesShown: shown };
  return problem === undefined ? base : { ...base, problem };
}

/** The closing table of a multi-threaded --stats read (which only succeeds on a complete file). */
async function finishStats(cfg: ReadConfig, stats: PipelineStats, stdout: Writable, stderr: Writable): Promise<ReadResult> {
  const out = new LineWriter(stdout);
  if (cfg.statsJson === true) out.line(JSON.stringify(statsJson(stats)));
  else for (const l of renderStats(stats)) out.line(l);
  await out.flush();
  return { complete: true, undecryptable: warnUndecryptable(stats, stderr), framesRead: stats.frames, framesShown: 0 };
}

function warnUndecryptable(stats: PipelineStats, stderr: Writable): number {
  let undecryptable = 0;
  for (const [code, n] of stats.errorsByCode) if (code.startsWith('knet.crypto.')) undecryptable += n;
  if (undecryptable > 0) {
    stderr.write(`totemscope: ${undecryptable} encrypted knet frames could not be decrypted (see knet.crypto.* in --stats); give the cluster's authkey with --key\n`);
  }
  return undecryptable;
}

/** One flat JSON object: dotted catalog names; a field seen several times becomes an array. */
export function frameJson(values: Map<string, FieldValue[]>): string {
  const o: Record<string, unknown> = {};
  for (const [k, vs] of values) o[k] = vs.length === 1 ? jsonValue(vs[0]!) : vs.map(jsonValue);
  return JSON.stringify(o);
}
