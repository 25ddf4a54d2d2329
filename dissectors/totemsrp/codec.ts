/**
 * Whole-message decode/encode: header first (length, magic/byte order, version, type, as corosync's
 * `check_message_header_validity` + `main_deliver_fn`), then the per-type file.
 *
 * Hot path (>= 1M frames/s): no DataView, no closures, plain object literals, BigInt only for u64
 * (cached in bytes.ts / ringId.ts). Never throws on any input.
 */
import type { TotemsrpError } from './codes.ts';
import { WireError } from '../errors.ts';
import { checkCommitToken, commitTokenLength, emitCommitToken, parseCommitToken } from './commitToken.ts';
import { checkHeader, HEADER_BIG_ENDIAN, HEADER_TYPE_MASK, parseHeader } from './header.ts';
import { checkMcast, emitMcast, mcastLength, parseMcast } from './mcast.ts';
import { checkMembJoin, emitMembJoin, membJoinLength, parseMembJoin } from './membJoin.ts';
import { checkMergeDetect, emitMergeDetect, mergeDetectLength, parseMergeDetect } from './mergeDetect.ts';
import { checkOrfToken, emitOrfToken, orfTokenLength, parseOrfToken } from './orfToken.ts';
import { checkTokenHoldCancel, emitTokenHoldCancel, parseTokenHoldCancel, tokenHoldCancelLength } from './tokenHoldCancel.ts';
import type { MessageType, TotemMessage } from './types.ts';


/** `b` is exactly one totemsrp message (UDP payload on udp/udpu, reassembled user data on knet). */
export function decodeTotem(b: Uint8Array): TotemMessage | TotemsrpError {
  const h = parseHeader(b);
  if (h instanceof WireError) return h;
  switch (h.type) {
    case 0:
      return parseOrfToken(b, h);
    case 1:
      return parseMcast(b, h);
    case 2:
      return parseMergeDetect(b, h);
    case 3:
      return parseMembJoin(b, h);
    case 4:
      return parseCommitToken(b, h);
    case 5:
      return parseTokenHoldCancel(b, h);
  }
}

/**
 * What `decodeTotem(b.subarray(base, base + len))` says, without building the message: its type,
 * or the same error (same code, offset and text). The same check functions run in both, so the
 * counting path (`read --stats`) and the decoding path cannot disagree.
 */
export function checkTotem(b: Uint8Array, base = 0, len = b.length - base): MessageType | TotemsrpError {
  const c = checkHeader(b, base, len);
  if (typeof c !== 'number') return c;
  const le = (c & HEADER_BIG_ENDIAN) === 0;
  const type = (c & HEADER_TYPE_MASK) as MessageType;
  let err: TotemsrpError | undefined;
  switch (type) {
    case 0:
      err = checkOrfToken(b, le, base, len);
      break;
    case 1:
      err = checkMcast(b, base, len);
      break;
    case 2:
      err = checkMergeDetect(b, base, len);
      break;
    case 3:
      err = checkMembJoin(b, le, base, len);
      break;
    case 4:
      err = checkCommitToken(b, le, base, len);
      break;
    case 5:
      err = checkTokenHoldCancel(b, base, len);
      break;
  }
  return err ?? type;
}

/** Bytes `encodeTotem(m)` produces. */
export function encodedLength(m: TotemMessage): number {
  switch (m.kind) {
    case 'orf_token':
      return orfTokenLength(m);
    case 'mcast':
      return mcastLength(m);
    case 'memb_merge_detect':
      return mergeDetectLength(m);
    case 'memb_join':
      return membJoinLength(m);
    case 'memb_commit_token':
      return commitTokenLength(m);
    case 'token_hold_cancel':
      return tokenHoldCancelLength(m);
  }
}

/**
 * Writes `m` into `out` at `off` (needs `encodedLength(m)` bytes); returns the offset after it.
 * Byte order is `m.header.littleEndian`; the header type byte comes from `m.kind`.
 */
export function emitTotem(m: TotemMessage, out: Uint8Array, off: number): number {
  switch (m.kind) {
    case 'orf_token':
      return emitOrfToken(m, out, off);
    case 'mcast':
      return emitMcast(m, out, off);
    case 'memb_merge_detect':
      return emitMergeDetect(m, out, off);
    case 'memb_join':
      return emitMembJoin(m, out, off);
    case 'memb_commit_token':
      return emitCommitToken(m, out, off);
    case 'token_hold_cancel':
      return emitTokenHoldCancel(m, out, off);
  }
}

/** The exact bytes of `m`: `encodeTotem(decodeTotem(bytes)) === bytes` for every valid message. */
export function encodeTotem(m: TotemMessage): Uint8Array {
  const out = new Uint8Array(encodedLength(m));
  emitTotem(m, out, 0);
  return out;
}
