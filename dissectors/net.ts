/**
 * The front door below the transports: capture record → link layer → IPv4/IPv6 (extension headers,
 * fragment reassembly) → UDP. Stateful (reassembly only) but free of I/O and clocks: time is the
 * capture time of the records passed in.
 *
 * `decode` never throws. Each record yields exactly one `NetResult`: a UDP datagram, a fragment
 * held for reassembly, a frame that is not ours (`ignored`, with a short stable reason), or a
 * `WireError` whose offset counts from the start of the captured frame (of the reassembled
 * payload when the frame completed an IP reassembly).
 *
 * Above this layer the UDP payload is the bare totemsrp message for udp/udpu, or a knet packet
 * (wire-format.md §1, §2.1, §2.2). A full udp/udpu mcast is 1455 bytes of UDP payload, so IPv4
 * fragments appear only with knet or non-default netmtu; knet datagrams up to 64 KiB are common.
 */
import type { CaptureRecord } from './capture/reader.ts';
import { CAPTURE_ERROR_CODES } from './capture/errors.ts';
import { defineFields, node, type FieldNode } from './catalog.ts';
import { WireError } from './errors.ts';
import {
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
  ETHERTYPE_IPV6,
  ETHERTYPE_MIN,
  ETHERTYPE_NAMES,
  LINK_ERROR_CODES,
  LINKTYPE_NAMES,
  linkPayload,
  linkTree,
  type LinkErrorCode,
  type LinkOut,
} from './link/index.ts';
import { formatIpv4, IP_PROTO_NAMES, IP_PROTO_UDP, IPV4_DST, IPV4_FIELDS, IPV4_SRC, ipv4Check, ipv4Tree, parseIpv4, type Ipv4ErrorCode, type Ipv4Out } from './ip/ipv4.ts';
import {
  DEFAULT_MAX_EXT_HEADERS,
  formatIpv6,
  IPV6_DST,
  IPV6_HEADER_LEN,
  IPV6_NEXT_HEADER,
  IPV6_SRC,
  ipv6Check,
  ipv6Tree,
  ipv6Walk,
  newIpv6Out,
  parseIpv6,
  type Ipv6ErrorCode,
  type Ipv6Out,
} from './ip/ipv6.ts';
import { Reassembler, type IncompleteDatagram, type Reassembled, type ReassemblyErrorCode, type ReassemblyOptions } from './ip/reassembly.ts';
import { parseUdp, udpCheck, udpTree, UDP_HEADER_LEN, type UdpErrorCode } from './udp.ts';
import { u16 } from './bytes.ts';

export type { IncompleteDatagram, MissingRange, IncompleteReason, ReassemblyOptions } from './ip/reassembly.ts';

export interface UdpDatagram {
  readonly ipVersion: 4 | 6;
  /** Raw 4- or 16-byte addresses (views into the frame, or copies for reassembled datagrams). */
  readonly src: Uint8Array;
  readonly dst: Uint8Array;
  readonly srcPort: number;
  readonly dstPort: number;
  /** UDP payload: a view into the frame (valid while the record is), or the reassembled buffer. */
  readonly payload: Uint8Array;
  /** Offset of the payload in the captured frame, or -1 when reassembled from fragments. */
  readonly payloadOffset: number;
  /** UDP length field (header + payload). */
  readonly udpLength: number;
  /** Frame numbers of the fragments, when reassembled (the last one is this frame). */
  readonly reassembledFrom?: readonly number[] | undefined;
  /** IPv4 TTL or IPv6 hop limit (of the first fragment when reassembled). */
  readonly ttl: number;
  /** `formatIp(src)` / `formatIp(dst)`, computed from the frame without making address views (cached). */
  readonly srcText: string;
  readonly dstText: string;
}

export type NetResult =
  | { readonly kind: 'udp'; readonly datagram: UdpDatagram }
  /** Held for reassembly. */
  | { readonly kind: 'fragment'; readonly ipVersion: 4 | 6; readonly ipId: number; readonly offset: number; readonly more: boolean }
  /** Not IP or not UDP (ARP, ICMP, TCP, ...): accounted, not an error. */
  | { readonly kind: 'ignored'; readonly reason: string }
  | WireError<NetErrorCode>;

export type NetErrorCode = LinkErrorCode | Ipv4ErrorCode | Ipv6ErrorCode | ReassemblyErrorCode | UdpErrorCode;

