/**
 * `totemscope read`: decode a capture (file or stdin) and print it like `tshark -r`:
 * one summary line per frame, the full tree (-V), a hex dump (-x), one JSON object per line
 * (--json), or only the closing statistics (--stats). A display filter (-Y) selects frames.
 */
import type { Writable } from 'node:stream';
import type { CaptureRecord } from '../../dissectors/capture/index.ts';
import type { FieldNode, FieldValue } from '../../dissectors/catalog.ts';
import { batchesPay, FrameBatcher, FramePipeline } from '../decode/pipeline.ts';
import type { DecodedFrame } from '../decode/types.ts';
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
import { readOutcome, readProblem } from './outcome.ts';
import { runStatsRead } from './statsRead.ts';
import type { ReadConfig, ReadResult } from './types.ts';

export type { ReadConfig, ReadMode, ReadResult } from './types.ts';

export async function runRead(cfg: ReadConfig, stdout: Writable, stderr: Writable): Promise<ReadResult> {
  if (cfg.mode === 'stats') return runStatsRead(cfg, stdout, stderr);
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
    problem = readProblem(e, cfg.path);
  }
  if (assembler !== undefined && problem === undefined) {
    deliverOut(assembler.finish());
    if (cfg.deliverJson !== true) out.line(deliveryStatsLine(assembler.stats));
  }
  await out.flush();
  return readOutcome(pipeline.stats, problem, shown, stderr);
}

/** One flat JSON object: dotted catalog names; a field seen several times becomes an array. */
export function frameJson(values: Map<string, FieldValue[]>): string {
  const o: Record<string, unknown> = {};
  for (const [k, vs] of values) o[k] = vs.length === 1 ? jsonValue(vs[0]!) : vs.map(jsonValue);
  return JSON.stringify(o);
}
