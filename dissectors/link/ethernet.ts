/**
 * Ethernet II header with 802.1Q / 802.1ad (QinQ) tags — LINKTYPE_ETHERNET (1).
 *
 *   0 dst(6) | 6 src(6) | 12 type/TPID(2) [| TCI(2) | type/TPID(2)]* | payload
 *
 * A type below 0x0600 is an 802.3 length (LLC frame): not IP, reported as such by the caller.
 */
import { defineFields, node, type FieldNode } from '../catalog.ts';
import { putU16, u16 } from '../bytes.ts';
import { WireError, type Decoded } from '../errors.ts';

export const ETH_DST = 0;
export const ETH_SRC = 6;
export const ETH_TYPE = 12;
export const ETH_HEADER_LEN = 14;
export const VLAN_TAG_LEN = 4;
/** More nested tags than this is not a real frame (QinQ uses 2). */
export const MAX_VLAN_TAGS = 4;

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_IPV6 = 0x86dd;
export const ETHERTYPE_VLAN = 0x8100;
export const ETHERTYPE_QINQ = 0x88a8;
export const ETHERTYPE_QINQ_OLD = 0x9100;
/** Values below this are 802.3 lengths, not types. */
export const ETHERTYPE_MIN = 0x0600;

export const ETHERTYPE_NAMES: Readonly<Record<number, string>> = {
  0x0800: 'IPv4',
  0x0806: 'ARP',
  0x86dd: 'IPv6',
  0x8100: '802.1Q',
  0x88a8: '802.1ad',
  0x9100: 'QinQ (old)',
  0x88cc: 'LLDP',
  0x8035: 'RARP',
};

export type EthernetErrorCode = 'eth.truncated' | 'vlan.truncated' | 'vlan.too_many_tags';

export function isVlanTpid(t: number): boolean {
  return t === ETHERTYPE_VLAN || t === ETHERTYPE_QINQ || t === ETHERTYPE_QINQ_OLD;
}

export interface VlanTag {
  readonly tpid: number;
  readonly priority: number;
  readonly dei: boolean;
  readonly id: number;
  /** The type following this tag (vlan.etype). */
  readonly etherType: number;
}

export interface EthernetHeader {
  readonly dst: Uint8Array;
  readonly src: Uint8Array;
  /** Outermost tags first. */
  readonly vlans: readonly VlanTag[];
  /** The type field at offset 12 (eth.type): the outer TPID when tagged. */
  readonly typeField: number;
  /** The type after the last tag (or an 802.3 length when < 0x0600). */
  readonly etherType: number;
  readonly payloadOffset: number;
}

/**
 * Hot path: the inner ether type and payload offset of the frame in b[start, end), without building
 * a header object. Writes `out` (offset in `b`) and returns undefined, or returns the error (offset
 * in `b`).
 */
export function ethernetPayload(b: Uint8Array, start: number, end: number, out: { etherType: number; offset: number }): WireError<EthernetErrorCode> | undefined {
  if (end - start < ETH_HEADER_LEN) {
    return new WireError('eth.truncated', start, `Ethernet header needs ${ETH_HEADER_LEN} bytes, frame has ${end - start}`);
  }
  let type = u16(b, start + ETH_TYPE, false);
  let off = start + ETH_HEADER_LEN;
  let tags = 0;
  while (isVlanTpid(type)) {
    if (++tags > MAX_VLAN_TAGS) return new WireError('vlan.too_many_tags', off - 2, `more than ${MAX_VLAN_TAGS} nested VLAN tags`);
    if (end < off + VLAN_TAG_LEN) {
      return new WireError('vlan.truncated', off, `VLAN tag needs ${VLAN_TAG_LEN} bytes at ${off - start}, frame has ${end - start}`);
    }
    type = u16(b, off + 2, false);
    off += VLAN_TAG_LEN;
  }
  out.etherType = type;
  out.offset = off;
  return undefined;
}