/** Every code `NetDecoder.decode` can return, for stats tables and docs. */
export const NET_ERROR_CODES: readonly NetErrorCode[] = [
  ...LINK_ERROR_CODES,
  'ip.captured_truncated',
  'ipv4.truncated',
  'ipv4.bad_version',
  'ipv4.bad_header_length',
  'ipv4.bad_total_length',
  'ipv4.bad_fragment',
  'ipv6.truncated',
  'ipv6.bad_version',
  'ipv6.bad_payload_length',
  'ipv6.ext_header_overrun',
  'ipv6.too_many_ext_headers',
  'ipv6.bad_fragment',
  'ip.reassembly_overlap',
  'ip.reassembly_inconsistent',
  'ip.reassembly_too_large',
  'ip.reassembly_too_many_fragments',
  'udp.truncated',
  'udp.bad_length',
  'udp.length_overrun',
];

/** Capture-file framing codes (thrown as CaptureFormatError by the reader), re-exported for docs. */
export const CAPTURE_FORMAT_ERROR_CODES = CAPTURE_ERROR_CODES;

export interface NetDecoderOptions {
  readonly reassembly?: ReassemblyOptions;
  /** Bound on the IPv6 extension-header chain (default 8). */
  readonly maxExtHeaders?: number;
}

/**
 * A UDP datagram found inside the captured frame, as offsets (NetDecoder.locate): what counting
 * needs without an object per frame. Valid until the next locate/decode call.
 */
export interface UdpSpan {
  ipVersion: 4 | 6;
  /** The buffer holding the frame (the reader's chunk); the offsets below are in it. */
  buf: Uint8Array;
  frameStart: number;
  srcOffset: number;
  dstOffset: number;
  udpOffset: number;
  /** UDP length field (header + payload). */
  udpLength: number;
  ttl: number;
  srcPort: number;
  dstPort: number;
  /** The UDP payload is buf[payloadStart, payloadEnd). */
  payloadStart: number;
  payloadEnd: number;
}

/** locate()'s answer when the datagram is in the frame: read it from `NetDecoder.span`. */
export const UDP_IN_FRAME: { readonly kind: 'udp-in-frame' } = Object.freeze({ kind: 'udp-in-frame' });

export function isInFrame(r: NetResult | typeof UDP_IN_FRAME): r is typeof UDP_IN_FRAME {
  return r === UDP_IN_FRAME;
}

type FragmentResult = Extract<NetResult, { kind: 'fragment' }>;
type IgnoredResult = Extract<NetResult, { kind: 'ignored' }>;

const MAX_CACHED_REASONS = 4096;

export class NetDecoder {
  private readonly reasm: Reassembler;
  private readonly maxExt: number;
  private readonly link: LinkOut = { etherType: 0, offset: 0 };
  private readonly v4: Ipv4Out = { headerLen: 0, end: 0, proto: 0, id: 0, fragOffset: 0, more: false, ttl: 0 };
  private readonly v6: Ipv6Out = newIpv6Out();
  private readonly ignoredCache = new Map<string, IgnoredResult>();
  /** Where locate() put the last in-frame datagram. */
  readonly span: UdpSpan = {
    ipVersion: 4,
    buf: new Uint8Array(0),
    frameStart: 0,
    srcOffset: 0,
    dstOffset: 0,
    udpOffset: 0,
    udpLength: 0,
    ttl: 0,
    srcPort: 0,
    dstPort: 0,
    payloadStart: 0,
    payloadEnd: 0,
  };

  constructor(opts: NetDecoderOptions = {}) {
    this.reasm = new Reassembler(opts.reassembly);
    this.maxExt = opts.maxExtHeaders ?? DEFAULT_MAX_EXT_HEADERS;
  }

  /** Datagrams waiting for fragments. */
  get inFlight(): number {
    return this.reasm.size;
  }

  decode(rec: CaptureRecord): NetResult {
    const r = this.locate(rec);
    return isInFrame(r) ? this.spanDatagram() : r;
  }

  /** The datagram `span` describes, as a value (for a caller of locate() that needs one after all). */
  spanDatagram(): UdpDatagram & { readonly kind: 'udp'; readonly datagram: UdpDatagram } {
    const s = this.span;
    return new FrameDatagram(s.ipVersion, s.buf, s.frameStart, s.srcOffset, s.dstOffset, s.udpOffset, s.udpLength, s.ttl);
  }

