/**
 * Totem SRP message values (the "Repr" side): meaningful fields only, no lengths or counts that
 * the arrays already say. Parsing and emitting live in one file per message; the engine and the
 * analysis work on these values and never touch bytes.
 *
 * Layouts: corosync 3.1.7 exec/totemsrp.c and include/corosync/totem/totem.h
 * (shared/reference/wire-format.md §3).
 */

export const MessageType = {
  ORF_TOKEN: 0,
  MCAST: 1,
  MEMB_MERGE_DETECT: 2,
  MEMB_JOIN: 3,
  MEMB_COMMIT_TOKEN: 4,
  TOKEN_HOLD_CANCEL: 5,
} as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

export const MESSAGE_TYPE_NAMES: Readonly<Record<MessageType, string>> = {
  0: 'orf_token',
  1: 'mcast',
  2: 'memb_merge_detect',
  3: 'memb_join',
  4: 'memb_commit_token',
  5: 'token_hold_cancel',
};

/** MCAST `encapsulated` values (totemsrp.c). */
export const ENCAPSULATED = 1;
export const NOT_ENCAPSULATED = 2;

/** A ring id as corosync prints it: `rep.seq` in hex (`1.d`). */
export interface RingId {
  /** nodeid of the ring's representative. */
  readonly rep: number;
  /** u64 ring sequence; grows by 4 per new ring. */
  readonly seq: bigint;
}

export function formatRingId(r: RingId): string {
  return `${r.rep.toString(16)}.${r.seq.toString(16)}`;
}

export function ringIdEquals(a: RingId, b: RingId): boolean {
  return a.rep === b.rep && a.seq === b.seq;
}

/** v3 `struct totem_message_header` (13 bytes). */
export interface TotemHeader {
  /** Sender byte order, detected from the magic. Kept so that emit reproduces the same bytes. */
  readonly littleEndian: boolean;
  readonly version: number;
  readonly type: MessageType;
  /** 1 ENCAPSULATED / 2 NOT_ENCAPSULATED on MCAST; 0 elsewhere (kept raw for exact round trips). */
  readonly encapsulated: number;
  /** Sender nodeid; 0 on a leave JOIN. */
  readonly nodeid: number;
  /** knet routing only; garbage on udp/udpu (never interpreted there). */
  readonly targetNodeid: number;
}

export interface RtrItem {
  readonly ringId: RingId;
  readonly seq: number;
}

interface MessageBase {
  readonly header: TotemHeader;
  /** Bytes after the structure (corosync accepts len >= required); empty on real traffic. */
  readonly trailer: Uint8Array;
}

export interface OrfToken extends MessageBase {
  readonly kind: 'orf_token';
  readonly seq: number;
  readonly tokenSeq: number;
  readonly aru: number;
  readonly aruAddr: number;
  readonly ringId: RingId;
  readonly backlog: number;
  readonly fcc: number;
  readonly retransFlg: number;
  readonly rtrList: readonly RtrItem[];
}

export interface Mcast extends MessageBase {
  readonly kind: 'mcast';
  readonly systemFrom: number;
  readonly seq: number;
  readonly thisSeqno: number;
  readonly ringId: RingId;
  readonly nodeId: number;
  readonly guarantee: number;
  /** totempg data (encapsulated = 2) or a whole old-ring MCAST (encapsulated = 1). Zero-copy view. */
  readonly payload: Uint8Array;
}

export interface MembMergeDetect extends MessageBase {
  readonly kind: 'memb_merge_detect';
  readonly systemFrom: number;
  readonly ringId: RingId;
}

export interface MembJoin extends MessageBase {
  readonly kind: 'memb_join';
  readonly systemFrom: number;
  readonly procList: readonly number[];
  readonly failedList: readonly number[];
  readonly ringSeq: bigint;
}

export interface MembCommitTokenMembEntry {
  readonly ringId: RingId;
  readonly aru: number;
  readonly highDelivered: number;
  readonly receivedFlg: number;
}

export interface MembCommitToken extends MessageBase {
  readonly kind: 'memb_commit_token';
  readonly tokenSeq: number;
  readonly ringId: RingId;
  readonly retransFlg: number;
  readonly membIndex: number;
  readonly addr: readonly number[];
  /** One entry per addr; slots not yet filled are all zero. */
  readonly membList: readonly MembCommitTokenMembEntry[];
}

export interface TokenHoldCancel extends MessageBase {
  readonly kind: 'token_hold_cancel';
  readonly ringId: RingId;
}

export type TotemMessage = OrfToken | Mcast | MembMergeDetect | MembJoin | MembCommitToken | TokenHoldCancel;

/** A leave message is a JOIN whose header nodeid is 0. */
export function isLeave(m: MembJoin): boolean {
  return m.header.nodeid === 0;
}
