/**
 * Totem SRP v3 (corosync 3.x) dissectors and encoders — wire-format.md §3.
 *
 * One file per message (header.ts, orfToken.ts, mcast.ts, mergeDetect.ts, membJoin.ts,
 * commitToken.ts, tokenHoldCancel.ts, ringId.ts) with offsets as named constants, a `check`,
 * `parse` (value or WireError, never throws) and `emit` (exact bytes). This module is the entry point.
 */
export { checkTotem, decodeTotem, encodeTotem, encodedLength, emitTotem } from './codec.ts';
export { detectTotem, senderGuess, parseHeader, HEADER_LEN, TOTEM_MH_MAGIC, TOTEM_MH_VERSION, type TotemDetection } from './header.ts';
export { totemTree, totemSummary, ringIdTree, headerTree, type TotemTransport, type TotemTreeContext } from './tree.ts';
export { TOTEMSRP_ERROR_CODES, type TotemsrpErrorCode, type TotemsrpError } from './codes.ts';
export { TOTEMSRP_FIELDS } from './fields.ts';
export { ORF_TOKEN_FIXED_LEN, ORF_TOKEN_MAX_LEN, RETRANSMIT_ENTRIES_MAX } from './orfToken.ts';
export { MCAST_HEADER_LEN } from './mcast.ts';
export { MEMB_MERGE_DETECT_LEN } from './mergeDetect.ts';
export { MEMB_JOIN_FIXED_LEN, PROCESSOR_COUNT_MAX } from './membJoin.ts';
export { MEMB_COMMIT_TOKEN_FIXED_LEN, MEMB_ENTRY_LEN } from './commitToken.ts';
export { TOKEN_HOLD_CANCEL_LEN } from './tokenHoldCancel.ts';
export { RING_ID_LEN, RTR_ITEM_LEN } from './ringId.ts';
export * from './types.ts';
