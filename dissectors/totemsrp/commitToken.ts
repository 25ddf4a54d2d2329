/**
 * MEMB_COMMIT_TOKEN — corosync 3.x exec/totemsrp.c `struct memb_commit_token` (packed),
 * wire-format.md §3.3:
 *
 *   off  0  header (13)
 *   off 13  u32 token_seq     incremented every hop
 *   off 17  ring_id (12)      of the NEW ring
 *   off 29  u32 retrans_flg
 *   off 33  i32 memb_index    next slot to fill
 *   off 37  i32 addr_entries  (n)
 *   off 41  addr[n]           (srp_addr, u32 nodeid; ring order)
 *   off 41+4n memb_list[n]    24 B each: old ring_id(12), u32 aru, u32 high_delivered, u32 received_flg
 *
 * Checks (`check_memb_commit_token_sanity` as fixed in Debian deb12u2 / upstream a16614ac):
 * len >= 41, len >= 41 + 28·n. A negative n (corosync's unsigned math turns it into a huge length,
 * hence a drop) and n > PROCESSOR_COUNT_MAX are rejected explicitly.
 */
import { putI32, putU32, i32, u32 } from '../bytes.ts';
import { WireError } from '../errors.ts';
import { EMPTY, fieldStarts, truncated, type TotemsrpError } from './codes.ts';
import { HEADER_LEN, emitHeader } from './header.ts';
import { PROCESSOR_COUNT_MAX, SRP_ADDR_LEN } from './membJoin.ts';
import { RING_ID_LEN, emitRingId, parseRingId } from './ringId.ts';
import { MessageType, type MembCommitToken, type MembCommitTokenMembEntry, type TotemHeader } from './types.ts';

export const F = {
  HEADER: 0,
  TOKEN_SEQ: HEADER_LEN,
  RING_ID: 17,
  RETRANS_FLG: 17 + RING_ID_LEN,
  MEMB_INDEX: 33,
  ADDR_ENTRIES: 37,
  ADDR: 41,
} as const;
export const MEMB_COMMIT_TOKEN_FIXED_LEN = F.ADDR;

/** `struct memb_commit_token_memb_entry` (packed). */
export const F_MEMB_ENTRY = { RING_ID: 0, ARU: RING_ID_LEN, HIGH_DELIVERED: 16, RECEIVED_FLG: 20 } as const;
export const MEMB_ENTRY_LEN = F_MEMB_ENTRY.RECEIVED_FLG + 4;

const STARTS = fieldStarts(F);

/** Checks the message at b[base, base + len); error offsets count from `base`. */
export function checkCommitToken(b: Uint8Array, le: boolean, base = 0, len = b.length - base): TotemsrpError | undefined {
  if (len < MEMB_COMMIT_TOKEN_FIXED_LEN) return truncated('memb_commit_token', len, MEMB_COMMIT_TOKEN_FIXED_LEN, STARTS);
  const n = i32(b, base + F.ADDR_ENTRIES, le);
  if (n < 0) return new WireError('totemsrp.negative_count', F.ADDR_ENTRIES, `addr_entries is negative (${n})`);
  if (n > PROCESSOR_COUNT_MAX) {
    return new WireError('totemsrp.addr_list_too_long', F.ADDR_ENTRIES, `addr_entries ${n} exceeds ${PROCESSOR_COUNT_MAX}`);
  }
  const need = MEMB_COMMIT_TOKEN_FIXED_LEN + n * (SRP_ADDR_LEN + MEMB_ENTRY_LEN);
  if (len < need) {
    return new WireError('totemsrp.list_overrun', F.ADDR_ENTRIES, `${n} members need ${need} bytes, memb_commit_token has ${len}`);
  }
  return undefined;
}

export function parseCommitToken(b: Uint8Array, header: TotemHeader): MembCommitToken | TotemsrpError {
  const le = header.littleEndian;
  const err = checkCommitToken(b, le);
  if (err !== undefined) return err;
  const n = i32(b, F.ADDR_ENTRIES, le);
  const addr: number[] = [];
  const membList: MembCommitTokenMembEntry[] = [];
  let o = F.ADDR;
  for (let i = 0; i < n; i++, o += SRP_ADDR_LEN) addr.push(u32(b, o, le));
  for (let i = 0; i < n; i++, o += MEMB_ENTRY_LEN) {
    membList.push({
      ringId: parseRingId(b, o + F_MEMB_ENTRY.RING_ID, le),
      aru: u32(b, o + F_MEMB_ENTRY.ARU, le),
      highDelivered: u32(b, o + F_MEMB_ENTRY.HIGH_DELIVERED, le),
      receivedFlg: u32(b, o + F_MEMB_ENTRY.RECEIVED_FLG, le),
    });
  }
  return {
    kind: 'memb_commit_token',
    header,
    tokenSeq: u32(b, F.TOKEN_SEQ, le),
    ringId: parseRingId(b, F.RING_ID, le),
    retransFlg: u32(b, F.RETRANS_FLG, le),
    membIndex: i32(b, F.MEMB_INDEX, le),
    addr,
    membList,
    trailer: o < b.length ? b.subarray(o) : EMPTY,
  };
}

export function commitTokenLength(m: MembCommitToken): number {
  return MEMB_COMMIT_TOKEN_FIXED_LEN + m.addr.length * SRP_ADDR_LEN + m.membList.length * MEMB_ENTRY_LEN + m.trailer.length;
}

/**
 * addr_entries is written as addr.length. A value whose membList is shorter (or longer) than addr
 * cannot be parsed back to itself; callers keep them the same length, as corosync does.
 */
export function emitCommitToken(m: MembCommitToken, out: Uint8Array, o: number): number {
  const le = m.header.littleEndian;
  emitHeader(m.header, MessageType.MEMB_COMMIT_TOKEN, out, o);
  putU32(out, o + F.TOKEN_SEQ, m.tokenSeq, le);
  emitRingId(m.ringId, out, o + F.RING_ID, le);
  putU32(out, o + F.RETRANS_FLG, m.retransFlg, le);
  putI32(out, o + F.MEMB_INDEX, m.membIndex, le);
  putI32(out, o + F.ADDR_ENTRIES, m.addr.length, le);
  let p = o + F.ADDR;
  for (const n of m.addr) {
    putU32(out, p, n, le);
    p += SRP_ADDR_LEN;
  }
  for (const e of m.membList) {
    emitRingId(e.ringId, out, p + F_MEMB_ENTRY.RING_ID, le);
    putU32(out, p + F_MEMB_ENTRY.ARU, e.aru, le);
    putU32(out, p + F_MEMB_ENTRY.HIGH_DELIVERED, e.highDelivered, le);
    putU32(out, p + F_MEMB_ENTRY.RECEIVED_FLG, e.receivedFlg, le);
    p += MEMB_ENTRY_LEN;
  }
  out.set(m.trailer, p);
  return p + m.trailer.length;
}
