/**
 * IPv4 header (RFC 791). Offsets from the start of the IP header:
 *
 *   0 version/IHL | 1 DSCP/ECN | 2 total length | 4 id | 6 flags/fragment offset | 8 TTL |
 *   9 protocol | 10 checksum | 12 src | 16 dst | 20 options (IHL*4 - 20)
 *
 * `ipv4Check` is the allocation-free hot path used by the NetDecoder; `parseIpv4` builds the value
 * for trees and tests; `emitIpv4` writes a header (checksum computed) for tests and tools.
 */
import { defineFields, node, type FieldNode } from '../catalog.ts';
import { putU16, u16 } from '../bytes.ts';
import { WireError, type Decoded } from '../errors.ts';

export const IPV4_VER_IHL = 0;
export const IPV4_TOS = 1;
export const IPV4_TOTAL_LEN = 2;
export const IPV4_ID = 4;
export const IPV4_FLAGS_FRAG = 6;
export const IPV4_TTL = 8;
export const IPV4_PROTO = 9;
export const IPV4_CHECKSUM = 10;
export const IPV4_SRC = 12;
export const IPV4_DST = 16;
export const IPV4_MIN_HEADER_LEN = 20;
export const IPV4_FLAG_DF = 0x4000;
export const IPV4_FLAG_MF = 0x2000;
export const IPV4_FRAG_OFFSET_MASK = 0x1fff;
/** Largest IPv4 packet: the total length field is 16 bits. */
export const IPV4_MAX_PACKET = 65535;

export const IP_PROTO_NAMES: Readonly<Record<number, string>> = {
  0: 'IPv6 Hop-by-Hop',
  1: 'ICMP',
  2: 'IGMP',
  6: 'TCP',
  17: 'UDP',
  41: 'IPv6',
  43: 'IPv6 Routing',
  44: 'IPv6 Fragment',
  47: 'GRE',
  50: 'ESP',
  51: 'AH',
  58: 'ICMPv6',
  59: 'IPv6 No Next Header',
  60: 'IPv6 Destination Options',
  112: 'VRRP',
  132: 'SCTP',
};
export const IP_PROTO_UDP = 17;

export type Ipv4ErrorCode =
  | 'ipv4.truncated'
  | 'ipv4.bad_version'
  | 'ipv4.bad_header_length'
  | 'ipv4.bad_total_length'
  | 'ipv4.bad_fragment'
  | 'ip.captured_truncated';

/** Scratch filled by `ipv4Check`. */
export interface Ipv4Out {
  headerLen: number;
  /** Offset one past the packet's last byte (total length honoured; link padding dropped). */
  end: number;
  proto: number;
  id: number;
  /** Fragment offset in bytes. */
  fragOffset: number;
  more: boolean;
  ttl: number;
}

/**
 * Checks the IPv4 header at `b[off]` against the captured bytes (up to `frameEnd`). `cut` = the capture kept fewer
 * bytes than were on the wire (snaplen), which makes a short packet `ip.captured_truncated` (not
 * the sender's fault) instead of malformed. Error offsets are from the start of `b`.
 */
