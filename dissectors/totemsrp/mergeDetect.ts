/**
 * MEMB_MERGE_DETECT — corosync 3.x exec/totemsrp.c `struct memb_merge_detect` (packed, 29 B),
 * wire-format.md §3.3: header (13) | u32 system_from @13 | ring_id @17 (the sender's ring).
 * Sent by a ring representative to find other rings. Check: len >= 29.
 */
import { putU32, u32 } from '../bytes.ts';
import { EMPTY, fieldStarts, truncated, type TotemsrpError } from './codes.ts';
import { HEADER_LEN, emitHeader } from './header.ts';
import { RING_ID_LEN, emitRingId, parseRingId } from './ringId.ts';
import { MessageType, type MembMergeDetect, type TotemHeader } from './types.ts';

export const F = { HEADER: 0, SYSTEM_FROM: HEADER_LEN, RING_ID: 17, END: 17 + RING_ID_LEN } as const;
export const MEMB_MERGE_DETECT_LEN = F.END;

const STARTS = fieldStarts(F);

/** Checks the message at b[base, base + len); error offsets count from `base`. */
export function checkMergeDetect(b: Uint8Array, base = 0, len = b.length - base): TotemsrpError | undefined {
  if (len < MEMB_MERGE_DETECT_LEN) return truncated('memb_merge_detect', len, MEMB_MERGE_DETECT_LEN, STARTS);
  return undefined;
}

export function parseMergeDetect(b: Uint8Array, header: TotemHeader): MembMergeDetect | TotemsrpError {
  const err = checkMergeDetect(b);
  if (err !== undefined) return err;
  const le = header.littleEndian;
  return {
    kind: 'memb_merge_detect',
    header,
    systemFrom: u32(b, F.SYSTEM_FROM, le),
    ringId: parseRingId(b, F.RING_ID, le),
    trailer: b.length > F.END ? b.subarray(F.END) : EMPTY,
  };
}

export function mergeDetectLength(m: MembMergeDetect): number {
  return MEMB_MERGE_DETECT_LEN + m.trailer.length;
}

export function emitMergeDetect(m: MembMergeDetect, out: Uint8Array, o: number): number {
  const le = m.header.littleEndian;
  emitHeader(m.header, MessageType.MEMB_MERGE_DETECT, out, o);
  putU32(out, o + F.SYSTEM_FROM, m.systemFrom, le);
  emitRingId(m.ringId, out, o + F.RING_ID, le);
  out.set(m.trailer, o + F.END);
  return o + F.END + m.trailer.length;
}
