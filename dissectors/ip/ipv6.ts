/**
 * IPv6 header (RFC 8200 §3) and its extension-header chain (§4).
 *
 *   0 version/class/flow (4) | 4 payload length | 6 next header | 7 hop limit | 8 src(16) | 24 dst(16)
 *
 * Extension headers skipped: Hop-by-Hop (0), Routing (43), Destination Options (60), Mobility (135),
 * HIP (139), Shim6 (140) — all `(len + 1) * 8` bytes —, AH (51, `(len + 2) * 4` bytes) and Fragment
 * (44, 8 bytes, which stops the walk unless it is an atomic fragment, RFC 6946). The chain length
 * is bounded.
 */
import { defineFields, node, type FieldNode } from '../catalog.ts';
import { putU16, putU32, u16, u32 } from '../bytes.ts';
import { WireError, type Decoded } from '../errors.ts';
import { IP_PROTO_NAMES } from './ipv4.ts';

export const IPV6_VTF = 0;
export const IPV6_PAYLOAD_LEN = 4;
export const IPV6_NEXT_HEADER = 6;
export const IPV6_HOP_LIMIT = 7;
export const IPV6_SRC = 8;
export const IPV6_DST = 24;
export const IPV6_HEADER_LEN = 40;

export const IPV6_EXT_HOP_BY_HOP = 0;
export const IPV6_EXT_ROUTING = 43;
export const IPV6_EXT_FRAGMENT = 44;
export const IPV6_EXT_AH = 51;
export const IPV6_EXT_ESP = 50;
export const IPV6_NO_NEXT_HEADER = 59;
export const IPV6_EXT_DEST_OPTS = 60;
export const IPV6_EXT_MOBILITY = 135;
export const IPV6_EXT_HIP = 139;
export const IPV6_EXT_SHIM6 = 140;

// Fragment header (8 bytes): 0 next header | 1 reserved | 2 offset(13 bits)/res(2)/M(1) | 4 identification
export const FRAG_NEXT = 0;
export const FRAG_OFFSET_FLAGS = 2;
export const FRAG_ID = 4;
export const FRAG_HEADER_LEN = 8;

/** Default bound on the extension-header chain (real packets use one or two). */
export const DEFAULT_MAX_EXT_HEADERS = 8;

export type Ipv6ErrorCode =
  | 'ipv6.truncated'
  | 'ipv6.bad_version'
  | 'ipv6.bad_payload_length'
  | 'ipv6.ext_header_overrun'
  | 'ipv6.too_many_ext_headers'
  | 'ipv6.bad_fragment'
  | 'ip.captured_truncated';

/** Scratch filled by `ipv6Check` and `ipv6Walk`. */
export interface Ipv6Out {
  /** One past the last byte of the packet (payload length honoured). */
  end: number;
  hopLimit: number;
  /** After the walk: the upper-layer protocol (or 59 / 50 / an unknown value), and where it starts. */
  proto: number;
  offset: number;
  /** After the walk: a (non-atomic) Fragment header was met; the walk stopped after it. */
  fragment: boolean;
  fragOffset: number;
  more: boolean;
  fragId: number;
}

export function newIpv6Out(): Ipv6Out {
  return { end: 0, hopLimit: 0, proto: 0, offset: 0, fragment: false, fragOffset: 0, more: false, fragId: 0 };
}

