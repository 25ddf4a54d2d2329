/** knet link statistics: RTT, lost pongs, PMTUD on knet-plain.pcap; link down/up on synthetic pings. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { KnetDecoder, type KnetResult } from '../../dissectors/knet/decoder.ts';
import { analyzeKnetLinks, knetDataMtu, KnetLinkAnalyzer, type KnetLinkObservation } from '../../src/analysis/knetLinks.ts';
import { fixturePath, readUdpCapture } from '../fixtures/knet/capture.ts';

function observations(name: string): KnetLinkObservation[] {
  const d = new KnetDecoder();
  return readUdpCapture(name).map((p) => ({ timeNs: p.timeNs, src: p.meta.src, dst: p.meta.dst, length: p.payload.length, result: d.decode(p.payload, p.meta) }));
}

const report = analyzeKnetLinks(observations('knet-plain.pcap'));

test('knet-plain.pcap: per link and node pair traffic adds up to the capture', () => {
  assert.equal(report.traffic.length, 6); // 3 nodes, both directions, link 0
  const total = report.traffic.reduce((a, t) => a + t.packets, 0);
  assert.equal(total, 5044);
  assert.equal(report.traffic.reduce((a, t) => a + t.ping, 0), 60);
  assert.equal(report.traffic.reduce((a, t) => a + t.pong, 0), 57);
  for (const t of report.traffic) {
    assert.equal(t.link, 0);
    assert.ok(typeof t.from === 'number' && typeof t.to === 'number' && t.from !== t.to);
    assert.equal(t.data + t.ping + t.pong + t.pmtud + t.pmtudReply + t.errors, t.packets);
  }
});

test('knet-plain.pcap: ping→pong RTT per path, comparable with corosync-cmapctl latency', () => {
  assert.equal(report.pings.length, 6);
  const stats = readFileSync(fixturePath('knet-plain.node1.cmapctl-m-stats.txt'), 'utf8');
  const latencyAveUs = (node: number): number => Number(new RegExp(`stats\\.knet\\.node${node}\\.link0\\.latency_ave \\(u32\\) = (\\d+)`).exec(stats)![1]);
  for (const p of report.pings) {
    assert.ok(p.pings >= 9 && p.pongs >= 8, `${p.pinger}->${p.responder}: ${p.pings} pings ${p.pongs} pongs`);
    assert.equal(p.unmatchedPongs, 0);
    assert.ok(p.rtt);
    assert.ok(p.rtt.minMs > 0 && p.rtt.p50Ms <= p.rtt.p99Ms && p.rtt.p99Ms <= p.rtt.maxMs);
    assert.ok(p.rtt.maxMs < 5, 'LAN in namespaces: sub-5 ms');
    assert.ok(p.embeddedRtt && p.embeddedRtt.samples === p.rtt.samples);
    // Pings are sent about every knet_ping_interval (912 ms here), by the pinger's own clock.
    assert.ok(p.embeddedPingIntervalMs !== null && p.embeddedPingIntervalMs > 800 && p.embeddedPingIntervalMs < 1200, String(p.embeddedPingIntervalMs));
    // Each link goes up after 2 pongs (pong_count), and never down in this capture.
    assert.deepEqual(p.events.map((e) => e.kind), ['up']);
    if (p.pinger === 1) {
      // node1's view of the link latency (µs), from the stats dump at the end of the same run:
      // same order of magnitude as the RTT seen at the capture point.
      const ave = latencyAveUs(p.responder as number) / 1000;
      assert.ok(p.rtt.meanMs / ave < 10 && ave / p.rtt.meanMs < 10, `capture ${p.rtt.meanMs} ms vs knet ${ave} ms`);
    }
  }
  // Only the very first pings, sent before the peer was up, went unanswered.
  assert.ok(report.pings.reduce((a, p) => a + p.lostPongs, 0) <= 6);
});

test('knet-plain.pcap: PMTUD settles on 1500, i.e. knet data MTU 1446 as corosync reports', () => {
  assert.ok(report.pmtud.length >= 5);
  for (const p of report.pmtud) {
    assert.equal(p.settledMtu, 1500);
    assert.equal(knetDataMtu(p.settledMtu!), 1446);
  }
  const stats = readFileSync(fixturePath('knet-plain.node1.cmapctl-m-stats.txt'), 'utf8');
  assert.match(stats, /stats\.knet\.node2\.link0\.mtu \(u32\) = 1446/);
  // wire-format.md §7.4: aes256/sha256 ⇒ 1397, sha1 only ⇒ 1426.
  assert.equal(knetDataMtu(1500, { cipher: 'aes256', hashLength: 32 }), 1397);
  assert.equal(knetDataMtu(1500, { hashLength: 20 }), 1426);
});

test('a link whose pongs stop goes down after the pong timeout and up after pong_count pongs (plain timeout)', () => {
  const a = new KnetLinkAnalyzer({ pongTimeoutNs: 2_000_000_000n, pongCount: 2, backoff: false });
  const t0 = 1_800_000_000_000_000_000n;
  const ms = (x: number): bigint => t0 + BigInt(x) * 1_000_000n;
  const ping = (seq: number, sec: number, type: 0x81 | 0x82): KnetResult => ({
    kind: type === 0x81 ? 'ping' : 'pong',
    ping: { header: { version: 1, type, node: type === 0x81 ? 1 : 2, pad1: 0, pad2: 0 }, link: 0, timeSec: BigInt(sec), timeNsec: 0n, seqNum: seq, timed: 1 },
    timeNs: 0n,
    link: 0,
    crypto: { cipher: 'none', hash: 'none', keyIndex: -1, hmacOk: false },
    expired: [],
  });
  for (let s = 0; s < 20; s++) {
    a.add({ timeNs: ms(s * 1000), src: '192.0.2.1', dst: '192.0.2.2', result: ping(5, 100 + s, 0x81) });
    const answered = s < 5 || s >= 10; // link cut from second 5 to 10
    if (answered) a.add({ timeNs: ms(s * 1000 + 1), src: '192.0.2.2', dst: '192.0.2.1', result: ping(5, 100 + s, 0x82) });
  }
  const [path] = a.report().pings;
  assert.ok(path);
  assert.equal(path.lostPongs, 5);
  assert.deepEqual(
    path.events.map((e) => [e.kind, Number((e.timeNs - t0) / 1_000_000n)]),
    [
      ['up', 2001], // knet: the pong after pong_count (2) pongs
      ['down', 6001], // last pong at 4001 + 2 s
      ['up', 12001],
    ],
  );
  assert.equal(path.rtt?.samples, 15);
  assert.equal(path.rtt?.p50Ms, 1);
});

test('knet backoff model: the effective pong timeout starts at 10x and decays by one per second', () => {
  const t0 = 1_800_000_000_000_000_000n;
  const s = (x: number): bigint => t0 + BigInt(Math.round(x * 1000)) * 1_000_000n;
  const obs = (kind: 'ping' | 'pong', at: number, sec: number): KnetLinkObservation => ({
    timeNs: s(at),
    src: kind === 'ping' ? '192.0.2.1' : '192.0.2.2',
    dst: kind === 'ping' ? '192.0.2.2' : '192.0.2.1',
    result: {
      kind,
      ping: { header: { version: 1, type: kind === 'ping' ? 0x81 : 0x82, node: kind === 'ping' ? 1 : 2, pad1: 0, pad2: 0 }, link: 0, timeSec: BigInt(sec), timeNsec: 0n, seqNum: 1, timed: 1 },
      timeNs: 0n,
      link: 0,
      crypto: { cipher: 'none', hash: 'none', keyIndex: -1, hmacOk: false },
      expired: [],
    },
  });
  const a = new KnetLinkAnalyzer({ pongTimeoutNs: 500_000_000n });
  // Pings every 0.25 s for 3 s, answered; then silence (pings continue, no pongs) until 20 s.
  for (let i = 0; i * 0.25 < 20; i++) {
    a.add(obs('ping', i * 0.25, i));
    if (i * 0.25 < 3) a.add(obs('pong', i * 0.25, i));
  }
  const [path] = a.report().pings;
  const events = path!.events.map((e) => [e.kind, Number((e.timeNs - t0) / 1_000_000n)]);
  // Last pong at 2.75 s. backoff b is 10 − floor(t − 0 s): at t = 4.5 s b = 6 → 2.75 + 3.0 = 5.75 > 5;
  // b = 5 from 5 s: 2.75 + 2.5 = 5.25 ⇒ down at 5.25 s.
  assert.deepEqual(events, [
    ['up', 500],
    ['down', 5250],
  ]);
});
