/**
 * The totempg packet inside an MCAST payload (wire-format.md §4; CS3 exec/totempg.c
 * `struct totempg_mcast`, `totempg_deliver_fn`).
 *
 * `header.version i16 | header.type i16 | fragmented u8 | continuation u8 | msg_count u16 |
 * msg_len[msg_count] u16 | data`. Only msg_count and msg_len are in the sender's byte order as
 * far as corosync cares (it swaps nothing else); we read version/type the same way.
 * Receivers drop the packet unless its length is exactly 8 + 2·count + Σ msg_len.
 */
import { u8, u16, putU16, putU8 } from '../bytes.ts';
import { node, type FieldNode } from '../catalog.ts';
import { WireError, type Decoded } from '../errors.ts';
import { TOTEMPG_FIELDS as F } from './fields.ts';

export const VERSION = 0;
export const TYPE = 2;
export const FRAGMENTED = 4;
export const CONTINUATION = 5;
export const MSG_COUNT = 6;
export const HEADER_LEN = 8;
export const MSG_LEN_SIZE = 2;

export type TotempgErrorCode = 'totempg.short' | 'totempg.short_lengths' | 'totempg.length_mismatch' | 'totempg.fragmented_empty';

export interface TotempgPacket {
  readonly version: number;
  readonly type: number;
  /** 0, or the fragment number N: the last packed message continues in the sender's next packet. */
  readonly fragmented: number;
  /** 0, or the N of the sender's previous packet: the first packed message is a continuation. */
  readonly continuation: number;
  /** The packed messages (or pieces), zero-copy views into the parsed buffer. */
  readonly messages: readonly Uint8Array[];
}

/** Checks the lengths exactly as `totempg_deliver_fn` does, then slices the packed messages. */
export function parseTotempg(b: Uint8Array, le: boolean): Decoded<TotempgPacket, TotempgErrorCode> {
  if (b.length < HEADER_LEN) {
    return new WireError('totempg.short', 0, `totempg packet is ${b.length} bytes, header needs ${HEADER_LEN}`);
  }
  const count = u16(b, MSG_COUNT, le);
  const dataStart = HEADER_LEN + MSG_LEN_SIZE * count;
  // Bounds msg_count by what the packet can hold before any array is built.
  if (b.length < dataStart) {
    return new WireError('totempg.short_lengths', MSG_COUNT, `msg_count ${count} needs ${dataStart} bytes, packet has ${b.length}`);
  }
  let expected = dataStart;
  for (let i = 0; i < count; i++) expected += u16(b, HEADER_LEN + MSG_LEN_SIZE * i, le);
  if (expected !== b.length) {
    return new WireError('totempg.length_mismatch', HEADER_LEN, `lengths add up to ${expected} bytes, packet has ${b.length}`);
  }
  const fragmented = u8(b, FRAGMENTED);
  if (fragmented !== 0 && count === 0) {
    // corosync would index msg_lens[-1] here; nothing sane can follow.
    return new WireError('totempg.fragmented_empty', FRAGMENTED, `fragmented ${fragmented} with no messages`);
  }
  const messages: Uint8Array[] = new Array<Uint8Array>(count);
  let off = dataStart;
  for (let i = 0; i < count; i++) {
    const len = u16(b, HEADER_LEN + MSG_LEN_SIZE * i, le);
    messages[i] = b.subarray(off, off + len);
    off += len;
  }
  return {
    version: u16(b, VERSION, le),
    type: u16(b, TYPE, le),
    fragmented,
    continuation: u8(b, CONTINUATION),
    messages,
  };
}

export function totempgBufferLen(p: TotempgPacket): number {
  let n = HEADER_LEN + MSG_LEN_SIZE * p.messages.length;
  for (const m of p.messages) n += m.length;
  return n;
}

/** Writes the exact bytes corosync would send for `p` in the given byte order. */
export function emitTotempg(p: TotempgPacket, le: boolean): Uint8Array {
  const out = new Uint8Array(totempgBufferLen(p));
  putU16(out, VERSION, p.version, le);
  putU16(out, TYPE, p.type, le);
  putU8(out, FRAGMENTED, p.fragmented);
  putU8(out, CONTINUATION, p.continuation);
  putU16(out, MSG_COUNT, p.messages.length, le);
  let off = HEADER_LEN + MSG_LEN_SIZE * p.messages.length;
  p.messages.forEach((m, i) => {
    putU16(out, HEADER_LEN + MSG_LEN_SIZE * i, m.length, le);
    out.set(m, off);
    off += m.length;
  });
  return out;
}

/** What a packed message is within its packet. */
export type PieceKind = 'whole' | 'head' | 'continuation' | 'middle';

export function pieceKind(p: TotempgPacket, index: number): PieceKind {
  const first = index === 0 && p.continuation !== 0;
  const last = index === p.messages.length - 1 && p.fragmented !== 0;
  if (first && last) return 'middle';
  if (first) return 'continuation';
  if (last) return 'head';
  return 'whole';
}

/**
 * Field tree of the packet. `messageChildren(i)` lets the caller add the decoded group header and
 * service message of whole packed messages (the service layer lives elsewhere).
 */
export function totempgTree(p: TotempgPacket, messageChildren?: (index: number, piece: PieceKind) => readonly FieldNode[]): FieldNode {
  const kids: FieldNode[] = [
    node(F.version, p.version),
    node(F.type, p.type),
    node(F.fragmented, p.fragmented),
    node(F.continuation, p.continuation),
    node(F.msg_count, p.messages.length),
  ];
  p.messages.forEach((m, i) => {
    const piece = pieceKind(p, i);
    const sub: FieldNode[] = [node(F.msg_len, m.length), node(F.piece, piece)];
    if (messageChildren !== undefined) sub.push(...messageChildren(i, piece));
    else if (piece !== 'whole') sub.push(node(F.data, m));
    kids.push(node(F.message, undefined, sub));
  });
  return node(F[''], undefined, kids);
}

export function totempgSummary(p: TotempgPacket): string {
  let s = `totempg ${p.messages.length} msg`;
  if (p.continuation !== 0) s += ` cont ${p.continuation}`;
  if (p.fragmented !== 0) s += ` frag ${p.fragmented}`;
  return s;
}
