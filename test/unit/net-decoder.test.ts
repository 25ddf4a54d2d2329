/**
 * NetDecoder on crafted frames (built with the layers' emitters) and on the real namespace capture:
 * each error code at its offset, reassembly (order, duplicates, overlaps, bounds, capture-time
 * timeout), link types, formatIp, and the -V tree.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { CaptureReader, type CaptureRecord } from '../../dissectors/capture/index.ts';
import { emitEthernet, ETHERTYPE_IPV4, ETHERTYPE_IPV6 } from '../../dissectors/link/index.ts';
import { emitIpv4 } from '../../dissectors/ip/ipv4.ts';
import { emitIpv6, emitIpv6Fragment } from '../../dissectors/ip/ipv6.ts';
import { emitUdp } from '../../dissectors/udp.ts';
import { formatIp, NET_ERROR_CODES, NetDecoder, netTree, type NetResult, type UdpDatagram } from '../../dissectors/net.ts';
import { WireError } from '../../dissectors/errors.ts';
import type { FieldNode } from '../../dissectors/catalog.ts';
import { fixture } from '../fixtures/capture/oracle.ts';

const MAC_A = Uint8Array.of(2, 0, 0, 0, 0, 1);
const MAC_B = Uint8Array.of(2, 0, 0, 0, 0, 2);
const IP_A = Uint8Array.of(192, 0, 2, 1);
const IP_B = Uint8Array.of(192, 0, 2, 2);
const IP6_A = Uint8Array.of(0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1);
const IP6_B = Uint8Array.of(0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2);

let frameNo = 0;
function rec(data: Uint8Array, opts: { linkType?: number; tsSec?: number; origLen?: number } = {}): CaptureRecord {
  return { number: ++frameNo, tsSec: opts.tsSec ?? 1000, tsNsec: 0, linkType: opts.linkType ?? 1, interfaceId: 0, data, origLen: opts.origLen ?? data.length, fileOffset: 0 };
}

function udpPacket(payload: Uint8Array, srcPort = 5405, dstPort = 5405): Uint8Array {
  const u = new Uint8Array(8 + payload.length);
  emitUdp({ srcPort, dstPort, length: u.length, checksum: 0 }, u);
  u.set(payload, 8);
  return u;
}

/** Ethernet + IPv4 (+ optional fragment fields) around `ipPayload`. */
function eth4(ipPayload: Uint8Array, f: { id?: number; offset?: number; more?: boolean; proto?: number; pad?: number } = {}): Uint8Array {
  const b = new Uint8Array(14 + 20 + ipPayload.length + (f.pad ?? 0));
  emitEthernet({ dst: MAC_B, src: MAC_A, vlans: [], etherType: ETHERTYPE_IPV4 }, b);
  emitIpv4({ totalLength: 20 + ipPayload.length, id: f.id ?? 1, fragOffset: f.offset ?? 0, moreFragments: f.more ?? false, ttl: 64, proto: f.proto ?? 17, src: IP_A, dst: IP_B }, b, 14);
  b.set(ipPayload, 34);
  return b;
}

/** Ethernet + IPv6 + extension headers (raw bytes) + payload; `next` is the first header's type. */
function eth6(next: number, rest: Uint8Array): Uint8Array {
  const b = new Uint8Array(14 + 40 + rest.length);
  emitEthernet({ dst: MAC_B, src: MAC_A, vlans: [], etherType: ETHERTYPE_IPV6 }, b);
  emitIpv6({ payloadLength: rest.length, nextHeader: next, hopLimit: 64, src: IP6_A, dst: IP6_B }, b, 14);
  b.set(rest, 54);
  return b;
}

function frag6(next: number, offset: number, more: boolean, id: number, data: Uint8Array): Uint8Array {
  const rest = new Uint8Array(8 + data.length);
  emitIpv6Fragment(next, offset, more, id, rest);
  rest.set(data, 8);
  return eth6(44, rest);
}

function udpOf(r: NetResult): UdpDatagram {
  assert.ok(!(r instanceof WireError), `unexpected ${String(r)}`);
  assert.equal(r.kind, 'udp', JSON.stringify(r));
  return (r as { datagram: UdpDatagram }).datagram;
}