export function ipv6Check(b: Uint8Array, off: number, frameEnd: number, cut: boolean, out: Ipv6Out): WireError<Ipv6ErrorCode> | undefined {
  const avail = frameEnd - off;
  if (avail < IPV6_HEADER_LEN) {
    return cut
      ? new WireError('ip.captured_truncated', off, `capture kept ${avail} bytes of the IPv6 header (snaplen)`)
      : new WireError('ipv6.truncated', off, `IPv6 header needs ${IPV6_HEADER_LEN} bytes, ${avail} left`);
  }
  if (b[off]! >>> 4 !== 6) return new WireError('ipv6.bad_version', off, `IP version ${b[off]! >>> 4} in an IPv6 packet`);
  const plen = u16(b, off + IPV6_PAYLOAD_LEN, false);
  if (IPV6_HEADER_LEN + plen > avail) {
    if (cut) return new WireError('ip.captured_truncated', off + IPV6_PAYLOAD_LEN, `IPv6 payload length ${plen} but the capture kept ${avail - IPV6_HEADER_LEN} bytes (snaplen)`);
    return new WireError('ipv6.bad_payload_length', off + IPV6_PAYLOAD_LEN, `IPv6 payload length ${plen} but only ${avail - IPV6_HEADER_LEN} bytes follow`);
  }
  out.end = off + IPV6_HEADER_LEN + plen;
  out.hopLimit = b[off + IPV6_HOP_LIMIT]!;
  return undefined;
}

/**
 * Walks the header chain starting with protocol `nh` at `b[p]`, up to `end`. Stops at the first
 * header that is not a skippable extension (the upper layer, ESP, No Next Header, unknown) or
 * after a non-atomic Fragment header (`out.fragment` set, `out.proto` = its next header,
 * `out.offset` = the fragmentable part).
 */
export function ipv6Walk(b: Uint8Array, p: number, end: number, nh: number, maxExt: number, out: Ipv6Out): WireError<Ipv6ErrorCode> | undefined {
  out.fragment = false;
  for (let count = 0; ; count++) {
    let len: number;
    switch (nh) {
      case IPV6_EXT_HOP_BY_HOP:
      case IPV6_EXT_ROUTING:
      case IPV6_EXT_DEST_OPTS:
      case IPV6_EXT_MOBILITY:
      case IPV6_EXT_HIP:
      case IPV6_EXT_SHIM6:
        if (end - p < 2) return new WireError('ipv6.ext_header_overrun', p, `extension header ${nh} needs 2 bytes, ${end - p} left`);
        len = (b[p + 1]! + 1) * 8;
        break;
      case IPV6_EXT_AH:
        if (end - p < 2) return new WireError('ipv6.ext_header_overrun', p, `AH header needs 2 bytes, ${end - p} left`);
        len = (b[p + 1]! + 2) * 4;
        break;
      case IPV6_EXT_FRAGMENT:
        len = FRAG_HEADER_LEN;
        break;
      default:
        out.proto = nh;
        out.offset = p;
        return undefined;
    }
    if (count >= maxExt) return new WireError('ipv6.too_many_ext_headers', p, `more than ${maxExt} IPv6 extension headers`);
    if (p + len > end) return new WireError('ipv6.ext_header_overrun', p, `extension header ${nh} of ${len} bytes runs past the packet end (${end - p} bytes left)`);
    if (nh === IPV6_EXT_FRAGMENT) {
      const of = u16(b, p + FRAG_OFFSET_FLAGS, false);
      const fragOffset = of & 0xfff8;
      const more = (of & 1) !== 0;
      if (fragOffset !== 0 || more) {
        out.fragment = true;
        out.fragOffset = fragOffset;
        out.more = more;
        out.fragId = u32(b, p + FRAG_ID, false);
        out.proto = b[p + FRAG_NEXT]!;
        out.offset = p + FRAG_HEADER_LEN;
        return undefined;
      }
      // Atomic fragment (offset 0, M = 0): just a header to skip (RFC 6946).
    }
    nh = b[p]!;
    p += len;
  }
}

export interface Ipv6ExtHeader {
  readonly type: number;
  readonly offset: number;
  readonly length: number;
}

export interface Ipv6Header {
  readonly trafficClass: number;
  readonly flowLabel: number;
  readonly payloadLength: number;
  readonly nextHeader: number;
  readonly hopLimit: number;
  readonly src: Uint8Array;
  readonly dst: Uint8Array;
  readonly extHeaders: readonly Ipv6ExtHeader[];
  /** Set when a Fragment header was met. */
  readonly fragment?: { readonly offset: number; readonly more: boolean; readonly id: number; readonly next: number };
}