  /**
   * decode() without the datagram object: an in-frame UDP datagram is described in `span` and
   * UDP_IN_FRAME returned; every other result (reassembled datagrams included) is decode()'s.
   */
  locate(rec: CaptureRecord): NetResult | typeof UDP_IN_FRAME {
    // Work on the reader's chunk in place when the record exposes it: no view per frame.
    let b: Uint8Array;
    let start: number;
    let end: number;
    if (rec.bytes !== undefined && rec.dataOffset !== undefined && rec.capLen !== undefined) {
      b = rec.bytes;
      start = rec.dataOffset;
      end = start + rec.capLen;
    } else {
      b = rec.data;
      start = 0;
      end = b.length;
    }
    this.reasm.expire(rec.tsSec);
    const le = linkPayload(rec.linkType, b, start, end, this.link);
    if (le) return le.rebase(-start);
    const et = this.link.etherType;
    const cut = rec.origLen > end - start;
    if (et === ETHERTYPE_IPV4) return this.ipv4(rec, b, start, end, this.link.offset, cut);
    if (et === ETHERTYPE_IPV6) return this.ipv6(rec, b, start, end, this.link.offset, cut);
    if (et === -1) {
      return this.ignored(
        LINKTYPE_NAMES[rec.linkType] !== undefined || rec.linkType === 0 || rec.linkType === 108
          ? 'not IP (link-layer family)'
          : `unsupported link type ${rec.linkType}`,
      );
    }
    if (et < ETHERTYPE_MIN) return this.ignored('not IP (802.3 / LLC)');
    if (et === ETHERTYPE_ARP) return this.ignored('not IP (ARP)');
    const name = ETHERTYPE_NAMES[et];
    return this.ignored(`not IP (ethertype ${name ?? '0x' + et.toString(16).padStart(4, '0')})`);
  }

  /** Reports of datagrams given up so far (timeout, eviction, conflicting fragments); clears them. */
  takeIncomplete(): IncompleteDatagram[] {
    return this.reasm.takeIncomplete();
  }

  /** End of input: everything that never completed (given up earlier or still in flight), with the frame numbers and missing ranges. */
  flushIncomplete(): IncompleteDatagram[] {
    return this.reasm.flush();
  }

  private ignored(reason: string): IgnoredResult {
    let r = this.ignoredCache.get(reason);
    if (r === undefined) {
      r = { kind: 'ignored', reason };
      if (this.ignoredCache.size < MAX_CACHED_REASONS) this.ignoredCache.set(reason, r);
    }
    return r;
  }

  /** `start`/`end`: the frame in `b`; `off`: the IPv4 header in `b`. Error offsets are rebased to the frame. */
  private ipv4(rec: CaptureRecord, b: Uint8Array, start: number, end: number, off: number, cut: boolean): NetResult | typeof UDP_IN_FRAME {
    const h = this.v4;
    const err = ipv4Check(b, off, end, cut, h);
    if (err) return err.rebase(-start);
    const isFragment = h.more || h.fragOffset !== 0;
    if (h.proto !== IP_PROTO_UDP) {
      return this.ignored(isFragment ? 'IPv4 fragment, not UDP' : `not UDP (IPv4 ${IP_PROTO_NAMES[h.proto] ?? 'protocol ' + h.proto})`);
    }
    const payloadStart = off + h.headerLen;
    if (isFragment) {
      const len = h.end - payloadStart;
      if (h.more && (len === 0 || (len & 7) !== 0)) {
        return new WireError('ipv4.bad_fragment', off + 6 - start, `IPv4 fragment with more-fragments set carries ${len} bytes, not a non-zero multiple of 8`);
      }
      const r = this.reasm.add(
        {
          ipVersion: 4,
          src: b.subarray(off + IPV4_SRC, off + IPV4_SRC + 4),
          dst: b.subarray(off + IPV4_DST, off + IPV4_DST + 4),
          id: h.id,
          proto: h.proto,
          offset: h.fragOffset,
          more: h.more,
          data: b.subarray(payloadStart, h.end),
          frame: rec.number,
          tsSec: rec.tsSec,
          ttl: h.ttl,
        },
        off + 6 - start,
      );
      if (r === undefined) return fragment(4, h.id, h.fragOffset, h.more);
      if (r instanceof WireError) return r;
      return this.reassembled(r);
    }
    const ulen = udpCheck(b, payloadStart, h.end);
    if (typeof ulen !== 'number') return ulen.rebase(-start);
    return this.inFrame(4, b, start, off + IPV4_SRC, off + IPV4_DST, payloadStart, ulen, h.ttl);
  }