export function ipv4Check(b: Uint8Array, off: number, frameEnd: number, cut: boolean, out: Ipv4Out): WireError<Ipv4ErrorCode> | undefined {
  const avail = frameEnd - off;
  if (avail < IPV4_MIN_HEADER_LEN) {
    return cut
      ? new WireError('ip.captured_truncated', off, `capture kept ${avail} bytes of the IPv4 header (snaplen)`)
      : new WireError('ipv4.truncated', off, `IPv4 header needs ${IPV4_MIN_HEADER_LEN} bytes, ${avail} left`);
  }
  const vihl = b[off]!;
  if (vihl >>> 4 !== 4) return new WireError('ipv4.bad_version', off, `IP version ${vihl >>> 4} in an IPv4 packet`);
  const headerLen = (vihl & 0x0f) * 4;
  if (headerLen < IPV4_MIN_HEADER_LEN) return new WireError('ipv4.bad_header_length', off, `IPv4 header length ${headerLen} (< 20)`);
  const total = u16(b, off + IPV4_TOTAL_LEN, false);
  if (total < headerLen) {
    return new WireError('ipv4.bad_total_length', off + IPV4_TOTAL_LEN, `IPv4 total length ${total} is less than the header length ${headerLen}`);
  }
  if (total > avail) {
    if (cut) return new WireError('ip.captured_truncated', off + IPV4_TOTAL_LEN, `IPv4 total length ${total} but the capture kept ${avail} bytes (snaplen)`);
    return new WireError('ipv4.bad_total_length', off + IPV4_TOTAL_LEN, `IPv4 total length ${total} but only ${avail} bytes follow`);
  }
  const ff = u16(b, off + IPV4_FLAGS_FRAG, false);
  out.headerLen = headerLen;
  out.end = off + total;
  out.proto = b[off + IPV4_PROTO]!;
  out.id = u16(b, off + IPV4_ID, false);
  out.fragOffset = (ff & IPV4_FRAG_OFFSET_MASK) * 8;
  out.more = (ff & IPV4_FLAG_MF) !== 0;
  out.ttl = b[off + IPV4_TTL]!;
  return undefined;
}

export interface Ipv4Header {
  readonly headerLen: number;
  readonly tos: number;
  readonly totalLength: number;
  readonly id: number;
  readonly dontFragment: boolean;
  readonly moreFragments: boolean;
  /** In bytes. */
  readonly fragOffset: number;
  readonly ttl: number;
  readonly proto: number;
  readonly checksum: number;
  readonly src: Uint8Array;
  readonly dst: Uint8Array;
  readonly options: Uint8Array;
}

export function parseIpv4(b: Uint8Array, cut = false): Decoded<Ipv4Header, Ipv4ErrorCode> {
  const out: Ipv4Out = { headerLen: 0, end: 0, proto: 0, id: 0, fragOffset: 0, more: false, ttl: 0 };
  const err = ipv4Check(b, 0, b.length, cut, out);
  if (err) return err;
  const ff = u16(b, IPV4_FLAGS_FRAG, false);
  return {
    headerLen: out.headerLen,
    tos: b[IPV4_TOS]!,
    totalLength: u16(b, IPV4_TOTAL_LEN, false),
    id: out.id,
    dontFragment: (ff & IPV4_FLAG_DF) !== 0,
    moreFragments: out.more,
    fragOffset: out.fragOffset,
    ttl: out.ttl,
    proto: out.proto,
    checksum: u16(b, IPV4_CHECKSUM, false),
    src: b.subarray(IPV4_SRC, IPV4_SRC + 4),
    dst: b.subarray(IPV4_DST, IPV4_DST + 4),
    options: b.subarray(IPV4_MIN_HEADER_LEN, out.headerLen),
  };
}

