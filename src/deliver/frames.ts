/** Glue from the frame pipeline (src/decode) to the delivery assembler. */
import type { DecodedFrame } from '../decode/types.ts';
import type { DeliveryAssembler } from './assembler.ts';
import type { DeliveryEvent, FrameRef } from './types.ts';

export function frameRef(f: Pick<DecodedFrame, 'number' | 'tsSec' | 'tsNsec'>): FrameRef {
  return { frame: f.number, time: f.tsSec + f.tsNsec / 1e9 };
}

/** Feeds a decoded frame if it carries an MCAST (any transport); other frames give no events. */
export function deliverFrame(a: DeliveryAssembler, f: DecodedFrame): DeliveryEvent[] {
  if (f.status !== 'totem' || f.totem === undefined || f.totem.kind !== 'mcast') return [];
  return a.push(f.totem, frameRef(f));
}
