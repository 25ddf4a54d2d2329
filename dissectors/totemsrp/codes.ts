/**
 * Stable error codes of the totemsrp decoder, one per receive-side check that corosync 3.1.7
 * (Debian 3.1.7-1+deb12u2) makes in exec/totemsrp.c `check_message_header_validity`,
 * `main_deliver_fn` and `check_*_sanity` (wire-format.md §3.6), plus the few bounds a dissector
 * needs on top (negative or oversized counts that corosync would drop later or crash on).
 */
import { WireError } from '../errors.ts';

export const TOTEMSRP_ERROR_CODES = [
  /** Shorter than the 13-byte v3 header ("Message received from %s is too short"). */
  'totemsrp.too_short',
  /** Magic is neither 0xC070 nor 0x70C0; the message names the guessed sender (detectTotem). */
  'totemsrp.bad_magic',
  /** version != TOTEM_MH_VERSION (3): "has unsupported version". */
  'totemsrp.bad_version',
  /** type > 5: "has wrong type". */
  'totemsrp.bad_type',
  /** Shorter than the fixed part of its message type (sizeof(struct ...)). */
  'totemsrp.truncated',
  /** ORF token longer than corosync's 1500-byte token buffer (CVE-2025-30472 fix, commit 7839990f). */
  'totemsrp.token_too_long',
  /** rtr_list_entries > RETRANSMIT_ENTRIES_MAX (30) (CVE-2025-30472 fix). */
  'totemsrp.rtr_list_too_long',
  /** A signed count (rtr_list_entries, addr_entries) is negative. */
  'totemsrp.negative_count',
  /** proc_list_entries or failed_list_entries > PROCESSOR_COUNT_MAX (384) (CVE-2026-35092 fix, 4082294f). */
  'totemsrp.proc_list_too_long',
  'totemsrp.failed_list_too_long',
  /** addr_entries > PROCESSOR_COUNT_MAX (384): more members than a ring can have. */
  'totemsrp.addr_list_too_long',
  /** A count says the list runs past the end of the message. */
  'totemsrp.list_overrun',
] as const;

export type TotemsrpErrorCode = (typeof TOTEMSRP_ERROR_CODES)[number];

export type TotemsrpError = WireError<TotemsrpErrorCode>;

/**
 * "Too short for its type": the offending field is the first one that does not fit, i.e. the last
 * field starting at or before `len` in the sorted `starts` list.
 */
export function truncated(what: string, len: number, need: number, starts: readonly number[]): TotemsrpError {
  let at = 0;
  for (const s of starts) if (s <= len) at = s;
  return new WireError('totemsrp.truncated', at, `${what} of ${len} bytes, need at least ${need}`);
}

/** Start offsets of a struct's fields from its `F` table, ascending. */
export function fieldStarts(f: Readonly<Record<string, number>>): readonly number[] {
  return Object.values(f).sort((a, b) => a - b);
}

/** Shared zero-length trailer: real traffic never has bytes after the structure. */
export const EMPTY: Uint8Array = new Uint8Array(0);
