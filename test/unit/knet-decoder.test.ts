/**
 * KnetDecoder on the real captures (zero errors, totemsrp messages out, ring ids as logged,
 * fragments reassembled) and on synthetic traffic for the cases captures do not show:
 * out-of-order, duplicate and missing fragments, eviction, links, compression.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { deflateSync } from 'node:zlib';
import { WireError } from '../../dissectors/errors.ts';
import { emitData, parseData, type KnetData } from '../../dissectors/knet/data.ts';
import { KnetDecoder, type KnetMeta, type KnetResult } from '../../dissectors/knet/decoder.ts';
import { emitPing } from '../../dissectors/knet/ping.ts';
import { fixturePath, readUdpCapture } from '../fixtures/knet/capture.ts';
import { sealKnet } from '../fixtures/knet/seal.ts';
import { decodeTotem } from '../../dissectors/totemsrp/index.ts';
import { formatRingId } from '../../dissectors/totemsrp/types.ts';

const key = new Uint8Array(readFileSync(fixturePath('authkey-knet-aes256-hashonly.bin')));

interface RunResult {
  decoder: KnetDecoder;
  messages: { frame: number; node: number; seq: number; data: Uint8Array }[];
}

function run(name: string, keys: Uint8Array[] = []): RunResult {
  const decoder = new KnetDecoder({ keys });
  const messages: RunResult['messages'] = [];
  for (const p of readUdpCapture(name)) {
    const r = decoder.decode(p.payload, p.meta);
    if (r.kind === 'error') assert.fail(`${name} frame ${p.frame}: ${r.error.toString()}`);
    if (r.kind === 'data' && r.status === 'complete') messages.push({ frame: p.frame, node: r.data.header.node, seq: r.data.seqNum, data: r.userData! });
  }
  assert.deepEqual(decoder.flush(), []);
  return { decoder, messages };
}

/** Ring ids (`rep.seq` hex as corosync logs them) from ORF tokens (wire-format.md §3.3: ring_id @29). */
function ringIdsFromTokens(messages: RunResult['messages']): Set<string> {
  const ids = new Set<string>();
  for (const m of messages) {
    const b = Buffer.from(m.data);
    if (b.length >= 57 && b[3] === 0) ids.add(`${b.readUInt32LE(29).toString(16)}.${b.readBigUInt64LE(33).toString(16)}`);
  }
  return ids;
}

function loggedRingIds(log: string): string[] {
  return [...readFileSync(fixturePath(log), 'utf8').matchAll(/A new membership \(([0-9a-f]+\.[0-9a-f]+)\) was formed/g)].map((m) => m[1]!);
}

const captures = [
  { pcap: 'knet-plain.pcap', log: 'knet-plain.node1.log', keys: [] as Uint8Array[] },
  { pcap: 'knet-aes256.pcap', log: 'knet-aes256.node1.log', keys: [key] },
  { pcap: 'knet-hashonly.pcap', log: null, keys: [key] },
];

for (const c of captures) {
  test(`${c.pcap}: every packet decodes, every message is a totemsrp v3 message`, () => {
    const { decoder, messages } = run(c.pcap, c.keys);
    const n = readUdpCapture(c.pcap).length;
    assert.equal(decoder.counters.packets, n);
    assert.equal(decoder.counters.decoded, n);
    assert.equal(decoder.counters.errors, 0);
    assert.equal(decoder.counters.incomplete, 0);
    assert.ok(messages.length > 100);
    for (const m of messages) assert.deepEqual([...m.data.subarray(0, 3)], [0x70, 0xc0, 0x03], `frame ${m.frame}`);
    if (c.log) {
      const tokens = ringIdsFromTokens(messages);
      const logged = loggedRingIds(c.log);
      assert.ok(logged.length >= 2);
      // Node 1 starts first: its first ring (1.5) has only itself, and a lone node's token goes over
      // knet's loopback link, never on the wire. Every later ring must be there, and nothing else.
      assert.equal(logged[0], '1.5');
      for (const id of logged.slice(1)) assert.ok(tokens.has(id), `ring ${id} from the log is in the decoded tokens (${[...tokens].join(' ')})`);
      for (const id of tokens) assert.ok(logged.includes(id), `decoded ring ${id} is logged`);
    }
  });
}