export function parseIpv6(b: Uint8Array, cut = false, maxExt = DEFAULT_MAX_EXT_HEADERS): Decoded<Ipv6Header, Ipv6ErrorCode> {
  const out = newIpv6Out();
  const err = ipv6Check(b, 0, b.length, cut, out);
  if (err) return err;
  const w = ipv6Walk(b, IPV6_HEADER_LEN, out.end, b[IPV6_NEXT_HEADER]!, maxExt, out);
  if (w) return w;
  // Re-walk to list the headers met (bounded by the successful walk above).
  const ext: Ipv6ExtHeader[] = [];
  let nh = b[IPV6_NEXT_HEADER]!;
  let p = IPV6_HEADER_LEN;
  while (p < out.offset) {
    const len = nh === IPV6_EXT_FRAGMENT ? FRAG_HEADER_LEN : nh === IPV6_EXT_AH ? (b[p + 1]! + 2) * 4 : (b[p + 1]! + 1) * 8;
    ext.push({ type: nh, offset: p, length: len });
    nh = b[p]!;
    p += len;
  }
  const vtf = u32(b, IPV6_VTF, false);
  const h: { -readonly [K in keyof Ipv6Header]: Ipv6Header[K] } = {
    trafficClass: (vtf >>> 20) & 0xff,
    flowLabel: vtf & 0xfffff,
    payloadLength: u16(b, IPV6_PAYLOAD_LEN, false),
    nextHeader: b[IPV6_NEXT_HEADER]!,
    hopLimit: out.hopLimit,
    src: b.subarray(IPV6_SRC, IPV6_SRC + 16),
    dst: b.subarray(IPV6_DST, IPV6_DST + 16),
    extHeaders: ext,
  };
  if (out.fragment) h.fragment = { offset: out.fragOffset, more: out.more, id: out.fragId, next: out.proto };
  return h;
}

export interface Ipv6Emit {
  readonly trafficClass?: number;
  readonly flowLabel?: number;
  readonly payloadLength: number;
  readonly nextHeader: number;
  readonly hopLimit: number;
  readonly src: Uint8Array;
  readonly dst: Uint8Array;
}

/** Writes the 40-byte fixed header at b[off]; returns 40. */
export function emitIpv6(h: Ipv6Emit, b: Uint8Array, off = 0): number {
  putU32(b, off + IPV6_VTF, (6 * 0x10000000 + (((h.trafficClass ?? 0) & 0xff) << 20)) | ((h.flowLabel ?? 0) & 0xfffff), false);
  putU16(b, off + IPV6_PAYLOAD_LEN, h.payloadLength, false);
  b[off + IPV6_NEXT_HEADER] = h.nextHeader;
  b[off + IPV6_HOP_LIMIT] = h.hopLimit;
  b.set(h.src.subarray(0, 16), off + IPV6_SRC);
  b.set(h.dst.subarray(0, 16), off + IPV6_DST);
  return IPV6_HEADER_LEN;
}

/** Writes an 8-byte Fragment header at b[off]; returns 8. */
export function emitIpv6Fragment(next: number, fragOffset: number, more: boolean, id: number, b: Uint8Array, off = 0): number {
  b[off + FRAG_NEXT] = next;
  b[off + 1] = 0;
  putU16(b, off + FRAG_OFFSET_FLAGS, (fragOffset & 0xfff8) | (more ? 1 : 0), false);
  putU32(b, off + FRAG_ID, id, false);
  return FRAG_HEADER_LEN;
}