  private ipv6(rec: CaptureRecord, b: Uint8Array, start: number, end: number, off: number, cut: boolean): NetResult | typeof UDP_IN_FRAME {
    const h = this.v6;
    const err = ipv6Check(b, off, end, cut, h);
    if (err) return err.rebase(-start);
    if (h.end === off + IPV6_HEADER_LEN && b[off + IPV6_NEXT_HEADER] === 0) return this.ignored('IPv6 jumbogram');
    const w = ipv6Walk(b, off + IPV6_HEADER_LEN, h.end, b[off + IPV6_NEXT_HEADER]!, this.maxExt, h);
    if (w) return w.rebase(-start);
    if (h.fragment) {
      const len = h.end - h.offset;
      if (h.more && (len === 0 || (len & 7) !== 0)) {
        return new WireError('ipv6.bad_fragment', h.offset - 6 - start, `IPv6 fragment with M set carries ${len} bytes, not a non-zero multiple of 8`);
      }
      if (!isUdpOrExtension(h.proto)) return this.ignored('IPv6 fragment, not UDP');
      const r = this.reasm.add(
        {
          ipVersion: 6,
          src: b.subarray(off + IPV6_SRC, off + IPV6_SRC + 16),
          dst: b.subarray(off + IPV6_DST, off + IPV6_DST + 16),
          id: h.fragId,
          proto: h.proto,
          offset: h.fragOffset,
          more: h.more,
          data: b.subarray(h.offset, h.end),
          frame: rec.number,
          tsSec: rec.tsSec,
          ttl: h.hopLimit,
        },
        h.offset - 6 - start,
      );
      if (r === undefined) return fragment(6, h.fragId, h.fragOffset, h.more);
      if (r instanceof WireError) return r;
      return this.reassembled(r);
    }
    if (h.proto !== IP_PROTO_UDP) return this.ignored(`not UDP (IPv6 ${IP_PROTO_NAMES[h.proto] ?? 'next header ' + h.proto})`);
    const p = h.offset;
    const ulen = udpCheck(b, p, h.end);
    if (typeof ulen !== 'number') return ulen.rebase(-start);
    return this.inFrame(6, b, start, off + IPV6_SRC, off + IPV6_DST, p, ulen, h.hopLimit);
  }

  private inFrame(ipVersion: 4 | 6, b: Uint8Array, start: number, srcOffset: number, dstOffset: number, udpOffset: number, udpLength: number, ttl: number): typeof UDP_IN_FRAME {
    const s = this.span;
    s.ipVersion = ipVersion;
    s.buf = b;
    s.frameStart = start;
    s.srcOffset = srcOffset;
    s.dstOffset = dstOffset;
    s.udpOffset = udpOffset;
    s.udpLength = udpLength;
    s.ttl = ttl;
    s.srcPort = (b[udpOffset]! << 8) | b[udpOffset + 1]!;
    s.dstPort = (b[udpOffset + 2]! << 8) | b[udpOffset + 3]!;
    s.payloadStart = udpOffset + UDP_HEADER_LEN;
    s.payloadEnd = udpOffset + udpLength;
    return UDP_IN_FRAME;
  }

  /**
   * A completed datagram: walk what follows the fragment header (IPv6 may still have destination
   * options there), then UDP. Error offsets here count from the start of the reassembled payload.
   */
  private reassembled(r: Reassembled): NetResult {
    const p0 = r.payload;
    let p = 0;
    let proto = r.proto;
    if (r.ipVersion === 6) {
      const w = ipv6Walk(p0, 0, p0.length, r.proto, this.maxExt, this.v6);
      if (w) return w;
      if (this.v6.fragment) return new WireError('ipv6.bad_fragment', this.v6.offset - 8, 'a Fragment header inside a reassembled IPv6 packet');
      proto = this.v6.proto;
      p = this.v6.offset;
    }
    if (proto !== IP_PROTO_UDP) return this.ignored(`not UDP (reassembled IPv${r.ipVersion} ${IP_PROTO_NAMES[proto] ?? 'protocol ' + proto})`);
    const ulen = udpCheck(p0, p, p0.length);
    if (typeof ulen !== 'number') return ulen;
    return {
      kind: 'udp',
      datagram: {
        ipVersion: r.ipVersion,
        src: r.src,
        dst: r.dst,
        srcPort: u16(p0, p, false),
        dstPort: u16(p0, p + 2, false),
        payload: p0.subarray(p + UDP_HEADER_LEN, p + ulen),
        payloadOffset: -1,
        udpLength: ulen,
        reassembledFrom: r.frames,
        ttl: r.ttl,
        srcText: formatIp(r.src),
        dstText: formatIp(r.dst),
      },
    };
  }
}