test('the totemsrp dissector decodes every message knet delivers, ring ids as in the ORF tokens', () => {
  for (const c of captures) {
    const { messages } = run(c.pcap, c.keys);
    const viaTotem = new Set<string>();
    for (const m of messages) {
      const t = decodeTotem(m.data);
      assert.ok(!(t instanceof WireError), `${c.pcap} frame ${m.frame}: ${String(t)}`);
      if (t.kind === 'orf_token') viaTotem.add(formatRingId(t.ringId));
    }
    assert.deepEqual([...viaTotem].sort(), [...ringIdsFromTokens(messages)].sort(), c.pcap);
  }
});

test('knet-plain.pcap: fragmented 3000-byte CPG messages reassemble to the sum of their fragments', () => {
  const packets = readUdpCapture('knet-plain.pcap');
  const fragBytes = new Map<string, { total: number; num: number; seen: Set<number> }>();
  for (const p of packets) {
    const d = parseData(p.payload);
    if (d instanceof WireError || d.fragNum <= 1) continue;
    const k = `${d.header.node}/${d.seqNum}/${p.meta.dst}`;
    const e = fragBytes.get(k) ?? { total: 0, num: d.fragNum, seen: new Set<number>() };
    if (!e.seen.has(d.fragSeq)) e.total += d.userData.length;
    e.seen.add(d.fragSeq);
    fragBytes.set(k, e);
  }
  const { decoder, messages } = run('knet-plain.pcap');
  const bySeq = new Map(messages.map((m) => [`${m.node}/${m.seq}`, m.data.length]));
  let checked = 0;
  for (const [k, e] of fragBytes) {
    const [node, seq] = k.split('/');
    assert.equal(bySeq.get(`${node}/${seq}`), e.total, k);
    checked++;
  }
  assert.ok(checked >= 60);
  assert.equal(decoder.counters.reassembled, 66);
  // The CPG payload (3000 B) + totempg/totemsrp headers: 58 messages of 3244 bytes in 3 fragments.
  assert.equal(messages.filter((m) => m.data.length === 3244).length, 58);
  // 3 nodes: every broadcast is sent to 2 receivers; the second copy is a duplicate.
  assert.ok(decoder.counters.duplicates > 0);
});

// ---------- synthetic traffic ----------

const A = '192.0.2.1';
const B = '192.0.2.2';
const C = '192.0.2.3';
const B1 = '198.51.100.2'; // node 2 on link 1
let clock = 1_800_000_000_000_000_000n;
function meta(src: string, dst: string, port = 5405, advanceNs = 1_000_000n): KnetMeta {
  clock += advanceNs;
  return { src, dst, srcPort: port, dstPort: port, timeNs: clock };
}

function dataPacket(node: number, seq: number, userData: Uint8Array, over: Partial<KnetData> = {}): Uint8Array {
  return emitData({
    header: { version: 1, type: 0, node, pad1: 0, pad2: 0 },
    seqNum: seq,
    compress: 0,
    pad1: 0,
    bcast: 1,
    fragNum: 1,
    fragSeq: 0,
    channel: 0,
    userData,
    ...over,
  });
}

function fragments(node: number, seq: number, msg: Uint8Array, size: number, compress = 0): Uint8Array[] {
  const n = Math.ceil(msg.length / size);
  return Array.from({ length: n }, (_, i) => dataPacket(node, seq, msg.subarray(i * size, (i + 1) * size), { fragNum: n, fragSeq: i + 1, compress }));
}

const message = new Uint8Array(Array.from({ length: 3000 }, (_, i) => (i * 7) & 0xff));
message.set([0x70, 0xc0, 0x03]);

function complete(r: KnetResult): Uint8Array {
  assert.equal(r.kind, 'data');
  if (r.kind !== 'data') throw new Error('unreachable');
  assert.equal(r.status, 'complete');
  return r.userData!;
}