function errOf(r: NetResult, code: string, offset: number): void {
  assert.ok(r instanceof WireError, `expected ${code}, got ${JSON.stringify(r)}`);
  assert.equal(r.code, code, r.message);
  assert.equal(r.offset, offset, `${code}: ${r.message}`);
  assert.ok(NET_ERROR_CODES.includes(r.code as never), `${r.code} is in NET_ERROR_CODES`);
}

const payload = (n: number, seed = 1): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff);

test('a plain IPv4 UDP frame', () => {
  const nd = new NetDecoder();
  const d = udpOf(nd.decode(rec(eth4(udpPacket(payload(100)), { pad: 0 }), {})));
  assert.equal(formatIp(d.src), '192.0.2.1');
  assert.equal(formatIp(d.dst), '192.0.2.2');
  assert.deepEqual([d.srcPort, d.dstPort, d.udpLength, d.payloadOffset, d.ttl, d.ipVersion], [5405, 5405, 108, 42, 64, 4]);
  assert.deepEqual(d.payload, payload(100));
});

test('Ethernet padding after the IP packet is dropped; a short UDP length is honoured', () => {
  const nd = new NetDecoder();
  const d = udpOf(nd.decode(rec(eth4(udpPacket(payload(4)), { pad: 20 }))));
  assert.equal(d.payload.length, 4);
  // UDP length 10 inside an IP payload of 8 + 6 bytes: 2 trailing bytes are not UDP payload.
  const u = udpPacket(payload(6));
  u[5] = 10;
  const d2 = udpOf(nd.decode(rec(eth4(u))));
  assert.deepEqual(d2.payload, payload(2));
});

test('error codes and offsets (from the start of the frame)', () => {
  const nd = new NetDecoder();
  errOf(nd.decode(rec(new Uint8Array(10))), 'eth.truncated', 0);
  // VLAN tag cut short
  const v = new Uint8Array(16);
  v[12] = 0x81;
  errOf(nd.decode(rec(v)), 'vlan.truncated', 14);
  // five nested tags
  const many = new Uint8Array(14 + 5 * 4 + 20);
  for (let i = 0; i < 6; i++) {
    many[12 + 4 * i] = 0x81;
    many[13 + 4 * i] = 0x00;
  }
  errOf(nd.decode(rec(many)), 'vlan.too_many_tags', 14 + 4 * 4 - 2);
  const good = eth4(udpPacket(payload(10)));
  const ihl = good.slice();
  ihl[14] = 0x44;
  errOf(nd.decode(rec(ihl)), 'ipv4.bad_header_length', 14);
  const ver = good.slice();
  ver[14] = 0x55;
  errOf(nd.decode(rec(ver)), 'ipv4.bad_version', 14);
  const tl = good.slice();
  tl[16] = 0x01; // total length 256+ > frame
  errOf(nd.decode(rec(tl)), 'ipv4.bad_total_length', 16);
  const tl2 = good.slice();
  tl2[16] = 0;
  tl2[17] = 12; // < header length
  errOf(nd.decode(rec(tl2)), 'ipv4.bad_total_length', 16);
  // snaplen cut: not malformed, but not decodable either
  errOf(nd.decode(rec(good.subarray(0, 40), { origLen: good.length })), 'ip.captured_truncated', 16);
  errOf(nd.decode(rec(good.subarray(0, 20))), 'ipv4.truncated', 14);
  const overrun = eth4(udpPacket(payload(10)));
  overrun[34 + 5] = 30; // UDP length 30 > 18
  errOf(nd.decode(rec(overrun)), 'udp.length_overrun', 34 + 4);
  const tiny = eth4(udpPacket(payload(10)));
  tiny[34 + 5] = 4;
  errOf(nd.decode(rec(tiny)), 'udp.bad_length', 34 + 4);
  errOf(nd.decode(rec(eth4(new Uint8Array(5)))), 'udp.truncated', 34);
  // raw IP with a bad version nibble
  errOf(nd.decode(rec(Uint8Array.of(0x70, 0, 0, 0), { linkType: 101 })), 'raw.bad_ip_version', 0);
  errOf(nd.decode(rec(new Uint8Array(0), { linkType: 101 })), 'raw.truncated', 0);
  errOf(nd.decode(rec(new Uint8Array(10), { linkType: 113 })), 'sll.truncated', 0);
  errOf(nd.decode(rec(new Uint8Array(10), { linkType: 276 })), 'sll2.truncated', 0);
  errOf(nd.decode(rec(new Uint8Array(2), { linkType: 0 })), 'null.truncated', 0);
});