/**
 * A datagram decoded in place: the addresses are views made on first access (most consumers only
 * need ports, the payload and the printable address), everything else is read once. It is also its
 * own `{ kind: 'udp', datagram }` result: one object per frame instead of two.
 */
class FrameDatagram implements UdpDatagram {
  readonly kind = 'udp';
  readonly srcPort: number;
  readonly dstPort: number;
  readonly payload: Uint8Array;
  readonly payloadOffset: number;
  readonly reassembledFrom: undefined;
  private srcView: Uint8Array | undefined;
  private dstView: Uint8Array | undefined;

  /** `frame` holds the captured frame at `frameStart`; the other offsets are in `frame`. */
  constructor(
    readonly ipVersion: 4 | 6,
    private readonly frame: Uint8Array,
    frameStart: number,
    private readonly srcOffset: number,
    private readonly dstOffset: number,
    udpOffset: number,
    readonly udpLength: number,
    readonly ttl: number,
  ) {
    const b = frame;
    this.srcPort = (b[udpOffset]! << 8) | b[udpOffset + 1]!;
    this.dstPort = (b[udpOffset + 2]! << 8) | b[udpOffset + 3]!;
    this.payloadOffset = udpOffset + UDP_HEADER_LEN - frameStart;
    this.payload = b.subarray(udpOffset + UDP_HEADER_LEN, udpOffset + udpLength);
  }

  get datagram(): UdpDatagram {
    return this;
  }

  get src(): Uint8Array {
    return (this.srcView ??= this.frame.subarray(this.srcOffset, this.srcOffset + (this.ipVersion === 4 ? 4 : 16)));
  }
  get dst(): Uint8Array {
    return (this.dstView ??= this.frame.subarray(this.dstOffset, this.dstOffset + (this.ipVersion === 4 ? 4 : 16)));
  }
  get srcText(): string {
    return formatIpAt(this.frame, this.srcOffset, this.ipVersion === 4 ? 4 : 16);
  }
  get dstText(): string {
    return formatIpAt(this.frame, this.dstOffset, this.ipVersion === 4 ? 4 : 16);
  }
}

function fragment(ipVersion: 4 | 6, ipId: number, offset: number, more: boolean): FragmentResult {
  return { kind: 'fragment', ipVersion, ipId, offset, more };
}

function isUdpOrExtension(nh: number): boolean {
  return nh === IP_PROTO_UDP || nh === 0 || nh === 43 || nh === 60 || nh === 51 || nh === 135 || nh === 139 || nh === 140;
}

// One-entry cache per family: consecutive frames nearly always share addresses.
let lastV4Key = -1;
let lastV4Text = '';
const v4Cache = new Map<number, string>();

/** 192.0.2.1, or RFC 5952 text for a 16-byte address. */
export function formatIp(addr: Uint8Array): string {
  return formatIpAt(addr, 0, addr.length);
}