export function parseEthernet(b: Uint8Array): Decoded<EthernetHeader, EthernetErrorCode> {
  const out = { etherType: 0, offset: 0 };
  const err = ethernetPayload(b, 0, b.length, out);
  if (err) return err;
  const vlans: VlanTag[] = [];
  for (let o = ETH_HEADER_LEN; o < out.offset; o += VLAN_TAG_LEN) {
    const tci = u16(b, o, false);
    vlans.push({ tpid: u16(b, o - 2, false), priority: tci >>> 13, dei: (tci & 0x1000) !== 0, id: tci & 0x0fff, etherType: u16(b, o + 2, false) });
  }
  return {
    dst: b.subarray(ETH_DST, ETH_DST + 6),
    src: b.subarray(ETH_SRC, ETH_SRC + 6),
    vlans,
    typeField: u16(b, ETH_TYPE, false),
    etherType: out.etherType,
    payloadOffset: out.offset,
  };
}

/** Writes the header (with its tags) at the start of `b`; returns its length. */
export function emitEthernet(h: Pick<EthernetHeader, 'dst' | 'src' | 'etherType'> & { readonly vlans: readonly Omit<VlanTag, 'etherType'>[] }, b: Uint8Array): number {
  b.set(h.dst.subarray(0, 6), ETH_DST);
  b.set(h.src.subarray(0, 6), ETH_SRC);
  let off = ETH_TYPE;
  for (const t of h.vlans) {
    putU16(b, off, t.tpid, false);
    putU16(b, off + 2, ((t.priority & 7) << 13) | (t.dei ? 0x1000 : 0) | (t.id & 0xfff), false);
    off += VLAN_TAG_LEN;
  }
  putU16(b, off, h.etherType, false);
  return off + 2;
}

export function formatMac(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += (i ? ':' : '') + (b[i]! < 16 ? '0' : '') + b[i]!.toString(16);
  return s;
}

export const ETH_FIELDS = defineFields('eth', {
  '': { type: 'none', label: 'Ethernet II', description: 'Ethernet II header (LINKTYPE_ETHERNET).' },
  dst: { type: 'ether', label: 'Destination', description: 'Destination MAC address.' },
  src: { type: 'ether', label: 'Source', description: 'Source MAC address.' },
  type: { type: 'u16', label: 'Type', hex: true, values: ETHERTYPE_NAMES, description: 'EtherType at offset 12: the payload type, or the outer tag TPID when the frame is VLAN-tagged.' },
});

export const VLAN_FIELDS = defineFields('vlan', {
  '': { type: 'none', label: '802.1Q Virtual LAN', description: 'One 802.1Q / 802.1ad tag.' },
  tpid: { type: 'u16', label: 'TPID', hex: true, values: ETHERTYPE_NAMES, description: 'Tag protocol identifier: 0x8100 (802.1Q), 0x88a8 (802.1ad), 0x9100 (old QinQ).' },
  priority: { type: 'u8', label: 'Priority', description: 'Priority code point (PCP), 3 bits.' },
  dei: { type: 'bool', label: 'DEI', description: 'Drop eligible indicator.' },
  id: { type: 'u16', label: 'ID', description: 'VLAN identifier, 12 bits.' },
  etype: { type: 'u16', label: 'Type', hex: true, values: ETHERTYPE_NAMES, description: 'EtherType following this tag.' },
});

/** The Ethernet node, then one node per VLAN tag (siblings, as Wireshark shows them). */
export function ethernetTree(h: EthernetHeader): FieldNode[] {
  const out: FieldNode[] = [
    node(ETH_FIELDS[''], undefined, [node(ETH_FIELDS.dst, formatMac(h.dst)), node(ETH_FIELDS.src, formatMac(h.src)), node(ETH_FIELDS.type, h.typeField)]),
  ];
  for (const t of h.vlans) {
    out.push(
      node(VLAN_FIELDS[''], undefined, [
        node(VLAN_FIELDS.tpid, t.tpid),
        node(VLAN_FIELDS.priority, t.priority),
        node(VLAN_FIELDS.dei, t.dei),
        node(VLAN_FIELDS.id, t.id),
        node(VLAN_FIELDS.etype, t.etherType),
      ]),
    );
  }
  return out;
}