test('IPv6 extension headers are skipped, bounded and checked', () => {
  const nd = new NetDecoder();
  const u = udpPacket(payload(20));
  // hop-by-hop (8) -> destination options (16) -> UDP
  const hbh = new Uint8Array(8);
  hbh[0] = 60;
  const dst = new Uint8Array(16);
  dst[0] = 17;
  dst[1] = 1;
  const d = udpOf(nd.decode(rec(eth6(0, Uint8Array.from([...hbh, ...dst, ...u])))));
  assert.equal(formatIp(d.src), '2001:db8::1');
  assert.equal(d.payloadOffset, 14 + 40 + 24 + 8);
  assert.deepEqual(d.payload, payload(20));
  // atomic fragment (offset 0, M 0) is just a header
  const atomic = new Uint8Array(8 + u.length);
  emitIpv6Fragment(17, 0, false, 99, atomic);
  atomic.set(u, 8);
  udpOf(nd.decode(rec(eth6(44, atomic))));
  // an extension header running past the packet
  const long = new Uint8Array(8);
  long[0] = 17;
  long[1] = 4; // (4+1)*8 = 40 bytes
  errOf(nd.decode(rec(eth6(60, long))), 'ipv6.ext_header_overrun', 54);
  // nine chained destination-options headers
  const chain = new Uint8Array(9 * 8 + 8);
  for (let i = 0; i < 9; i++) chain[i * 8] = i < 8 ? 60 : 17;
  errOf(nd.decode(rec(eth6(60, chain))), 'ipv6.too_many_ext_headers', 54 + 8 * 8);
  // payload length past the frame
  const pl = eth6(17, u);
  pl[14 + 5] = pl[14 + 5]! + 10;
  errOf(nd.decode(rec(pl)), 'ipv6.bad_payload_length', 18);
  const r = nd.decode(rec(eth6(58, new Uint8Array(8))));
  assert.ok(!(r instanceof WireError) && r.kind === 'ignored' && /ICMPv6/.test(r.reason));
});

test('IPv4 reassembly: out of order, duplicates, the frames it came from', () => {
  const nd = new NetDecoder();
  const dgram = udpPacket(payload(3000));
  const parts = [
    { off: 1480, data: dgram.subarray(1480, 2960), more: true },
    { off: 0, data: dgram.subarray(0, 1480), more: true },
    { off: 0, data: dgram.subarray(0, 1480), more: true }, // exact duplicate (e.g. seen twice)
    { off: 2960, data: dgram.subarray(2960), more: false },
  ];
  const results = parts.map((p) => nd.decode(rec(eth4(p.data, { id: 0x1234, offset: p.off, more: p.more }))));
  for (const r of results.slice(0, 3)) assert.ok(!(r instanceof WireError) && r.kind === 'fragment' && r.ipId === 0x1234);
  const d = udpOf(results[3]!);
  assert.deepEqual(d.payload, payload(3000));
  assert.equal(d.payloadOffset, -1);
  assert.equal(d.reassembledFrom!.length, 4);
  assert.equal(d.reassembledFrom![3], frameNo);
  assert.equal(nd.inFlight, 0);
  assert.deepEqual(nd.flushIncomplete(), []);
});

test('IPv6 reassembly', () => {
  const nd = new NetDecoder();
  const dgram = udpPacket(payload(2500, 3));
  const a = nd.decode(rec(frag6(17, 1448, false, 77, dgram.subarray(1448))));
  assert.ok(!(a instanceof WireError) && a.kind === 'fragment' && a.ipVersion === 6 && !a.more);
  const d = udpOf(nd.decode(rec(frag6(17, 0, true, 77, dgram.subarray(0, 1448)))));
  assert.deepEqual(d.payload, payload(2500, 3));
  assert.equal(formatIp(d.dst), '2001:db8::2');
});

