/**
 * `struct memb_ring_id` (12 B: u32 rep, u64 seq) and `struct rtr_item` (16 B: ring_id, u32 seq),
 * both packed, sender order (include/corosync/totem/totem.h, exec/totemsrp.c; wire-format.md §3.2).
 *
 * Callers check bounds; these helpers only read and write.
 */
import { putU32, putU64, u32, u64 } from '../bytes.ts';
import type { RingId, RtrItem } from './types.ts';

export const F_RING_ID = { REP: 0, SEQ: 4 } as const;
export const RING_ID_LEN = F_RING_ID.SEQ + 8;

export const F_RTR_ITEM = { RING_ID: 0, SEQ: RING_ID_LEN } as const;
export const RTR_ITEM_LEN = F_RTR_ITEM.SEQ + 4;

// One-entry cache: nearly every frame of a capture carries the same ring id, so the same frozen
// value is handed out again instead of building an object (and a BigInt) per frame. The key is the
// raw 12 bytes and the byte order: a hit costs a few byte compares and no integer decoding.
const lastBytes = new Uint8Array(RING_ID_LEN);
let lastLe = true;
let lastRing: RingId | undefined;

export function parseRingId(b: Uint8Array, o: number, le: boolean): RingId {
  if (lastRing !== undefined && le === lastLe) {
    let same = true;
    for (let i = 0; i < RING_ID_LEN; i++) {
      if (b[o + i] !== lastBytes[i]) {
        same = false;
        break;
      }
    }
    if (same) return lastRing;
  }
  for (let i = 0; i < RING_ID_LEN; i++) lastBytes[i] = b[o + i]!;
  lastLe = le;
  lastRing = Object.freeze({ rep: u32(b, o + F_RING_ID.REP, le), seq: u64(b, o + F_RING_ID.SEQ, le) });
  return lastRing;
}

export function emitRingId(r: RingId, out: Uint8Array, o: number, le: boolean): number {
  putU32(out, o, r.rep, le);
  putU64(out, o + F_RING_ID.SEQ, r.seq, le);
  return o + RING_ID_LEN;
}

export function parseRtrItem(b: Uint8Array, o: number, le: boolean): RtrItem {
  return { ringId: parseRingId(b, o + F_RTR_ITEM.RING_ID, le), seq: u32(b, o + F_RTR_ITEM.SEQ, le) };
}

export function emitRtrItem(r: RtrItem, out: Uint8Array, o: number, le: boolean): number {
  emitRingId(r.ringId, out, o + F_RTR_ITEM.RING_ID, le);
  putU32(out, o + F_RTR_ITEM.SEQ, r.seq, le);
  return o + RTR_ITEM_LEN;
}
