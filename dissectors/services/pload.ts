/**
 * pload exec messages (wire-format.md §5.2; CS3 exec/pload.c): start = header | msg_count u32 @16 |
 * msg_size u32 @20 → 24; mcast = header + (msg_size − 16) filler bytes.
 */
import { u32, putU32 } from '../bytes.ts';
import { node, type FieldNode } from '../catalog.ts';
import { WireError, type Decoded } from '../errors.ts';
import { PLOAD_FIELDS as F } from './fields.ts';
import { emitRequestHeader, REQUEST_HEADER_LEN } from './header.ts';
import type { PloadMessage, RequestHeader } from './types.ts';

export const PloadFn = { START: 0, MCAST: 1 } as const;
export const START_MSG_COUNT = 16;
export const START_MSG_SIZE = 20;
export const START_LEN = 24;

export type PloadErrorCode = 'pload.short' | 'pload.unknown_type';

export function parsePload(b: Uint8Array, h: RequestHeader, le: boolean): Decoded<PloadMessage, PloadErrorCode> {
  if (h.fn === PloadFn.START) {
    if (b.length < START_LEN) return new WireError('pload.short', 0, `pload start needs ${START_LEN} bytes, message has ${b.length}`);
    return { service: 'pload', type: 'start', header: h, msgCount: u32(b, START_MSG_COUNT, le), msgSize: u32(b, START_MSG_SIZE, le), trailer: b.subarray(START_LEN) };
  }
  if (h.fn === PloadFn.MCAST) {
    return { service: 'pload', type: 'mcast', header: h, fillerLen: b.length - REQUEST_HEADER_LEN, trailer: b.subarray(b.length) };
  }
  return new WireError('pload.unknown_type', 0, `unknown pload exec function ${h.fn}`);
}

export function emitPload(m: PloadMessage, le: boolean): Uint8Array {
  const out = new Uint8Array((m.type === 'start' ? START_LEN : REQUEST_HEADER_LEN + m.fillerLen) + m.trailer.length);
  emitRequestHeader(m.header, out, le);
  if (m.type === 'start') {
    putU32(out, START_MSG_COUNT, m.msgCount, le);
    putU32(out, START_MSG_SIZE, m.msgSize, le);
    out.set(m.trailer, START_LEN);
  }
  return out;
}

export function ploadTree(m: PloadMessage): FieldNode {
  const kids: FieldNode[] = [node(F.type, m.header.fn)];
  if (m.type === 'start') kids.push(node(F.msg_count, m.msgCount), node(F.msg_size, m.msgSize));
  else kids.push(node(F.filler_len, m.fillerLen));
  return node(F[''], undefined, kids);
}

export function ploadSummary(m: PloadMessage): string {
  return m.type === 'start' ? `pload start ${m.msgCount} messages of ${m.msgSize} bytes` : `pload mcast ${m.fillerLen} filler bytes`;
}