test('reassembly: overlaps with other bytes, conflicting ends, too large', () => {
  const nd = new NetDecoder();
  const dgram = udpPacket(payload(2000));
  nd.decode(rec(eth4(dgram.subarray(0, 1480), { id: 1, more: true })));
  const other = dgram.slice(1472, 2008);
  other[3] = other[3]! ^ 0xff;
  errOf(nd.decode(rec(eth4(other, { id: 1, offset: 1472 }))), 'ip.reassembly_overlap', 20);
  const gone = nd.flushIncomplete();
  assert.equal(gone.length, 1);
  assert.equal(gone[0]!.reason, 'error');
  // last fragment says 1000, then a fragment beyond it
  nd.decode(rec(eth4(new Uint8Array(40), { id: 2, offset: 960 })));
  errOf(nd.decode(rec(eth4(new Uint8Array(80), { id: 2, offset: 960, more: true }))), 'ip.reassembly_inconsistent', 20);
  errOf(nd.decode(rec(eth4(new Uint8Array(80), { id: 3, offset: 65528, more: true }))), 'ip.reassembly_too_large', 20);
  errOf(nd.decode(rec(eth4(new Uint8Array(12), { id: 4, offset: 0, more: true }))), 'ipv4.bad_fragment', 20);
});

test('reassembly bounds: datagrams in flight, and a timeout in capture time', () => {
  const nd = new NetDecoder({ reassembly: { maxDatagrams: 4, timeoutSec: 30 } });
  const first = frameNo + 1;
  for (let id = 0; id < 6; id++) nd.decode(rec(eth4(new Uint8Array(16), { id, more: true }), { tsSec: 100 }));
  assert.equal(nd.inFlight, 4);
  const evicted = nd.takeIncomplete();
  assert.deepEqual(
    evicted.map((x) => [x.id, x.reason, x.frames]),
    [
      [0, 'evicted', [first]],
      [1, 'evicted', [first + 1]],
    ],
  );
  // 31 capture seconds later every held datagram times out, whatever the wall clock says.
  nd.decode(rec(eth4(udpPacket(payload(1))), { tsSec: 131 }));
  assert.equal(nd.inFlight, 0);
  const timedOut = nd.flushIncomplete();
  assert.equal(timedOut.length, 4);
  assert.ok(timedOut.every((x) => x.reason === 'timeout' && x.src === '192.0.2.1' && x.receivedBytes === 16));
  assert.deepEqual(timedOut[0]!.missing, [{ start: 16 }]);
});

test('flushIncomplete reports the missing ranges of a datagram whose middle never came', () => {
  const nd = new NetDecoder();
  const dgram = udpPacket(payload(4000));
  nd.decode(rec(eth4(dgram.subarray(0, 1480), { id: 9, more: true })));
  nd.decode(rec(eth4(dgram.subarray(2960), { id: 9, offset: 2960 })));
  const [x] = nd.flushIncomplete();
  assert.ok(x);
  assert.equal(x.reason, 'end of capture');
  assert.equal(x.totalLength, 4008);
  assert.deepEqual(x.missing, [{ start: 1480, end: 2960 }]);
  assert.equal(x.frames.length, 2);
});

test('non-UDP and non-IP frames are ignored with a stable reason', () => {
  const nd = new NetDecoder();
  const arp = new Uint8Array(42);
  arp[12] = 0x08;
  arp[13] = 0x06;
  const reasons = [
    nd.decode(rec(arp)),
    nd.decode(rec(eth4(new Uint8Array(20), { proto: 6 }))),
    nd.decode(rec(eth4(new Uint8Array(8), { proto: 1 }))),
    nd.decode(rec(new Uint8Array(20), { linkType: 147 })),
  ].map((r) => (r instanceof WireError || r.kind !== 'ignored' ? String(r) : r.reason));
  assert.deepEqual(reasons, ['not IP (ARP)', 'not UDP (IPv4 TCP)', 'not UDP (IPv4 ICMP)', 'unsupported link type 147']);
});

test('every link type of the namespace capture gives the same datagrams', () => {
  const decodeAll = (name: string): string[] => {
    const nd = new NetDecoder();
    const out: string[] = [];
    const r = new CaptureReader();
    r.push(readFileSync(fixture(name)), (x) => {
      const d = nd.decode(x);
      if (!(d instanceof WireError) && d.kind === 'udp') {
        out.push(`${formatIp(d.datagram.src)} ${d.datagram.srcPort} > ${formatIp(d.datagram.dst)} ${d.datagram.dstPort} ${Buffer.from(d.datagram.payload).toString('base64')}`);
      }
    });
    r.end();
    return out;
  };
  const ref = decodeAll('net-eth-nsec.pcap');
  assert.ok(ref.length >= 6);
  for (const name of ['net-vlan.pcap', 'net-null-le.pcap', 'net-null-be.pcap', 'net-loop.pcap', 'net-raw.pcap', 'net-eth-be.pcapng']) {
    assert.deepEqual(decodeAll(name), ref, name);
  }
  const v4 = decodeAll('net-ipv4.pcap');
  const v6 = decodeAll('net-ipv6.pcap');
  assert.deepEqual([...v4, ...v6].sort(), [...ref].sort());
  // SLL / SLL2 captures of the same kind of traffic (another run): 3 sizes x 2 families + 1.
  for (const name of ['net-any-sll.pcapng', 'net-any-sll2.pcap']) assert.equal(decodeAll(name).length, 7, name);
});

