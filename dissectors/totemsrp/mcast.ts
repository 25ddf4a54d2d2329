/**
 * MCAST — corosync 3.x exec/totemsrp.c `struct mcast` (packed), wire-format.md §3.3:
 *
 *   off  0  header (13; encapsulated 1 = recovery copy of an old-ring MCAST, 2 = totempg data)
 *   off 13  u32 system_from (srp_addr: originator nodeid)
 *   off 17  u32 seq          ring sequence number from the token
 *   off 21  i32 this_seqno   sender's running counter, informational
 *   off 25  ring_id (12)
 *   off 37  u32 node_id      never set by corosync (0)
 *   off 41  i32 guarantee    0 AGREED, 1 SAFE
 *   off 45  payload          everything to the end (no trailer: the payload is the rest)
 *
 * Check (`check_mcast_sanity`): len >= 45. The payload is a zero-copy view of the input.
 */
import { putI32, putU32, i32, u32 } from '../bytes.ts';
import { EMPTY, fieldStarts, truncated, type TotemsrpError } from './codes.ts';
import { HEADER_LEN, emitHeader } from './header.ts';
import { RING_ID_LEN, emitRingId, parseRingId } from './ringId.ts';
import { MessageType, type Mcast, type TotemHeader } from './types.ts';

export const F = {
  HEADER: 0,
  SYSTEM_FROM: HEADER_LEN,
  SEQ: 17,
  THIS_SEQNO: 21,
  RING_ID: 25,
  NODE_ID: 25 + RING_ID_LEN,
  GUARANTEE: 41,
  PAYLOAD: 45,
} as const;
export const MCAST_HEADER_LEN = F.PAYLOAD;

const STARTS = fieldStarts(F);

/** Checks the message at b[base, base + len); error offsets count from `base`. */
export function checkMcast(b: Uint8Array, base = 0, len = b.length - base): TotemsrpError | undefined {
  if (len < MCAST_HEADER_LEN) return truncated('mcast', len, MCAST_HEADER_LEN, STARTS);
  return undefined;
}

export function parseMcast(b: Uint8Array, header: TotemHeader): Mcast | TotemsrpError {
  const err = checkMcast(b);
  if (err !== undefined) return err;
  const le = header.littleEndian;
  return {
    kind: 'mcast',
    header,
    systemFrom: u32(b, F.SYSTEM_FROM, le),
    seq: u32(b, F.SEQ, le),
    thisSeqno: i32(b, F.THIS_SEQNO, le),
    ringId: parseRingId(b, F.RING_ID, le),
    nodeId: u32(b, F.NODE_ID, le),
    guarantee: i32(b, F.GUARANTEE, le),
    payload: b.subarray(F.PAYLOAD),
    trailer: EMPTY,
  };
}

export function mcastLength(m: Mcast): number {
  return MCAST_HEADER_LEN + m.payload.length + m.trailer.length;
}

export function emitMcast(m: Mcast, out: Uint8Array, o: number): number {
  const le = m.header.littleEndian;
  emitHeader(m.header, MessageType.MCAST, out, o);
  putU32(out, o + F.SYSTEM_FROM, m.systemFrom, le);
  putU32(out, o + F.SEQ, m.seq, le);
  putI32(out, o + F.THIS_SEQNO, m.thisSeqno, le);
  emitRingId(m.ringId, out, o + F.RING_ID, le);
  putU32(out, o + F.NODE_ID, m.nodeId, le);
  putI32(out, o + F.GUARANTEE, m.guarantee, le);
  let p = o + F.PAYLOAD;
  out.set(m.payload, p);
  p += m.payload.length;
  // A decoded MCAST never has a trailer (the payload runs to the end); a hand-built one may.
  out.set(m.trailer, p);
  return p + m.trailer.length;
}