/** RFC 5952 text form: lower case, no leading zeros, the longest run (>= 2) of zero groups as `::`. */
export function formatIpv6(b: Uint8Array, off = 0): string {
  // IPv4-mapped ::ffff:a.b.c.d (RFC 5952 §5)
  let mapped = b[off + 10] === 0xff && b[off + 11] === 0xff;
  for (let i = 0; mapped && i < 10; i++) if (b[off + i] !== 0) mapped = false;
  if (mapped) return `::ffff:${b[off + 12]}.${b[off + 13]}.${b[off + 14]}.${b[off + 15]}`;
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (b[off + 2 * i] === 0 && b[off + 2 * i + 1] === 0) {
      let j = i;
      while (j < 8 && b[off + 2 * j] === 0 && b[off + 2 * j + 1] === 0) j++;
      if (j - i > bestLen) {
        bestStart = i;
        bestLen = j - i;
      }
      i = j;
    } else i++;
  }
  let s = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      s += '::';
      i += bestLen - 1;
      continue;
    }
    if (s !== '' && !s.endsWith(':')) s += ':';
    s += ((b[off + 2 * i]! << 8) | b[off + 2 * i + 1]!).toString(16);
  }
  return s;
}

export const IPV6_FIELDS = defineFields('ipv6', {
  '': { type: 'none', label: 'Internet Protocol Version 6', description: 'IPv6 header (RFC 8200).' },
  version: { type: 'u8', label: 'Version', description: 'IP version, 6.' },
  tclass: { type: 'u8', label: 'Traffic class', hex: true, description: 'DSCP and ECN bits.' },
  flow: { type: 'u32', label: 'Flow label', hex: true, description: '20-bit flow label.' },
  plen: { type: 'u16', label: 'Payload length', description: 'Length after the fixed 40-byte header, extension headers included.' },
  nxt: { type: 'u8', label: 'Next header', values: IP_PROTO_NAMES, description: 'Protocol of the header after the fixed header.' },
  hlim: { type: 'u8', label: 'Hop limit', description: 'Remaining hop count.' },
  src: { type: 'ipv6', label: 'Source address', description: 'Source IPv6 address.' },
  dst: { type: 'ipv6', label: 'Destination address', description: 'Destination IPv6 address.' },
  ext_header: { type: 'u8', label: 'Extension header', values: IP_PROTO_NAMES, description: 'Type of one extension header in the chain (length in the note).' },
  'fragment.offset': { type: 'u16', label: 'Fragment offset', description: 'Offset of this fragment in the fragmentable part, in bytes.' },
  'fragment.more': { type: 'bool', label: 'More fragments', description: 'M flag: further fragments follow.' },
  'fragment.id': { type: 'u32', label: 'Identification', hex: true, description: 'Identifier shared by all fragments of one packet.' },
  'fragment.nxt': { type: 'u8', label: 'Next header', values: IP_PROTO_NAMES, description: 'First header of the fragmentable part.' },
});

export function ipv6Tree(h: Ipv6Header): FieldNode {
  const children: FieldNode[] = [
    node(IPV6_FIELDS.version, 6),
    node(IPV6_FIELDS.tclass, h.trafficClass),
    node(IPV6_FIELDS.flow, h.flowLabel),
    node(IPV6_FIELDS.plen, h.payloadLength),
    node(IPV6_FIELDS.nxt, h.nextHeader),
    node(IPV6_FIELDS.hlim, h.hopLimit),
    node(IPV6_FIELDS.src, formatIpv6(h.src)),
    node(IPV6_FIELDS.dst, formatIpv6(h.dst)),
  ];
  for (const e of h.extHeaders) {
    if (e.type === IPV6_EXT_FRAGMENT && h.fragment) {
      children.push(
        node(IPV6_FIELDS.ext_header, e.type, [
          node(IPV6_FIELDS['fragment.nxt'], h.fragment.next),
          node(IPV6_FIELDS['fragment.offset'], h.fragment.offset),
          node(IPV6_FIELDS['fragment.more'], h.fragment.more),
          node(IPV6_FIELDS['fragment.id'], h.fragment.id),
        ]),
      );
    } else children.push(node(IPV6_FIELDS.ext_header, e.type, undefined, `${e.length} bytes`));
  }
  return node(IPV6_FIELDS[''], undefined, children);
}
