/**
 * cmap exec message (wire-format.md §5.2; CS3 exec/cmap.c `struct req_exec_cmap_mcast`,
 * `cmap_mcast_send`): header | reason u8 @16 | no_items u8 @24 | reserved @32, @40 → 48 bytes,
 * then no_items items, each `mar_name_t key (u16 length @0, value[256] @8) | value_type u8 @264 |
 * value_len u64 @272 | value @280`, padded to a multiple of 8.
 */
import { u8, u16, u64, putU16, putU64, putU8 } from '../bytes.ts';
import { node, type FieldNode } from '../catalog.ts';
import { WireError, type Decoded } from '../errors.ts';
import { CMAP_FIELDS as F, CMAP_REASONS, CMAP_VALUE_TYPES } from './fields.ts';
import { emitRequestHeader } from './header.ts';
import type { CmapItem, CmapMessage, RequestHeader } from './types.ts';

export const CmapFn = { MCAST: 0 } as const;

export const REASON = 16;
export const NO_ITEMS = 24;
export const MCAST_LEN = 48;
const KEY_LENGTH = 0;
const KEY_VALUE = 8;
/** CS_MAX_NAME_LENGTH */
export const KEY_MAX = 256;
const VALUE_TYPE = 264;
const VALUE_LEN = 272;
export const ITEM_VALUE = 280;
/** MAX_REQ_EXEC_CMAP_MCAST_ITEMS */
export const MAX_ITEMS = 32;

export type CmapErrorCode = 'cmap.short' | 'cmap.items' | 'cmap.key_length' | 'cmap.value_len' | 'cmap.unknown_type';

const align8 = (n: number): number => (n + 7) & ~7;

function latin1(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]!);
  return s;
}

export function parseCmap(b: Uint8Array, h: RequestHeader, le: boolean): Decoded<CmapMessage, CmapErrorCode> {
  if (h.fn !== CmapFn.MCAST) return new WireError('cmap.unknown_type', 0, `unknown cmap exec function ${h.fn}`);
  if (b.length < MCAST_LEN) return new WireError('cmap.short', 0, `cmap mcast needs ${MCAST_LEN} bytes, message has ${b.length}`);
  const count = u8(b, NO_ITEMS);
  if (count > MAX_ITEMS) return new WireError('cmap.items', NO_ITEMS, `no_items ${count} exceeds ${MAX_ITEMS}`);
  const items: CmapItem[] = [];
  let at = MCAST_LEN;
  for (let i = 0; i < count; i++) {
    if (b.length - at < ITEM_VALUE) return new WireError('cmap.short', at, `cmap item ${i} needs ${ITEM_VALUE} bytes, ${b.length - at} left`);
    const keyLen = u16(b, at + KEY_LENGTH, le);
    if (keyLen > KEY_MAX) return new WireError('cmap.key_length', at + KEY_LENGTH, `key length ${keyLen} exceeds ${KEY_MAX}`);
    const valueLen = u64(b, at + VALUE_LEN, le);
    if (valueLen > BigInt(b.length - at - ITEM_VALUE)) {
      return new WireError('cmap.value_len', at + VALUE_LEN, `value_len ${valueLen} exceeds the ${b.length - at - ITEM_VALUE} bytes left`);
    }
    const vlen = Number(valueLen);
    let key = latin1(b.subarray(at + KEY_VALUE, at + KEY_VALUE + keyLen));
    const nul = key.indexOf('\0');
    if (nul >= 0) key = key.slice(0, nul);
    items.push({ key, valueType: u8(b, at + VALUE_TYPE), valueLen, value: b.subarray(at + ITEM_VALUE, at + ITEM_VALUE + vlen) });
    at = Math.min(b.length, at + align8(ITEM_VALUE + vlen));
  }
  return { service: 'cmap', type: 'mcast', header: h, reason: u8(b, REASON), items, trailer: b.subarray(at) };
}

export function emitCmap(m: CmapMessage, le: boolean): Uint8Array {
  let len = MCAST_LEN;
  for (const it of m.items) len += align8(ITEM_VALUE + it.value.length);
  const out = new Uint8Array(len + m.trailer.length);
  emitRequestHeader(m.header, out, le);
  putU8(out, REASON, m.reason);
  putU8(out, NO_ITEMS, m.items.length);
  let at = MCAST_LEN;
  for (const it of m.items) {
    putU16(out, at + KEY_LENGTH, it.key.length, le);
    for (let i = 0; i < it.key.length; i++) out[at + KEY_VALUE + i] = it.key.charCodeAt(i) & 0xff;
    putU8(out, at + VALUE_TYPE, it.valueType);
    putU64(out, at + VALUE_LEN, it.valueLen, le);
    out.set(it.value, at + ITEM_VALUE);
    at += align8(ITEM_VALUE + it.value.length);
  }
  out.set(m.trailer, at);
  return out;
}

/** Renders an item value by its icmap type (sender byte order). */
export function cmapValueText(it: CmapItem, le: boolean): string {
  const v = it.value;
  const n = v.length;
  const dv = new DataView(v.buffer, v.byteOffset, n);
  switch (it.valueType) {
    case 0:
      return '(not set)';
    case 1: return n >= 1 ? String(dv.getInt8(0)) : '';
    case 2: return n >= 1 ? String(dv.getUint8(0)) : '';
    case 3: return n >= 2 ? String(dv.getInt16(0, le)) : '';
    case 4: return n >= 2 ? String(dv.getUint16(0, le)) : '';
    case 5: return n >= 4 ? String(dv.getInt32(0, le)) : '';
    case 6: return n >= 4 ? String(dv.getUint32(0, le)) : '';
    case 7: return n >= 8 ? String(dv.getBigInt64(0, le)) : '';
    case 8: return n >= 8 ? String(dv.getBigUint64(0, le)) : '';
    case 9: return n >= 4 ? String(dv.getFloat32(0, le)) : '';
    case 10: return n >= 8 ? String(dv.getFloat64(0, le)) : '';
    case 11: {
      const s = latin1(v);
      const nul = s.indexOf('\0');
      return nul >= 0 ? s.slice(0, nul) : s;
    }
    default: {
      let h = '';
      for (let i = 0; i < n && i < 64; i++) h += (v[i]! < 16 ? '0' : '') + v[i]!.toString(16);
      return n > 64 ? h + '…' : h;
    }
  }
}

export function cmapTree(m: CmapMessage, le: boolean): FieldNode {
  const kids: FieldNode[] = [node(F.type, m.header.fn), node(F.reason, m.reason), node(F.no_items, m.items.length)];
  for (const it of m.items) {
    kids.push(node(F.item, undefined, [node(F.key, it.key), node(F.value_type, it.valueType), node(F.value_len, it.valueLen), node(F.value, cmapValueText(it, le))]));
  }
  return node(F[''], undefined, kids);
}

export function cmapSummary(m: CmapMessage, le: boolean): string {
  const items = m.items.map((it) => `${it.key}=${cmapValueText(it, le)}`).join(' ');
  return `cmap mcast ${CMAP_REASONS[m.reason] ?? `reason ${m.reason}`} ${m.items.length} item${m.items.length === 1 ? '' : 's'}${items ? ': ' + items : ''}`;
}

export { CMAP_VALUE_TYPES };
