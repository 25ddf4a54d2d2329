/**
 * RingAnalyzer on the real reference captures (samples/reference, corosync 3.1.7): every
 * "A new membership (R) was formed" line of node 1's log is in memberships[] with the same ring id
 * and members; the captures are clean (no loss, no capture gaps); several captures merge.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { analyzeFiles } from '../../src/analysis/files.ts';
import { analysisConfigFromConf } from '../../src/analysis/confTimers.ts';
import { renderTextReport } from '../../src/analysis/textReport.ts';
import type { AnalysisReport } from '../../src/analysis/types.ts';

const REF = fileURLToPath(new URL('../../samples/reference/', import.meta.url));

/** "A new membership (1.9) was formed. Members joined: 2 left: 3" → ring id and members (joined/left applied in turn). */
function loggedRings(logText: string): { ringId: string; members: number[] }[] {
  let members: number[] = [];
  const out: { ringId: string; members: number[] }[] = [];
  const re = /A new membership \(([0-9a-f]+\.[0-9a-f]+)\) was formed\. Members(?: joined: ([\d ]+?))?(?: left: ([\d ]+?))?\s*$/;
  for (const line of logText.split('\n')) {
    const m = re.exec(line);
    if (m === null) continue;
    const ids = (s: string | undefined): number[] => (s === undefined ? [] : s.trim().split(/\s+/).map(Number));
    const left = ids(m[3]);
    members = [...members.filter((n) => !left.includes(n)), ...ids(m[2])].sort((a, b) => a - b);
    out.push({ ringId: m[1] ?? '', members });
  }
  return out;
}

async function analyzeSample(name: string): Promise<AnalysisReport> {
  const conf = analysisConfigFromConf(readFileSync(`${REF}${name}.conf`, 'utf8'));
  const { report } = await analyzeFiles([`${REF}${name}.pcap`], {
    analyzer: { tokenMs: conf.tokenMs, nodeNames: conf.nodeNames, nodeAddresses: conf.nodeAddresses, timersSource: 'corosync.conf' },
  });
  return report;
}

for (const name of ['udpu', 'udp']) {
  test(`${name}.pcap: node 1's memberships are in memberships[] with the same ring id and members`, async () => {
    const report = await analyzeSample(name);
    const logged = loggedRings(readFileSync(`${REF}${name}.node1.log`, 'utf8'));
    assert.ok(logged.length >= 2);
    for (const l of logged) {
      const m = report.memberships.find((x) => x.ring_id === l.ringId);
      assert.ok(m, `ring ${l.ringId}: have ${report.memberships.map((x) => x.ring_id).join(' ')}`);
      assert.deepEqual([...m.members], l.members, `members of ${l.ringId}`);
    }
    // Rings formed inside the capture carry the initial ORF time and the gather/commit story.
    const formed = report.memberships.filter((m) => m.formed_at !== null);
    assert.ok(formed.length >= 1);
    for (const m of formed) {
      assert.ok(m.commit !== null && m.commit.hops >= 2 * m.members.length, `${m.ring_id} commit ${JSON.stringify(m.commit)}`);
      assert.equal(m.classification, 'node_joined');
    }
    assert.equal(report.token.losses.length, 0);
    assert.equal(report.capture_gaps.missing_mcasts, 0);
    assert.equal(report.capture_gaps.missing_token_hops, 0);
    assert.equal(report.address_changes.length, 0);
    assert.ok(report.token.rotation_ms.count > 0);
    assert.deepEqual(report.token.near_misses, []);
    assert.ok(renderTextReport(report).startsWith('VERDICT: '));
  });
}

test('udpu.pcap: token hops map destinations to nodeids; hold times for every node', async () => {
  const report = await analyzeSample('udpu');
  assert.deepEqual(
    report.nodes.map((n) => [n.nodeid, n.name, n.addresses]),
    [
      [1, 'n1', ['10.77.0.1']],
      [2, 'n2', ['10.77.0.2']],
      [3, 'n3', ['10.77.0.3']],
    ],
  );
  assert.deepEqual(Object.keys(report.token.hold_ms), ['1', '2', '3']);
  for (const d of Object.values(report.token.hold_ms)) assert.ok(d.count > 10 && d.p50 < 50);
});

test('two captures of the same traffic merge into one timeline without double counting', async () => {
  const single = await analyzeSample('udpu');
  const { report, files } = await analyzeFiles([`${REF}udpu.pcap`, `${REF}udpu.pcap`]);
  assert.equal(files.length, 2);
  assert.equal(files[1]?.clock_offset_s, 0);
  assert.ok((files[1]?.common_token_hops ?? 0) > 0);
  assert.equal(files[1]?.duplicates_dropped, files[1]?.frames);
  assert.deepEqual(
    report.memberships.map((m) => [m.ring_id, m.members]),
    single.memberships.map((m) => [m.ring_id, m.members]),
  );
  assert.equal(report.retransmits.requested, single.retransmits.requested);
  assert.equal(report.token.rotation_ms.count, single.token.rotation_ms.count);
});

test('knet-plain.pcap: memberships after the singleton rings, knet link statistics', async () => {
  const report = await analyzeSample('knet-plain');
  const logged = loggedRings(readFileSync(`${REF}knet-plain.node1.log`, 'utf8'));
  // knet sends nothing for a ring of one (no link is up yet), so node 1's first ring (1.5) is not on
  // the wire; every later ring is.
  for (const l of logged.slice(1)) {
    const m = report.memberships.find((x) => x.ring_id === l.ringId);
    assert.ok(m, `ring ${l.ringId}`);
    assert.deepEqual([...m.members], l.members);
  }
  assert.deepEqual(ringJoined(report, '1.9'), [2]);
  assert.deepEqual(ringJoined(report, '1.d'), [3]);
  assert.deepEqual(report.capture.transports, ['knet']);
  assert.ok(report.knet !== null);
  assert.equal(report.knet.pings.length, 6);
  for (const p of report.knet.pings) assert.ok(p.rtt !== null && p.rtt.p50Ms < 5);
  assert.deepEqual(Object.keys(report.token.hold_ms), ['1', '2', '3']);
  assert.equal(report.capture_gaps.missing_mcasts, 0);
  assert.equal(report.token.losses.length, 0);
});

test('knet-aes256.pcap with --key: decrypted, same memberships as the log', async () => {
  const conf = analysisConfigFromConf(readFileSync(`${REF}knet-aes256.conf`, 'utf8'));
  const key = new Uint8Array(readFileSync(`${REF}authkey-knet-aes256-hashonly.bin`));
  const { report } = await analyzeFiles([`${REF}knet-aes256.pcap`], { analyzer: { tokenMs: conf.tokenMs }, pipeline: { knet: { keys: [key] } } });
  assert.equal(report.capture.frames.error, 0);
  const m = report.memberships.find((x) => x.ring_id === '1.9');
  assert.ok(m);
  assert.deepEqual([...m.members], [1, 2]);
  assert.deepEqual([...m.joined], [2]);
});

function ringJoined(report: AnalysisReport, id: string): number[] {
  return [...(report.memberships.find((m) => m.ring_id === id)?.joined ?? [])];
}
