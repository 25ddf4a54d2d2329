/**
 * The I/O edge of the analysis: capture files → frame pipeline → RingAnalyzer. One file streams
 * straight through (one pipeline, bounded memory). Several files are merged by timestamp: pass 1
 * estimates each file's clock offset (merge.ts), pass 2 reads all files chunk by chunk at once and
 * feeds the analyzer the earliest frame first, dropping copies of a datagram seen by two captures.
 * Memory: one read chunk of decoded frames per file.
 */
import { createReadStream } from 'node:fs';
import { CaptureReader } from '../../dissectors/capture/index.ts';
import { READ_CHUNK_SIZE, readCaptureFile } from '../sources/captureFile.ts';
import { FramePipeline, type PipelineOptions } from '../decode/pipeline.ts';
import type { DecodedFrame } from '../decode/types.ts';
import { ClockAligner, CrossCaptureDedup, shiftFrame } from './merge.ts';
import { RingAnalyzer } from './ringAnalyzer.ts';
import type { AnalysisReport, AnalyzerOptions } from './types.ts';

export interface FileInput {
  readonly path: string;
  readonly frames: number;
  /** Seconds subtracted from this file's timestamps (0 for the first file). */
  readonly clock_offset_s: number;
  /** Token hops this file had in common with the first file (alignment evidence). */
  readonly common_token_hops: number;
  /** Frames dropped as copies of a datagram another capture already had. */
  readonly duplicates_dropped: number;
}

export interface AnalyzeFilesOptions {
  readonly analyzer?: AnalyzerOptions;
  readonly pipeline?: PipelineOptions;
  /** Called now and then with bytes read so far and total bytes (progress bar). */
  readonly onProgress?: (readBytes: number, totalBytes: number) => void;
  readonly totalBytes?: number;
}

export interface AnalyzeFilesResult {
  readonly report: AnalysisReport & { readonly capture: AnalysisReport['capture'] & { readonly files: readonly FileInput[] } };
  readonly files: readonly FileInput[];
}

export async function analyzeFiles(paths: readonly string[], opts: AnalyzeFilesOptions = {}): Promise<AnalyzeFilesResult> {
  if (paths.length === 0) throw new Error('no capture file given');
  const analyzer = new RingAnalyzer(opts.analyzer ?? {});
  const files: FileInput[] = [];
  if (paths.length === 1) {
    const path = paths[0] ?? '';
    const pipeline = new FramePipeline(opts.pipeline ?? {});
    let frames = 0;
    let bytes = 0;
    // One read buffer for the whole file: the analyzer keeps nothing that points into frame bytes.
    await readCaptureFile(
      path,
      (rec) => {
        frames++;
        bytes += rec.origLen + 16; // not rec.data: it may be built on access
        if (opts.onProgress !== undefined && (frames & 0xffff) === 0) opts.onProgress(bytes, opts.totalBytes ?? 0);
        analyzer.push(pipeline.decode(rec));
      },
      { reuseBuffer: true },
    );
    files.push({ path, frames, clock_offset_s: 0, common_token_hops: 0, duplicates_dropped: 0 });
  } else {
    const aligner = new ClockAligner(paths.length);
    for (let i = 0; i < paths.length; i++) {
      const pipeline = new FramePipeline(opts.pipeline ?? {});
      await readCaptureFile(paths[i] ?? '', (rec) => aligner.add(i, pipeline.decode(rec)));
    }
    const offsets = aligner.offsets();
    const matches = aligner.matches();
    const counts = await mergeFiles(paths, offsets, analyzer, opts);
    for (let i = 0; i < paths.length; i++) {
      files.push({
        path: paths[i] ?? '',
        frames: counts.frames[i] ?? 0,
        clock_offset_s: Math.round((offsets[i] ?? 0) * 1e6) / 1e6,
        common_token_hops: matches[i] ?? 0,
        duplicates_dropped: counts.dropped[i] ?? 0,
      });
    }
  }
  const base = analyzer.finish();
  return { report: { ...base, capture: { ...base.capture, files } }, files };
}

interface Source {
  readonly index: number;
  readonly iter: AsyncIterator<Uint8Array>;
  readonly reader: CaptureReader;
  readonly pipeline: FramePipeline;
  queue: DecodedFrame[];
  head: number;
  done: boolean;
}

async function refill(s: Source, offset: number): Promise<void> {
  s.queue = [];
  s.head = 0;
  while (s.queue.length === 0 && !s.done) {
    const next = await s.iter.next();
    if (next.done === true) {
      s.reader.end();
      s.done = true;
      break;
    }
    // The analyzer keeps no reference to frame bytes, so frames can outlive the callback.
    s.reader.push(next.value, (rec) => s.queue.push(shiftFrame(s.pipeline.decode(rec), offset)));
  }
}

async function mergeFiles(
  paths: readonly string[],
  offsets: readonly number[],
  analyzer: RingAnalyzer,
  opts: AnalyzeFilesOptions,
): Promise<{ frames: number[]; dropped: number[] }> {
  const sources: Source[] = paths.map((p, index) => ({
    index,
    iter: (createReadStream(p, { highWaterMark: READ_CHUNK_SIZE }) as AsyncIterable<Uint8Array>)[Symbol.asyncIterator](),
    reader: new CaptureReader(),
    pipeline: new FramePipeline(opts.pipeline ?? {}),
    queue: [],
    head: 0,
    done: false,
  }));
  const frames = paths.map(() => 0);
  const dropped = paths.map(() => 0);
  const dedup = new CrossCaptureDedup();
  for (const s of sources) await refill(s, offsets[s.index] ?? 0);
  let total = 0;
  for (;;) {
    let best: Source | null = null;
    let bestTs = Infinity;
    for (const s of sources) {
      const f = s.queue[s.head];
      if (f === undefined) continue;
      const t = f.tsSec + f.tsNsec / 1e9;
      if (t < bestTs) {
        bestTs = t;
        best = s;
      }
    }
    if (best === null) break;
    const f = best.queue[best.head++];
    if (f !== undefined) {
      frames[best.index] = (frames[best.index] ?? 0) + 1;
      if (dedup.isDuplicate(best.index, f, bestTs)) dropped[best.index] = (dropped[best.index] ?? 0) + 1;
      else analyzer.push(f);
      total++;
      if (opts.onProgress !== undefined && (total & 0xffff) === 0) opts.onProgress(total, 0);
    }
    if (best.head >= best.queue.length) await refill(best, offsets[best.index] ?? 0);
  }
  return { frames, dropped };
}