/** `formatIp` of b[off, off + len) without a view; IPv4 texts are cached (a capture has few hosts). */
export function formatIpAt(b: Uint8Array, off: number, len: number): string {
  if (len === 4) {
    const key = b[off]! * 0x1000000 + ((b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!);
    if (key === lastV4Key) return lastV4Text;
    let s = v4Cache.get(key);
    if (s === undefined) {
      s = formatIpv4(b, off);
      if (v4Cache.size >= 4096) v4Cache.clear();
      v4Cache.set(key, s);
    }
    lastV4Key = key;
    lastV4Text = s;
    return s;
  }
  if (len === 16) return formatIpv6(b, off);
  return Array.from(b.subarray(off, off + len), (x) => x.toString(16).padStart(2, '0')).join(':');
}

// ---- field catalog and trees ----

export const FRAME_FIELDS = defineFields('frame', {
  '': { type: 'none', label: 'Frame', description: 'One captured record.' },
  number: { type: 'u32', label: 'Frame number', description: '1-based position of the record in the capture file.' },
  time_epoch: { type: 'time', label: 'Epoch time', description: 'Capture time in seconds since 1970-01-01 UTC (nanosecond precision when the file has it).' },
  len: { type: 'u32', label: 'Frame length', description: 'Length of the packet on the wire.' },
  cap_len: { type: 'u32', label: 'Capture length', description: 'Bytes kept in the capture (less than frame.len when cut by snaplen).' },
  interface_id: { type: 'u32', label: 'Interface id', description: 'pcapng interface index across the file (0 for pcap).' },
  linktype: { type: 'u16', label: 'Link type', values: LINKTYPE_NAMES, description: 'LINKTYPE_* of the record (1 Ethernet, 113 Linux SLL, 276 Linux SLL2, ...).' },
  file_off: { type: 'u32', label: 'File offset', description: 'Absolute offset of the record header / block in the capture file.' },
});

/** `frame.time_epoch` as a decimal string with all 9 digits (exact; a double would round). */
export function formatEpoch(tsSec: number, tsNsec: number): string {
  return `${tsSec}.${String(tsNsec).padStart(9, '0')}`;
}

export function frameTree(rec: CaptureRecord): FieldNode {
  return node(FRAME_FIELDS[''], undefined, [
    node(FRAME_FIELDS.interface_id, rec.interfaceId),
    node(FRAME_FIELDS.linktype, rec.linkType),
    node(FRAME_FIELDS.time_epoch, formatEpoch(rec.tsSec, rec.tsNsec)),
    node(FRAME_FIELDS.number, rec.number),
    node(FRAME_FIELDS.len, rec.origLen),
    node(FRAME_FIELDS.cap_len, rec.data.length),
    node(FRAME_FIELDS.file_off, rec.fileOffset),
  ]);
}

/**
 * The `-V` nodes for one record: frame, link layer, IP and (when decoded) UDP. `result` is what
 * `NetDecoder.decode` returned for the record (needed for reassembled datagrams). Layers that fail
 * to parse are left out; the caller shows the error.
 */
export function netTree(rec: CaptureRecord, result?: NetResult): FieldNode[] {
  const b = rec.data;
  const out: FieldNode[] = [frameTree(rec), ...linkTree(rec.linkType, b)];
  const link: LinkOut = { etherType: 0, offset: 0 };
  if (linkPayload(rec.linkType, b, 0, b.length, link)) return out;
  const ip = b.subarray(link.offset);
  const cut = rec.origLen > b.length;
  let udpAt = -1;
  if (link.etherType === ETHERTYPE_IPV4) {
    const h = parseIpv4(ip, cut);
    if (h instanceof WireError) return out;
    out.push(ipv4Tree(h));
    if (h.proto === IP_PROTO_UDP && !h.moreFragments && h.fragOffset === 0) udpAt = link.offset + h.headerLen;
  } else if (link.etherType === ETHERTYPE_IPV6) {
    const h = parseIpv6(ip, cut);
    if (h instanceof WireError) return out;
    out.push(ipv6Tree(h));
    if (!h.fragment) {
      const v6 = newIpv6Out();
      ipv6Walk(ip, IPV6_HEADER_LEN, ip.length, h.nextHeader, DEFAULT_MAX_EXT_HEADERS, v6);
      if (v6.proto === IP_PROTO_UDP) udpAt = link.offset + v6.offset;
    }
  } else return out;
  if (result !== undefined && !(result instanceof WireError) && result.kind === 'udp' && result.datagram.reassembledFrom) {
    const d = result.datagram;
    out.push(
      node(IPV4_FIELDS.fragments, undefined, [
        node(IPV4_FIELDS['fragment.count'], d.reassembledFrom!.length),
        ...d.reassembledFrom!.map((n) => node(IPV4_FIELDS.fragment, n)),
        node(IPV4_FIELDS['reassembled.length'], d.payload.length + UDP_HEADER_LEN),
      ]),
    );
    // The UDP header sits just before the payload in the reassembled buffer.
    const u = parseUdp(new Uint8Array(d.payload.buffer, d.payload.byteOffset - UDP_HEADER_LEN, d.udpLength));
    if (!(u instanceof WireError)) out.push(udpTree(u));
    return out;
  }
  if (udpAt >= 0) {
    const u = parseUdp(b.subarray(udpAt));
    if (!(u instanceof WireError)) out.push(udpTree(u));
  }
  return out;
}

/** Every catalog group this module and the layers below define, for the registry. */
export { ETH_FIELDS, VLAN_FIELDS, SLL_FIELDS, NULL_FIELDS, LINK_FIELDS } from './link/index.ts';
export { IPV4_FIELDS } from './ip/ipv4.ts';
export { IPV6_FIELDS } from './ip/ipv6.ts';
export { UDP_FIELDS } from './udp.ts';
