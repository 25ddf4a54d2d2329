/** knet wire formats on real bytes (knet-plain.pcap): parse, emit, errors, catalog trees. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WireError } from '../../dissectors/errors.ts';
import { emitData, parseData } from '../../dissectors/knet/data.ts';
import { KnetDecoder } from '../../dissectors/knet/decoder.ts';
import { KNET_FIELDS } from '../../dissectors/knet/fields.ts';
import { KnetType, looksLikePlainKnet, parseHeader } from '../../dissectors/knet/header.ts';
import { parseKnetPacket } from '../../dissectors/knet/packet.ts';
import { emitPing, parsePing } from '../../dissectors/knet/ping.ts';
import { emitPmtud, parsePmtud } from '../../dissectors/knet/pmtud.ts';
import { knetSummary, knetTree } from '../../dissectors/knet/tree.ts';
import type { FieldNode } from '../../dissectors/catalog.ts';
import { readUdpCapture } from '../fixtures/knet/capture.ts';

const plain = readUdpCapture('knet-plain.pcap');

test('every packet of knet-plain.pcap parses and emits back to the same bytes', () => {
  const kinds: Record<string, number> = {};
  for (const p of plain) {
    const pkt = parseKnetPacket(p.payload);
    assert.ok(!(pkt instanceof WireError), `frame ${p.frame}: ${String(pkt)}`);
    kinds[pkt.kind] = (kinds[pkt.kind] ?? 0) + 1;
    assert.ok(looksLikePlainKnet(p.payload), `frame ${p.frame}`);
    let again: Uint8Array;
    if (pkt.kind === 'data') again = emitData(pkt.data);
    else if (pkt.kind === 'ping' || pkt.kind === 'pong') again = emitPing(pkt.ping);
    else if (pkt.kind === 'pmtud' || pkt.kind === 'pmtud_reply') again = emitPmtud(pkt.pmtud); // padding observed as zeros
    else assert.fail('unreachable');
    assert.deepEqual(Buffer.from(again), Buffer.from(p.payload), `frame ${p.frame} ${pkt.kind}`);
  }
  assert.deepEqual(kinds, { ping: 60, pong: 57, data: 4913, pmtud: 7, pmtud_reply: 7 });
});

test('first frame is a timed PING from node 1 on link 0 with an LE timespec and BE seq', () => {
  // 01 81 0001 00 00 | 00 | tv_sec LE | tv_nsec LE | seq BE | timed
  const p = parsePing(plain[0]!.payload);
  assert.ok(!(p instanceof WireError));
  assert.equal(p.header.type, KnetType.PING);
  assert.equal(p.header.node, 1);
  assert.equal(p.link, 0);
  assert.equal(p.timed, 1);
  assert.equal(p.seqNum, 0);
  assert.ok(p.timeSec > 0n && p.timeNsec >= 0n && p.timeNsec < 1_000_000_000n);
  // Its pong (frame 5 answers frame 4's ping from node 2) echoes the bytes except type and node.
  const ping4 = plain[3]!.payload;
  const pong5 = plain[4]!.payload;
  assert.equal(ping4[1], 0x81);
  assert.equal(pong5[1], 0x82);
  assert.deepEqual(Buffer.from(ping4.subarray(4)), Buffer.from(pong5.subarray(4)));
});

test('DATA header values: unicast token and broadcast mcast, fragments 1..n with seq shared', () => {
  let sawUnicast = false;
  let sawBcast = false;
  const fragSeqs = new Map<string, number[]>();
  for (const p of plain) {
    const d = parseData(p.payload);
    if (d instanceof WireError) continue;
    assert.equal(d.channel, 0);
    assert.equal(d.compress, 0);
    if (d.bcast === 0) sawUnicast = true;
    else sawBcast = true;
    if (d.fragNum > 1) {
      const k = `${d.header.node}/${d.seqNum}/${p.meta.dst}`;
      fragSeqs.set(k, [...(fragSeqs.get(k) ?? []), d.fragSeq]);
    } else {
      assert.equal(d.fragSeq, 0);
    }
  }
  assert.ok(sawUnicast && sawBcast);
  assert.ok(fragSeqs.size > 0);
  for (const [k, seqs] of fragSeqs) {
    const sorted = [...seqs].sort((a, b) => a - b);
    assert.deepEqual(sorted, Array.from({ length: sorted.length }, (_, i) => i + 1), k);
  }
});

test('PMTUD probe size is little-endian and the probe is padded to it', () => {
  const probes = plain.map((p) => parsePmtud(p.payload)).filter((x) => !(x instanceof WireError));
  assert.equal(probes.length, 14);
  for (const pr of probes) {
    assert.ok(!(pr instanceof WireError));
    assert.equal(pr.size, 1500);
    if (pr.header.type === KnetType.PMTUD) assert.equal(pr.paddingLength + 9 + 28, 1500);
    else assert.equal(pr.paddingLength, 0);
  }
});

test('malformed packets give typed errors', () => {
  const ping = plain[0]!.payload;
  const cases: [Uint8Array, string][] = [
    [new Uint8Array(0), 'knet.too_short'],
    [ping.subarray(0, 6), 'knet.too_short'],
    [Uint8Array.from([2, ...ping.subarray(1)]), 'knet.bad_version'],
    [Uint8Array.from([1, 0x85, ...ping.subarray(2)]), 'knet.bad_type'],
    [Uint8Array.from([1, 0x01, ...ping.subarray(2)]), 'knet.bad_type'],
    [ping.subarray(0, 20), 'knet.too_short'],
    [Uint8Array.from([1, 0, 0, 1, 0, 0, 0, 5, 0, 0, 1, 3, 0, 0, 0xaa]), 'knet.bad_frag'],
    [Uint8Array.from([1, 0, 0, 1, 0, 0, 0, 5, 0, 0, 1, 3, 4, 0, 0xaa]), 'knet.bad_frag'],
    [Uint8Array.from([1, 0x83, 0, 1, 0, 0, 0, 0xdc]), 'knet.too_short'],
  ];
  for (const [b, code] of cases) {
    const r = parseKnetPacket(b);
    assert.ok(r instanceof WireError, code);
    assert.equal(r.code, code);
  }
  const h = parseHeader(Uint8Array.from([1, 0x82, 0x01, 0x02, 0, 0, 0]));
  assert.ok(!(h instanceof WireError));
  assert.equal(h.node, 0x0102);
});

function names(nodes: readonly FieldNode[], out = new Set<string>()): Set<string> {
  for (const n of nodes) {
    out.add(n.field.name);
    if (n.children) names(n.children, out);
  }
  return out;
}

test('field tree uses the catalog names and the summary is one line', () => {
  const d = new KnetDecoder();
  const seen = new Set<string>();
  const summaries: string[] = [];
  for (const p of plain) {
    const r = d.decode(p.payload, p.meta);
    names(knetTree(r), seen);
    const s = knetSummary(r);
    assert.ok(!s.includes('\n'));
    if (summaries.length < 40) summaries.push(s);
  }
  for (const n of [
    'knet',
    'knet.link',
    'knet.header.version',
    'knet.header.type',
    'knet.header.node',
    'knet.data.seq_num',
    'knet.data.compress',
    'knet.data.bcast',
    'knet.data.frag_num',
    'knet.data.frag_seq',
    'knet.data.channel',
    'knet.ping.link',
    'knet.ping.time_sec',
    'knet.ping.time_nsec',
    'knet.ping.seq_num',
    'knet.ping.timed',
    'knet.pmtud.link',
    'knet.pmtud.size',
  ]) {
    assert.ok(seen.has(n), n);
  }
  const catalog = new Set(KNET_FIELDS.map((f) => f.name));
  for (const n of seen) assert.ok(catalog.has(n), `${n} in catalog`);
  assert.ok(catalog.has('knet.crypto.cipher') && catalog.has('knet.crypto.hash') && catalog.has('knet.crypto.salt') && catalog.has('knet.crypto.hmac_ok'));
  assert.match(summaries[0]!, /^knet PING node 1 link 0 seq 0 t=\d+\.\d{9}$/);
  assert.ok(summaries.some((s) => /^knet DATA node \d+ seq \d+ (u|b)cast ch 0 link 0 len \d+$/.test(s)));
});
