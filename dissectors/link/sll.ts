/**
 * Linux "cooked" capture headers, written by `tcpdump -i any` / `dumpcap -i any`.
 *
 * LINKTYPE_LINUX_SLL (113), 16 bytes, all big-endian:
 *   0 pkttype(2) | 2 hatype(2) | 4 halen(2) | 6 addr(8) | 14 protocol(2)
 * LINKTYPE_LINUX_SLL2 (276), 20 bytes:
 *   0 protocol(2) | 2 reserved(2) | 4 ifindex(4) | 8 hatype(2) | 10 pkttype(1) | 11 halen(1) | 12 addr(8)
 *
 * `protocol` is an EtherType for ordinary devices; small values (1 Novell 802.3, 4 802.2 LLC, ...)
 * and netlink devices (hatype 824) carry no IP.
 */
import { defineFields, node, type FieldNode } from '../catalog.ts';
import { putU16, putU32, u16, u32 } from '../bytes.ts';
import { WireError, type Decoded } from '../errors.ts';
import { ETHERTYPE_NAMES, formatMac } from './ethernet.ts';

export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_LINUX_SLL2 = 276;

export const SLL_PKTTYPE = 0;
export const SLL_HATYPE = 2;
export const SLL_HALEN = 4;
export const SLL_ADDR = 6;
export const SLL_PROTOCOL = 14;
export const SLL_HEADER_LEN = 16;

export const SLL2_PROTOCOL = 0;
export const SLL2_RESERVED = 2;
export const SLL2_IFINDEX = 4;
export const SLL2_HATYPE = 8;
export const SLL2_PKTTYPE = 10;
export const SLL2_HALEN = 11;
export const SLL2_ADDR = 12;
export const SLL2_HEADER_LEN = 20;

export const SLL_ADDR_LEN = 8;
export const ARPHRD_ETHER = 1;
export const ARPHRD_NETLINK = 824;

export const SLL_PKTTYPE_NAMES: Readonly<Record<number, string>> = {
  0: 'Unicast to us',
  1: 'Broadcast',
  2: 'Multicast',
  3: 'Unicast to another host',
  4: 'Sent by us',
};

export type SllErrorCode = 'sll.truncated' | 'sll2.truncated';

export interface SllHeader {
  /** 1 for SLL (113), 2 for SLL2 (276). */
  readonly version: 1 | 2;
  readonly pktType: number;
  readonly haType: number;
  /** Link-layer address length as sent (may exceed 8; only 8 bytes are stored). */
  readonly haLen: number;
  readonly addr: Uint8Array;
  readonly protocol: number;
  /** SLL2 only (0 for SLL). */
  readonly ifIndex: number;
  readonly payloadOffset: number;
}

/** Payload type and offset of the frame in b[start, end); offsets in `b`. */
export function sllPayload(b: Uint8Array, start: number, end: number, out: { etherType: number; offset: number }): WireError<SllErrorCode> | undefined {
  if (end - start < SLL_HEADER_LEN) return new WireError('sll.truncated', start, `Linux cooked (SLL) header needs ${SLL_HEADER_LEN} bytes, frame has ${end - start}`);
  out.etherType = u16(b, start + SLL_HATYPE, false) === ARPHRD_NETLINK ? -1 : u16(b, start + SLL_PROTOCOL, false);
  out.offset = start + SLL_HEADER_LEN;
  return undefined;
}

export function sll2Payload(b: Uint8Array, start: number, end: number, out: { etherType: number; offset: number }): WireError<SllErrorCode> | undefined {
  if (end - start < SLL2_HEADER_LEN) return new WireError('sll2.truncated', start, `Linux cooked v2 (SLL2) header needs ${SLL2_HEADER_LEN} bytes, frame has ${end - start}`);
  out.etherType = u16(b, start + SLL2_HATYPE, false) === ARPHRD_NETLINK ? -1 : u16(b, start + SLL2_PROTOCOL, false);
  out.offset = start + SLL2_HEADER_LEN;
  return undefined;
}

export function parseSll(b: Uint8Array): Decoded<SllHeader, SllErrorCode> {
  const out = { etherType: 0, offset: 0 };
  const err = sllPayload(b, 0, b.length, out);
  if (err) return err;
  return {
    version: 1,
    pktType: u16(b, SLL_PKTTYPE, false),
    haType: u16(b, SLL_HATYPE, false),
    haLen: u16(b, SLL_HALEN, false),
    addr: b.subarray(SLL_ADDR, SLL_ADDR + SLL_ADDR_LEN),
    protocol: u16(b, SLL_PROTOCOL, false),
    ifIndex: 0,
    payloadOffset: SLL_HEADER_LEN,
  };
}

