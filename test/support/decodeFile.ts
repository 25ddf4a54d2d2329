/** Test helper: run a capture file through the real frame pipeline and keep what tests look at. */
import { readCaptureFile } from '../../src/sources/captureFile.ts';
import type { TotemMessage } from '../../dissectors/totemsrp/types.ts';
import { FramePipeline } from '../../src/decode/pipeline.ts';
import type { PipelineStats } from '../../src/decode/stats.ts';
import type { FrameStatus, Transport } from '../../src/decode/types.ts';

export interface KeptFrame {
  readonly number: number;
  readonly timeMs: number;
  readonly status: FrameStatus;
  readonly transport: Transport | undefined;
  readonly src: string | undefined;
  readonly dst: string | undefined;
  readonly srcPort: number | undefined;
  readonly dstPort: number | undefined;
  readonly errorCode: string | undefined;
  readonly totem: TotemMessage | undefined;
}

export async function decodeFile(path: string): Promise<{ frames: KeptFrame[]; stats: PipelineStats }> {
  const pipeline = new FramePipeline();
  const frames: KeptFrame[] = [];
  await readCaptureFile(path, (rec) => {
    const f = pipeline.decode(rec);
    const e = f.endpoints;
    // Totem values may hold views into the reader's chunk (mcast payload): copy what is kept.
    const totem = f.totem?.kind === 'mcast' ? { ...f.totem, payload: f.totem.payload.slice() } : f.totem;
    frames.push({
      number: f.number,
      timeMs: f.tsSec * 1000 + f.tsNsec / 1e6,
      status: f.status,
      transport: f.transport,
      src: e?.src,
      dst: e?.dst,
      srcPort: e?.srcPort,
      dstPort: e?.dstPort,
      errorCode: f.error?.code,
      totem,
    });
  });
  return { frames, stats: pipeline.stats };
}