test('fragments in any order, last first, with a duplicate fragment, reassemble once', () => {
  const d = new KnetDecoder();
  const f = fragments(2, 100, message, 1000);
  const order = [2, 0, 2, 1];
  const results = order.map((i) => d.decode(f[i]!, meta(B, A)));
  assert.ok(results.slice(0, 3).every((r) => r.kind === 'data' && r.status === 'fragment_pending'));
  assert.ok(results[2]!.kind === 'data' && results[2]!.duplicateFragment === true);
  assert.deepEqual(Buffer.from(complete(results[3]!)), Buffer.from(message));
  assert.equal(d.counters.duplicateFragments, 1);
  assert.equal(d.counters.reassembled, 1);
  // The same message again (another link): a duplicate, not a second message.
  for (const frag of f) {
    const r = d.decode(frag, meta(B1, A, 5406));
    assert.ok(r.kind === 'data' && r.status === 'duplicate');
    assert.equal(r.link, 1);
  }
  assert.equal(d.counters.messages, 1);
});

test('duplicate suppression across links and the receiver scope', () => {
  const payload = Uint8Array.from([0x70, 0xc0, 0x03, 0, 1, 2]);
  const sender = new KnetDecoder();
  assert.equal(sender.decode(dataPacket(2, 7, payload), meta(B, A)).kind, 'data');
  const again = sender.decode(dataPacket(2, 7, payload), meta(B1, A, 5406));
  assert.ok(again.kind === 'data' && again.status === 'duplicate');
  // Broadcast copy to another node: one delivery per receiver with scope "receiver".
  const rx = new KnetDecoder({ dedupScope: 'receiver' });
  rx.decode(dataPacket(1, 1, payload), meta(A, B)); // learn A = node 1
  rx.decode(dataPacket(3, 1, payload), meta(C, B)); // learn C = node 3
  const first = rx.decode(dataPacket(2, 9, payload), meta(B, A));
  const toC = rx.decode(dataPacket(2, 9, payload), meta(B, C));
  const toAagain = rx.decode(dataPacket(2, 9, payload), meta(B, A));
  assert.ok(first.kind === 'data' && first.status === 'complete');
  assert.ok(toC.kind === 'data' && toC.status === 'complete');
  assert.ok(toAagain.kind === 'data' && toAagain.status === 'duplicate');
});

test('a restarted sender (untimed ping, no data since) reuses seq numbers without false duplicates', () => {
  const d = new KnetDecoder();
  const payload = Uint8Array.from([0x70, 0xc0, 0x03, 9]);
  complete(d.decode(dataPacket(2, 1, payload), meta(B, A)));
  const ping = (seq: number, timed: number): Uint8Array =>
    emitPing({ header: { version: 1, type: 0x81, node: 2, pad1: 0, pad2: 0 }, link: 0, timeSec: 5n, timeNsec: 0n, seqNum: seq, timed });
  d.decode(ping(1, 0), meta(B, A)); // data was seen since the last untimed ping: no wipe
  const dup = d.decode(dataPacket(2, 1, payload), meta(B, A));
  assert.ok(dup.kind === 'data' && dup.status === 'duplicate');
  d.decode(ping(0, 1), meta(B, A)); // timed ping with seq 0: the sender restarted
  complete(d.decode(dataPacket(2, 1, payload), meta(B, A)));
});

test('a fragment that never completes is reported after the wait with what was missing', () => {
  const d = new KnetDecoder({ reassemblyTimeoutNs: 500_000_000n });
  const f = fragments(3, 42, message, 700); // 5 fragments
  d.decode(f[0]!, meta(C, A));
  d.decode(f[3]!, meta(C, A));
  const later = d.decode(dataPacket(3, 43, Uint8Array.from([0x70, 0xc0, 0x03])), meta(C, A, 5405, 2_000_000_000n));
  assert.equal(later.expired.length, 1);
  const inc = later.expired[0]!;
  assert.equal(inc.srcNode, 3);
  assert.equal(inc.seqNum, 42);
  assert.equal(inc.fragNum, 5);
  assert.deepEqual(inc.received, [1, 4]);
  assert.deepEqual(inc.missing, [2, 3, 5]);
  assert.equal(inc.reason, 'timeout');
  // At flush, open reassemblies are reported too.
  d.decode(f[1]!, meta(C, B));
  const flushed = d.flush();
  assert.equal(flushed.length, 1);
  assert.equal(flushed[0]!.reason, 'flush');
  assert.deepEqual(flushed[0]!.missing, [1, 3, 4, 5]);
  assert.equal(d.counters.incomplete, 2);
});

