/**
 * RingAnalyzer on the lab-made samples (samples/<name>, real corosync 3.1.7): memberships match every
 * node's log, and each failure is classified as the logs show it happened (a node that corosync
 * reports under "Failed to receive the leave message" died; one that left with a leave did not fail).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { analyzeFiles } from '../../src/analysis/files.ts';
import { analysisConfigFromConf } from '../../src/analysis/confTimers.ts';

const SAMPLES = fileURLToPath(new URL('../../samples/', import.meta.url));

async function analyze(name: string) {
  const conf = analysisConfigFromConf(readFileSync(`${SAMPLES}${name}/corosync.conf`, 'utf8'));
  const { report } = await analyzeFiles([`${SAMPLES}${name}/capture.pcap`], {
    analyzer: { tokenMs: conf.tokenMs, nodeNames: conf.nodeNames, nodeAddresses: conf.nodeAddresses, timersSource: 'corosync.conf' },
  });
  return report;
}

/** Ring ids that two or more nodes logged (a singleton ring never puts its token on the wire). */
function sharedLoggedRings(name: string, nodes: readonly number[]): Set<string> {
  const by = new Map<string, number>();
  for (const n of nodes) {
    const text = readFileSync(`${SAMPLES}${name}/node${n}.log`, 'utf8');
    for (const m of text.matchAll(/A new membership \(([0-9a-f]+\.[0-9a-f]+)\) was formed/g)) by.set(m[1]!, (by.get(m[1]!) ?? 0) + 1);
  }
  return new Set([...by].filter(([, c]) => c >= 2).map(([r]) => r));
}

for (const name of ['udpu-idle', 'udpu-cpg-load', 'udpu-kill-restart', 'udp-multicast']) {
  test(`${name}: every ring the nodes logged is in memberships[]`, async () => {
    const report = await analyze(name);
    const found = new Set(report.memberships.map((m) => m.ring_id));
    for (const r of sharedLoggedRings(name, [1, 2, 3])) assert.ok(found.has(r), `ring ${r} missing from ${[...found].join(' ')}`);
  });
}

test('udpu-kill-restart: the SIGKILLed node is classified as dead, even though it later leaves cleanly', async () => {
  const log1 = readFileSync(`${SAMPLES}udpu-kill-restart/node1.log`, 'utf8');
  const failed = /Failed to receive the leave message\. failed: (\d+)/.exec(log1);
  assert.ok(failed !== null, 'node 1 logged a node that failed without a leave message');
  const dead = Number(failed[1]);
  const report = await analyze('udpu-kill-restart');
  const loss = report.token.losses.find((l) => l.missing.includes(dead));
  assert.ok(loss !== undefined, `no token loss names node ${dead}`);
  assert.equal(loss.classification, 'node_died');
  assert.equal(loss.last_holder, dead);
  // The later clean stop of that node (a leave message at the end of the capture) is not a failure.
  assert.ok(report.token.losses.every((l) => l === loss || l.classification !== 'node_died' || !l.missing.includes(dead)));
});
