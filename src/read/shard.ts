/**
 * One shard of a capture file: the records whose headers start in [start, end), decoded through a
 * fresh `FramePipeline` for their statistics. Runs in the main thread (the first shard) or in a
 * worker (src/read/shardWorker.ts); src/read/shards.ts plans the shards and checks that their sum
 * is exactly what one pass over the file would give.
 */
import { CaptureReader, isCaptureFormatError, type CaptureRecord } from '../../dissectors/capture/index.ts';
import type { KnetCryptoOptions } from '../../dissectors/knet/index.ts';
import { FramePipeline } from '../decode/pipeline.ts';
import type { PortRange } from '../decode/ports.ts';
import type { PipelineStatsSnapshot } from '../decode/stats.ts';
import { fileChunks } from '../sources/chunks.ts';

export interface ShardSpec {
  readonly path: string;
  /** The file's first `header.length` bytes: pcap file header, or pcapng SHB + blocks before the first packet. */
  readonly header: Uint8Array;
  /** Absolute offset of the shard's first record (>= header.length). */
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
  /** No cross-frame decoder state was left at the end (no IP datagram waiting for fragments). */
  readonly clean: boolean;
  /** knet traffic was seen (its decoder keeps duplicate and reassembly windows across frames). */
  readonly sawKnet: boolean;
  /** Sections and interfaces the reader knew at the end (pcap: 0 and 0). */
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
  const reader = new CaptureReader();
  const headerLength = spec.header.length;
  let endOffset = -1;
  // As in run.ts: with knet keys a chunk's records are decoded as one batch.
  const batching = (spec.knet?.keys?.length ?? 0) > 0;
  const batch: CaptureRecord[] = [];
  const ignore = (): void => undefined;
  const onRecord = (rec: CaptureRecord): void => {
    if (endOffset >= 0) return;
    const at = rec.fileOffset - headerLength + spec.start;
    if (at >= spec.end) {
      endOffset = at;
      return;
    }
    if (batching) batch.push(rec);
    else pipeline.decode(rec);
  };
  const drainBatch = (): void => {
    if (batch.length === 0) return;
    pipeline.decodeBatch(batch, ignore);
    batch.length = 0;
  };
  let problem: string | undefined;
  try {
    reader.push(spec.header, onRecord);
    let position = spec.start;
    for await (const chunk of fileChunks(spec.path, { start: spec.start, reuseBuffer: true })) {
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
    clean: pipeline.reassemblyInFlight === 0 && pipeline.knet === undefined,
    sawKnet: pipeline.knet !== undefined,
    sections: summary.sections,
    interfaces: summary.interfaces.length,
  };
  return problem === undefined ? result : { ...result, problem };
}
