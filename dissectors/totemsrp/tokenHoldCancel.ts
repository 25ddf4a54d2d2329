/**
 * TOKEN_HOLD_CANCEL — corosync 3.x exec/totemsrp.c `struct token_hold_cancel` (packed, 25 B),
 * wire-format.md §3.3: header (13) | ring_id @13. Check: len >= 25.
 */
import { EMPTY, fieldStarts, truncated, type TotemsrpError } from './codes.ts';
import { HEADER_LEN, emitHeader } from './header.ts';
import { RING_ID_LEN, emitRingId, parseRingId } from './ringId.ts';
import { MessageType, type TokenHoldCancel, type TotemHeader } from './types.ts';

export const F = { HEADER: 0, RING_ID: HEADER_LEN, END: HEADER_LEN + RING_ID_LEN } as const;
export const TOKEN_HOLD_CANCEL_LEN = F.END;

const STARTS = fieldStarts(F);

/** Checks the message at b[base, base + len); error offsets count from `base`. */
export function checkTokenHoldCancel(b: Uint8Array, base = 0, len = b.length - base): TotemsrpError | undefined {
  if (len < TOKEN_HOLD_CANCEL_LEN) return truncated('token_hold_cancel', len, TOKEN_HOLD_CANCEL_LEN, STARTS);
  return undefined;
}

export function parseTokenHoldCancel(b: Uint8Array, header: TotemHeader): TokenHoldCancel | TotemsrpError {
  const err = checkTokenHoldCancel(b);
  if (err !== undefined) return err;
  return {
    kind: 'token_hold_cancel',
    header,
    ringId: parseRingId(b, F.RING_ID, header.littleEndian),
    trailer: b.length > F.END ? b.subarray(F.END) : EMPTY,
  };
}

export function tokenHoldCancelLength(m: TokenHoldCancel): number {
  return TOKEN_HOLD_CANCEL_LEN + m.trailer.length;
}

export function emitTokenHoldCancel(m: TokenHoldCancel, out: Uint8Array, o: number): number {
  emitHeader(m.header, MessageType.TOKEN_HOLD_CANCEL, out, o);
  emitRingId(m.ringId, out, o + F.RING_ID, m.header.littleEndian);
  out.set(m.trailer, o + F.END);
  return o + F.END + m.trailer.length;
}
