/**
 * ORF_TOKEN — corosync 3.x exec/totemsrp.c `struct orf_token` (packed), wire-format.md §3.3:
 *
 *   off  0  header (13)          off 29  ring_id (12)
 *   off 13  u32 seq              off 41  u32 backlog
 *   off 17  u32 token_seq        off 45  u32 fcc
 *   off 21  u32 aru              off 49  i32 retrans_flg
 *   off 25  u32 aru_addr         off 53  i32 rtr_list_entries
 *   off 57  rtr_list[n] (16 B each: ring_id, u32 seq)
 *
 * Checks (3.1.7 + Debian CVE-2025-30472 fix, `check_orf_token_sanity`): len <= 1500 (the
 * receiver's token buffer), len >= 57, rtr_list_entries <= 30, len >= 57 + 16·n. A negative count
 * is rejected too: corosync's size_t arithmetic would wrap and accept it, then copy 30 entries.
 * Contract: `checkOrfToken` ok ⇒ every read in `parseOrfToken` is in bounds.
 */
import { putI32, putU32, i32, u32 } from '../bytes.ts';
import { WireError } from '../errors.ts';
import { EMPTY, fieldStarts, truncated, type TotemsrpError } from './codes.ts';
import { HEADER_LEN, emitHeader } from './header.ts';
import { RING_ID_LEN, RTR_ITEM_LEN, emitRingId, emitRtrItem, parseRingId, parseRtrItem } from './ringId.ts';
import { MessageType, type OrfToken, type RtrItem, type TotemHeader } from './types.ts';

export const F = {
  HEADER: 0,
  SEQ: HEADER_LEN,
  TOKEN_SEQ: 17,
  ARU: 21,
  ARU_ADDR: 25,
  RING_ID: 29,
  BACKLOG: 29 + RING_ID_LEN,
  FCC: 45,
  RETRANS_FLG: 49,
  RTR_LIST_ENTRIES: 53,
  RTR_LIST: 57,
} as const;
export const ORF_TOKEN_FIXED_LEN = F.RTR_LIST;
/** RETRANSMIT_ENTRIES_MAX (exec/totemsrp.c). */
export const RETRANSMIT_ENTRIES_MAX = 30;
/** Size of corosync's token_storage buffer; longer tokens are dropped. */
export const ORF_TOKEN_MAX_LEN = 1500;

const STARTS = fieldStarts(F);
const NO_RTR_ITEMS: readonly RtrItem[] = Object.freeze([]);

/** Checks the message at b[base, base + len); error offsets count from `base`. */
export function checkOrfToken(b: Uint8Array, le: boolean, base = 0, len = b.length - base): TotemsrpError | undefined {
  if (len > ORF_TOKEN_MAX_LEN) {
    return new WireError('totemsrp.token_too_long', ORF_TOKEN_MAX_LEN, `orf_token of ${len} bytes exceeds ${ORF_TOKEN_MAX_LEN}`);
  }
  if (len < ORF_TOKEN_FIXED_LEN) return truncated('orf_token', len, ORF_TOKEN_FIXED_LEN, STARTS);
  const n = i32(b, base + F.RTR_LIST_ENTRIES, le);
  if (n < 0) return new WireError('totemsrp.negative_count', F.RTR_LIST_ENTRIES, `rtr_list_entries is negative (${n})`);
  if (n > RETRANSMIT_ENTRIES_MAX) {
    return new WireError('totemsrp.rtr_list_too_long', F.RTR_LIST_ENTRIES, `rtr_list_entries ${n} exceeds ${RETRANSMIT_ENTRIES_MAX}`);
  }
  const need = ORF_TOKEN_FIXED_LEN + n * RTR_ITEM_LEN;
  if (len < need) {
    return new WireError('totemsrp.list_overrun', F.RTR_LIST_ENTRIES, `${n} rtr entries need ${need} bytes, orf_token has ${len}`);
  }
  return undefined;
}

export function parseOrfToken(b: Uint8Array, header: TotemHeader): OrfToken | TotemsrpError {
  const le = header.littleEndian;
  const err = checkOrfToken(b, le);
  if (err !== undefined) return err;
  const n = i32(b, F.RTR_LIST_ENTRIES, le);
  // Most tokens carry no retransmit request: they share one frozen empty list.
  let rtrList = NO_RTR_ITEMS;
  let o = F.RTR_LIST;
  if (n > 0) {
    const items: RtrItem[] = [];
    for (let i = 0; i < n; i++, o += RTR_ITEM_LEN) items.push(parseRtrItem(b, o, le));
    rtrList = items;
  }
  return {
    kind: 'orf_token',
    header,
    seq: u32(b, F.SEQ, le),
    tokenSeq: u32(b, F.TOKEN_SEQ, le),
    aru: u32(b, F.ARU, le),
    aruAddr: u32(b, F.ARU_ADDR, le),
    ringId: parseRingId(b, F.RING_ID, le),
    backlog: u32(b, F.BACKLOG, le),
    fcc: u32(b, F.FCC, le),
    retransFlg: i32(b, F.RETRANS_FLG, le),
    rtrList,
    trailer: o < b.length ? b.subarray(o) : EMPTY,
  };
}

export function orfTokenLength(m: OrfToken): number {
  return ORF_TOKEN_FIXED_LEN + m.rtrList.length * RTR_ITEM_LEN + m.trailer.length;
}

/** Writes the whole message (header included) at `o`; returns the offset after it. */
export function emitOrfToken(m: OrfToken, out: Uint8Array, o: number): number {
  const le = m.header.littleEndian;
  emitHeader(m.header, MessageType.ORF_TOKEN, out, o);
  putU32(out, o + F.SEQ, m.seq, le);
  putU32(out, o + F.TOKEN_SEQ, m.tokenSeq, le);
  putU32(out, o + F.ARU, m.aru, le);
  putU32(out, o + F.ARU_ADDR, m.aruAddr, le);
  emitRingId(m.ringId, out, o + F.RING_ID, le);
  putU32(out, o + F.BACKLOG, m.backlog, le);
  putU32(out, o + F.FCC, m.fcc, le);
  putI32(out, o + F.RETRANS_FLG, m.retransFlg, le);
  putI32(out, o + F.RTR_LIST_ENTRIES, m.rtrList.length, le);
  let p = o + F.RTR_LIST;
  for (const r of m.rtrList) p = emitRtrItem(r, out, p, le);
  out.set(m.trailer, p);
  return p + m.trailer.length;
}
