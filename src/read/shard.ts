/**
 * One shard of a capture file: the records whose headers start in [start, end), decoded through a
 * fresh `FramePipeline` for their statistics. Runs in the main thread (the first shard) or in a
 * worker (src/read/shardWorker.ts); src/read/shards.ts plans the shards and checks that their sum
 * is exactly what one pass over the file would give.
 *
 * A shard may begin decoding earlier, at `warmStart`, without counting those frames: the knet
 * decoder's duplicate window and peer state then hold what one pass would hold at `start`, which
 * the boundary states (FramePipeline.boundaryState) of both shards must confirm.
 */
import { CaptureReader, isCaptureFormatError, type CaptureRecord } from '../../dissectors/capture/index.ts';
import type { KnetCryptoOptions } from '../../dissectors/knet/index.ts';
import { batchesPay, FrameBatcher, FramePipeline } from '../decode/pipeline.ts';
import type { PortRange } from '../decode/ports.ts';
import type { PipelineStatsSnapshot } from '../decode/stats.ts';
import { fileChunks } from '../sources/chunks.ts';

export interface ShardSpec {
  readonly path: string;
  /** The file's first `header.length` bytes: pcap file header, or pcapng SHB + blocks before the first packet. */
  readonly header: Uint8Array;
  /** Where decoding begins (a record boundary <= start); frames before `start` are not counted. */
  readonly warmStart: number;
  /** Absolute offset of the shard's first counted record (>= header.length). */
  readonly start: number;
  /** The shard ends before the first record that starts at or after this offset. */
  readonly end: number;
  readonly ports?: PortRange;
  readonly knet?: KnetCryptoOptions;
}

export interface ShardResult {
  readonly stats: PipelineStatsSnapshot;
  /** Absolute offset of the first record this shard did not decode (the file size when it read to the end). */
  readonly endOffset: number;
  /** Decoder state just before the record at `start` / at `endOffset` (undefined: not comparable). */
  readonly startState: string | undefined;
  readonly endState: string | undefined;
  /** knet traffic was seen (its decoder keeps duplicate and peer state across frames). */
  readonly sawKnet: boolean;
  /** A record's capture time was earlier than the one before it. */
  readonly timeWentBack: boolean;
  /** Sections and interfaces the reader knew at the end (pcap: 1 and 0). */
  readonly sections: number;
  readonly interfaces: number;
  /** Why the shard stopped early: a malformed or truncated file, or an I/O error. */
  readonly problem?: string;
}

export async function runShard(spec: ShardSpec): Promise<ShardResult> {
  const pipeline = new FramePipeline({
    ...(spec.ports !== undefined ? { ports: spec.ports } : {}),
    ...(spec.knet !== undefined ? { knet: spec.knet } : {}),
  });
  const batched = batchesPay(spec.knet);
  // A batch holds its records until drained; counting keeps none past the callback.
  const reader = new CaptureReader({ reuseRecord: !batched });
  const headerLength = spec.header.length;
  let counting = spec.warmStart >= spec.start;
  let startState: string | undefined = counting ? pipeline.boundaryState(0, 0) : undefined;
  let endState: string | undefined;
  let endOffset = -1;
  let lastSec = -1;
  let lastNsec = 0;
  let timeWentBack = false;
  // As in run.ts: with knet keys a chunk's records are decoded as one batch.
  const batcher = new FrameBatcher(pipeline, undefined, batched);
  const drainBatch = (): void => batcher.drain();
  const onRecord = (rec: CaptureRecord): void => {
    if (endOffset >= 0) return;
    const at = rec.fileOffset - headerLength + spec.warmStart;
    if (rec.tsSec < lastSec || (rec.tsSec === lastSec && rec.tsNsec < lastNsec)) timeWentBack = true;
    lastSec = rec.tsSec;
    lastNsec = rec.tsNsec;
    if (at >= spec.end) {
      drainBatch();
      endState = pipeline.boundaryState(rec.tsSec, rec.tsNsec);
      endOffset = at;
      return;
    }
    if (!counting && at >= spec.start) {
      drainBatch();
      startState = pipeline.boundaryState(rec.tsSec, rec.tsNsec);
      pipeline.resetStats();
      counting = true;
    }
    batcher.push(rec);
  };
  let problem: string | undefined;
  try {
    reader.push(spec.header, onRecord);
    let position = spec.warmStart;
    for await (const chunk of fileChunks(spec.path, { start: spec.warmStart, reuseBuffer: true })) {
      position += chunk.length;
      reader.push(chunk, onRecord);
      drainBatch();
      if (endOffset >= 0) break;
    }
    if (endOffset < 0) {
      reader.end();
      endOffset = position;
    }
  } catch (e) {
    drainBatch();
    if (isCaptureFormatError(e) || (e instanceof Error && 'code' in e)) problem = e.message;
    else throw e;
  }
  const summary = reader.summary();
  const result = {
    stats: pipeline.stats.snapshot(),
    endOffset,
    startState,
    endState,
    sawKnet: pipeline.knet !== undefined,
    timeWentBack,
    sections: summary.sections,
    interfaces: summary.interfaces.length,
  };
  return problem === undefined ? result : { ...result, problem };
}