test('formatIp: dotted quad and RFC 5952', () => {
  const v6 = (s: string): Uint8Array => {
    const [head, tail] = s.split('::') as [string, string | undefined];
    const h = head ? head.split(':') : [];
    const t = tail ? tail.split(':') : [];
    const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
    const b = new Uint8Array(16);
    groups.forEach((g, i) => {
      const n = parseInt(g, 16);
      b[2 * i] = n >> 8;
      b[2 * i + 1] = n & 0xff;
    });
    return b;
  };
  assert.equal(formatIp(Uint8Array.of(198, 51, 100, 7)), '198.51.100.7');
  assert.equal(formatIp(Uint8Array.of(0, 0, 0, 0)), '0.0.0.0');
  const cases: [string, string][] = [
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // first of two equal runs
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // a single zero group is not compressed
    ['0:0:0:0:0:0:0:0', '::'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['fe80:0:0:0:14f4:c0ff:fec6:a697', 'fe80::14f4:c0ff:fec6:a697'],
    ['2001:db8:0:0:0:0:2:0', '2001:db8::2:0'],
    ['1:0:0:2:0:0:0:3', '1:0:0:2::3'], // the longest run wins
  ];
  for (const [input, want] of cases) assert.equal(formatIp(v6(input.replace(/\b0+(?=[0-9a-f])/g, ''))), want, input);
  assert.equal(formatIp(Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1)), '::ffff:192.0.2.1');
});

test('netTree: frame, link, IP and UDP nodes with Wireshark names', () => {
  const names = (nodes: readonly FieldNode[], acc: Map<string, unknown> = new Map()): Map<string, unknown> => {
    for (const n of nodes) {
      if (n.value !== undefined && !acc.has(n.field.name)) acc.set(n.field.name, n.value);
      if (n.children) names(n.children, acc);
    }
    return acc;
  };
  const r = new CaptureReader();
  const seen: Map<string, unknown>[] = [];
  const nd = new NetDecoder();
  r.push(readFileSync(fixture('net-vlan.pcap')), (x) => {
    const res = nd.decode(x);
    if (!(res instanceof WireError) && res.kind === 'udp') seen.push(names(netTree(x, res)));
  });
  r.end();
  const plain = seen.find((m) => m.get('vlan.id') === 100)!;
  assert.ok(plain, 'an 802.1Q-tagged UDP frame');
  for (const k of ['frame.number', 'frame.time_epoch', 'frame.len', 'frame.cap_len', 'eth.src', 'eth.dst', 'eth.type', 'vlan.id', 'ip.src', 'ip.dst', 'ip.id', 'ip.ttl', 'ip.proto', 'udp.srcport', 'udp.dstport', 'udp.length']) {
    assert.ok(plain.has(k), `${k} present`);
  }
  assert.equal(plain.get('ip.src'), '192.0.2.1');
  assert.equal(plain.get('eth.type'), 0x8100);
  assert.equal(plain.get('udp.dstport'), 5405);
  const reassembled = seen.find((m) => m.has('ip.fragment.count'));
  assert.ok(reassembled, 'a reassembled datagram lists its fragments');
  assert.equal(reassembled.get('udp.length'), 3008);
  assert.ok(seen.some((m) => m.has('ipv6.src') && m.get('ipv6.src') === '2001:db8::1'));
  // Linux cooked
  const r2 = new CaptureReader();
  let sll: Map<string, unknown> | undefined;
  r2.push(readFileSync(fixture('net-any-sll2.pcap')), (x) => {
    sll ??= names(netTree(x));
  });
  assert.ok(sll?.has('sll.pkttype') && sll.has('sll.etype') && sll.has('sll.ifindex'));
});