test('memory is bounded: a 33rd open reassembly evicts the least recently updated one', () => {
  const d = new KnetDecoder();
  for (let seq = 1; seq <= 32; seq++) d.decode(fragments(2, seq, message, 1000)[0]!, meta(B, A));
  const r = d.decode(fragments(2, 33, message, 1000)[0]!, meta(B, A));
  assert.equal(r.expired.length, 1);
  assert.equal(r.expired[0]!.seqNum, 1);
  assert.equal(r.expired[0]!.reason, 'evicted');
  assert.equal(d.flush().length, 32);
});

test('memory is bounded in senders too: the oldest sender state is dropped, its open reassembly reported', () => {
  const d = new KnetDecoder({ maxSenders: 2 });
  d.decode(fragments(1, 5, message, 1000)[0]!, meta(A, B));
  d.decode(fragments(2, 6, message, 1000)[0]!, meta(B, A));
  const r = d.decode(dataPacket(3, 1, Uint8Array.from([0x70, 0xc0, 0x03])), meta(C, A));
  assert.deepEqual(r.expired.map((i) => [i.srcNode, i.seqNum, i.reason]), [[1, 5, 'evicted']]);
  assert.deepEqual(d.flush().map((i) => i.srcNode), [2]);
});

test('compressed messages (fragmented, zlib) are reassembled then decompressed; bad ones are typed errors', () => {
  const d = new KnetDecoder();
  const packed = new Uint8Array(deflateSync(message));
  const f = fragments(2, 500, packed, 40, 1);
  let last: KnetResult | undefined;
  for (const frag of f) last = d.decode(frag, meta(B, A));
  assert.ok(last && last.kind === 'data' && last.compressedLength === packed.length);
  assert.deepEqual(Buffer.from(complete(last)), Buffer.from(message));
  assert.equal(d.counters.decompressed, 1);
  const bad = d.decode(dataPacket(2, 501, Uint8Array.from([1, 2, 3, 4]), { compress: 7 }), meta(B, A));
  assert.equal(bad.kind, 'error');
  if (bad.kind === 'error') {
    assert.equal(bad.error.code, 'knet.decompress.failed');
    assert.match(bad.error.message, /^zstd: /);
    assert.equal(bad.data?.seqNum, 501);
  }
  assert.equal(d.counters.errorsByCode['knet.decompress.failed'], 1);
});

test('encrypted fragments of one message decode per packet and reassemble', () => {
  const d = new KnetDecoder({ keys: [key] });
  const f = fragments(2, 77, message, 1397).map((p) => sealKnet(p, key, 'aes256', 'sha256'));
  const results = f.map((p) => d.decode(p, meta(B, A)));
  assert.deepEqual(Buffer.from(complete(results[results.length - 1]!)), Buffer.from(message));
  assert.ok(results.every((r) => r.kind === 'data' && r.crypto.cipher === 'aes256'));
});

test('link numbers come from the ping link field or the port (5405 + N)', () => {
  const d = new KnetDecoder();
  const r = d.decode(dataPacket(2, 1, Uint8Array.from([0x70, 0xc0, 0x03])), meta(B, A, 5407));
  assert.equal(r.link, 2);
  const ping = emitPing({ header: { version: 1, type: 0x81, node: 2, pad1: 0, pad2: 0 }, link: 1, timeSec: 1n, timeNsec: 2n, seqNum: 3, timed: 1 });
  assert.equal(d.decode(ping, meta(B1, A, 5406)).link, 1);
  assert.equal(d.decode(ping, meta(B1, A, 40000)).link, 1);
  assert.equal(d.linkFromPort(40000, 40000), -1);
  assert.equal(new KnetDecoder({ basePort: 5405, portStep: 2 }).linkFromPort(5409, 5409), 2);
});