/** RFC 1071 ones'-complement sum over b[start, end). */
export function internetChecksum(b: Uint8Array, start: number, end: number, initial = 0): number {
  let sum = initial;
  let i = start;
  for (; i + 1 < end; i += 2) sum += (b[i]! << 8) | b[i + 1]!;
  if (i < end) sum += b[i]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

export interface Ipv4Emit {
  readonly tos?: number;
  /** Header + payload length. */
  readonly totalLength: number;
  readonly id: number;
  readonly dontFragment?: boolean;
  readonly moreFragments?: boolean;
  /** In bytes, a multiple of 8. */
  readonly fragOffset?: number;
  readonly ttl: number;
  readonly proto: number;
  readonly src: Uint8Array;
  readonly dst: Uint8Array;
}

/** Writes a 20-byte header (no options, checksum filled in) at b[off]; returns 20. */
export function emitIpv4(h: Ipv4Emit, b: Uint8Array, off = 0): number {
  b[off + IPV4_VER_IHL] = 0x45;
  b[off + IPV4_TOS] = h.tos ?? 0;
  putU16(b, off + IPV4_TOTAL_LEN, h.totalLength, false);
  putU16(b, off + IPV4_ID, h.id, false);
  putU16(
    b,
    off + IPV4_FLAGS_FRAG,
    (h.dontFragment ? IPV4_FLAG_DF : 0) | (h.moreFragments ? IPV4_FLAG_MF : 0) | (((h.fragOffset ?? 0) >>> 3) & IPV4_FRAG_OFFSET_MASK),
    false,
  );
  b[off + IPV4_TTL] = h.ttl;
  b[off + IPV4_PROTO] = h.proto;
  putU16(b, off + IPV4_CHECKSUM, 0, false);
  b.set(h.src.subarray(0, 4), off + IPV4_SRC);
  b.set(h.dst.subarray(0, 4), off + IPV4_DST);
  putU16(b, off + IPV4_CHECKSUM, internetChecksum(b, off, off + IPV4_MIN_HEADER_LEN), false);
  return IPV4_MIN_HEADER_LEN;
}

export const IPV4_FIELDS = defineFields('ip', {
  '': { type: 'none', label: 'Internet Protocol Version 4', description: 'IPv4 header (RFC 791).' },
  version: { type: 'u8', label: 'Version', description: 'IP version, 4.' },
  hdr_len: { type: 'u8', label: 'Header length', description: 'Header length in bytes (IHL * 4).' },
  dsfield: { type: 'u8', label: 'Differentiated Services Field', hex: true, description: 'DSCP and ECN bits.' },
  len: { type: 'u16', label: 'Total length', description: 'Header plus payload length in bytes.' },
  id: { type: 'u16', label: 'Identification', hex: true, description: 'Datagram identifier shared by all fragments of one datagram.' },
  'flags.df': { type: 'bool', label: "Don't fragment", description: 'DF flag.' },
  'flags.mf': { type: 'bool', label: 'More fragments', description: 'MF flag: further fragments follow.' },
  frag_offset: { type: 'u16', label: 'Fragment offset', description: 'Offset of this fragment in the datagram, in bytes.' },
  ttl: { type: 'u8', label: 'Time to live', description: 'Remaining hop count.' },
  proto: { type: 'u8', label: 'Protocol', values: IP_PROTO_NAMES, description: 'Protocol of the payload (17 = UDP).' },
  checksum: { type: 'u16', label: 'Header checksum', hex: true, description: 'Header checksum as sent (not verified).' },
  src: { type: 'ipv4', label: 'Source address', description: 'Source IPv4 address.' },
  dst: { type: 'ipv4', label: 'Destination address', description: 'Destination IPv4 address.' },
  fragments: { type: 'none', label: 'Fragments', description: 'The fragments this datagram was reassembled from (IPv4 and IPv6).' },
  fragment: { type: 'u32', label: 'Fragment', description: 'Frame number of one fragment of the reassembled datagram.' },
  'fragment.count': { type: 'u32', label: 'Fragment count', description: 'Number of fragments the datagram was reassembled from.' },
  'reassembled.length': { type: 'u32', label: 'Reassembled length', description: 'Length of the reassembled payload in bytes.' },
});

export function formatIpv4(b: Uint8Array, off = 0): string {
  return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
}

export function ipv4Tree(h: Ipv4Header): FieldNode {
  return node(IPV4_FIELDS[''], undefined, [
    node(IPV4_FIELDS.version, 4),
    node(IPV4_FIELDS.hdr_len, h.headerLen),
    node(IPV4_FIELDS.dsfield, h.tos),
    node(IPV4_FIELDS.len, h.totalLength),
    node(IPV4_FIELDS.id, h.id),
    node(IPV4_FIELDS['flags.df'], h.dontFragment),
    node(IPV4_FIELDS['flags.mf'], h.moreFragments),
    node(IPV4_FIELDS.frag_offset, h.fragOffset),
    node(IPV4_FIELDS.ttl, h.ttl),
    node(IPV4_FIELDS.proto, h.proto),
    node(IPV4_FIELDS.checksum, h.checksum),
    node(IPV4_FIELDS.src, formatIpv4(h.src)),
    node(IPV4_FIELDS.dst, formatIpv4(h.dst)),
  ]);
}
