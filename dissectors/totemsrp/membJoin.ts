/**
 * MEMB_JOIN — corosync 3.x exec/totemsrp.c `struct memb_join` (packed), wire-format.md §3.3:
 *
 *   off  0  header (13; nodeid 0 ⇒ a "leave" JOIN)
 *   off 13  u32 system_from
 *   off 17  u32 proc_list_entries    (p)
 *   off 21  u32 failed_list_entries  (f)
 *   off 25  u64 ring_seq             sender's my_ring_id.seq
 *   off 33  proc_list[p]   (srp_addr = u32 nodeid)
 *   off 33+4p failed_list[f]
 *
 * Checks (`check_memb_join_sanity`, Debian deb12u2 with CVE-2026-35092 fix 4082294f):
 * len >= 33, p <= 384 and f <= 384 (PROCESSOR_COUNT_MAX), len >= 33 + 4·(p+f).
 */
import { putU32, putU64, u32, u64 } from '../bytes.ts';
import { WireError } from '../errors.ts';
import { EMPTY, fieldStarts, truncated, type TotemsrpError } from './codes.ts';
import { HEADER_LEN, emitHeader } from './header.ts';
import { MessageType, type MembJoin, type TotemHeader } from './types.ts';

export const F = {
  HEADER: 0,
  SYSTEM_FROM: HEADER_LEN,
  PROC_LIST_ENTRIES: 17,
  FAILED_LIST_ENTRIES: 21,
  RING_SEQ: 25,
  LISTS: 33,
} as const;
export const MEMB_JOIN_FIXED_LEN = F.LISTS;
/** sizeof(struct srp_addr) in v3: just the nodeid. */
export const SRP_ADDR_LEN = 4;
/** PROCESSOR_COUNT_MAX (include/corosync/totem/totem.h). */
export const PROCESSOR_COUNT_MAX = 384;

const STARTS = fieldStarts(F);

/** Checks the message at b[base, base + len); error offsets count from `base`. */
export function checkMembJoin(b: Uint8Array, le: boolean, base = 0, len = b.length - base): TotemsrpError | undefined {
  if (len < MEMB_JOIN_FIXED_LEN) return truncated('memb_join', len, MEMB_JOIN_FIXED_LEN, STARTS);
  const p = u32(b, base + F.PROC_LIST_ENTRIES, le);
  const f = u32(b, base + F.FAILED_LIST_ENTRIES, le);
  if (p > PROCESSOR_COUNT_MAX) {
    return new WireError('totemsrp.proc_list_too_long', F.PROC_LIST_ENTRIES, `proc_list_entries ${p} exceeds ${PROCESSOR_COUNT_MAX}`);
  }
  if (f > PROCESSOR_COUNT_MAX) {
    return new WireError('totemsrp.failed_list_too_long', F.FAILED_LIST_ENTRIES, `failed_list_entries ${f} exceeds ${PROCESSOR_COUNT_MAX}`);
  }
  const need = MEMB_JOIN_FIXED_LEN + (p + f) * SRP_ADDR_LEN;
  if (len < need) {
    // Name the count whose list crosses the end.
    const at = MEMB_JOIN_FIXED_LEN + p * SRP_ADDR_LEN > len ? F.PROC_LIST_ENTRIES : F.FAILED_LIST_ENTRIES;
    return new WireError('totemsrp.list_overrun', at, `proc ${p} + failed ${f} entries need ${need} bytes, memb_join has ${len}`);
  }
  return undefined;
}

export function parseMembJoin(b: Uint8Array, header: TotemHeader): MembJoin | TotemsrpError {
  const le = header.littleEndian;
  const err = checkMembJoin(b, le);
  if (err !== undefined) return err;
  const p = u32(b, F.PROC_LIST_ENTRIES, le);
  const f = u32(b, F.FAILED_LIST_ENTRIES, le);
  const procList: number[] = [];
  const failedList: number[] = [];
  let o = F.LISTS;
  for (let i = 0; i < p; i++, o += SRP_ADDR_LEN) procList.push(u32(b, o, le));
  for (let i = 0; i < f; i++, o += SRP_ADDR_LEN) failedList.push(u32(b, o, le));
  return {
    kind: 'memb_join',
    header,
    systemFrom: u32(b, F.SYSTEM_FROM, le),
    procList,
    failedList,
    ringSeq: u64(b, F.RING_SEQ, le),
    trailer: o < b.length ? b.subarray(o) : EMPTY,
  };
}

export function membJoinLength(m: MembJoin): number {
  return MEMB_JOIN_FIXED_LEN + (m.procList.length + m.failedList.length) * SRP_ADDR_LEN + m.trailer.length;
}

export function emitMembJoin(m: MembJoin, out: Uint8Array, o: number): number {
  const le = m.header.littleEndian;
  emitHeader(m.header, MessageType.MEMB_JOIN, out, o);
  putU32(out, o + F.SYSTEM_FROM, m.systemFrom, le);
  putU32(out, o + F.PROC_LIST_ENTRIES, m.procList.length, le);
  putU32(out, o + F.FAILED_LIST_ENTRIES, m.failedList.length, le);
  putU64(out, o + F.RING_SEQ, m.ringSeq, le);
  let p = o + F.LISTS;
  for (const n of m.procList) {
    putU32(out, p, n, le);
    p += SRP_ADDR_LEN;
  }
  for (const n of m.failedList) {
    putU32(out, p, n, le);
    p += SRP_ADDR_LEN;
  }
  out.set(m.trailer, p);
  return p + m.trailer.length;
}