export function parseSll2(b: Uint8Array): Decoded<SllHeader, SllErrorCode> {
  const out = { etherType: 0, offset: 0 };
  const err = sll2Payload(b, 0, b.length, out);
  if (err) return err;
  return {
    version: 2,
    pktType: b[SLL2_PKTTYPE]!,
    haType: u16(b, SLL2_HATYPE, false),
    haLen: b[SLL2_HALEN]!,
    addr: b.subarray(SLL2_ADDR, SLL2_ADDR + SLL_ADDR_LEN),
    protocol: u16(b, SLL2_PROTOCOL, false),
    ifIndex: u32(b, SLL2_IFINDEX, false),
    payloadOffset: SLL2_HEADER_LEN,
  };
}

/** Writes an SLL (version 1) or SLL2 header at the start of `b`; returns its length. */
export function emitSll(h: Omit<SllHeader, 'payloadOffset'>, b: Uint8Array): number {
  const addr = new Uint8Array(SLL_ADDR_LEN);
  addr.set(h.addr.subarray(0, SLL_ADDR_LEN));
  if (h.version === 1) {
    putU16(b, SLL_PKTTYPE, h.pktType, false);
    putU16(b, SLL_HATYPE, h.haType, false);
    putU16(b, SLL_HALEN, h.haLen, false);
    b.set(addr, SLL_ADDR);
    putU16(b, SLL_PROTOCOL, h.protocol, false);
    return SLL_HEADER_LEN;
  }
  putU16(b, SLL2_PROTOCOL, h.protocol, false);
  putU16(b, SLL2_RESERVED, 0, false);
  putU32(b, SLL2_IFINDEX, h.ifIndex, false);
  putU16(b, SLL2_HATYPE, h.haType, false);
  b[SLL2_PKTTYPE] = h.pktType & 0xff;
  b[SLL2_HALEN] = h.haLen & 0xff;
  b.set(addr, SLL2_ADDR);
  return SLL2_HEADER_LEN;
}

export const SLL_FIELDS = defineFields('sll', {
  '': { type: 'none', label: 'Linux cooked capture', description: 'Linux cooked capture header: LINKTYPE_LINUX_SLL (v1) or LINKTYPE_LINUX_SLL2 (v2).' },
  pkttype: { type: 'u16', label: 'Packet type', values: SLL_PKTTYPE_NAMES, description: 'Direction/kind as the kernel saw it (PACKET_HOST, PACKET_OUTGOING, ...).' },
  hatype: { type: 'u16', label: 'Link-layer address type', description: 'ARPHRD_* type of the device (1 Ethernet, 772 loopback, 824 netlink).' },
  halen: { type: 'u16', label: 'Link-layer address length', description: 'Length of the link-layer address as reported (only 8 bytes are kept).' },
  'src.eth': { type: 'ether', label: 'Source', description: 'Link-layer source address (Ethernet devices).' },
  'src.unknown': { type: 'bytes', label: 'Source', description: 'Link-layer source address bytes (non-Ethernet devices).' },
  etype: { type: 'u16', label: 'Protocol', hex: true, values: ETHERTYPE_NAMES, description: 'EtherType of the payload (or a small Linux protocol number for non-Ethernet payloads).' },
  ifindex: { type: 'u32', label: 'Interface index', description: 'SLL2 only: index of the interface the packet was seen on.' },
});

export function sllTree(h: SllHeader): FieldNode {
  const children: FieldNode[] = [node(SLL_FIELDS.pkttype, h.pktType), node(SLL_FIELDS.hatype, h.haType), node(SLL_FIELDS.halen, h.haLen)];
  if (h.version === 2) children.splice(0, 0, node(SLL_FIELDS.ifindex, h.ifIndex));
  const alen = Math.min(h.haLen, SLL_ADDR_LEN);
  if (h.haType === ARPHRD_ETHER && alen === 6) children.push(node(SLL_FIELDS['src.eth'], formatMac(h.addr.subarray(0, 6))));
  else if (alen > 0) children.push(node(SLL_FIELDS['src.unknown'], h.addr.subarray(0, alen)));
  children.push(node(SLL_FIELDS.etype, h.protocol));
  return node(SLL_FIELDS[''], undefined, children, h.version === 2 ? 'v2' : 'v1');
}
