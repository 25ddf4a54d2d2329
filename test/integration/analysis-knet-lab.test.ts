/**
 * Issue 8 acceptance, knet: a two-link cluster where link 0 of node 3 is cut, then restored.
 * `totemscope analyze --json` on the bridge capture must report the link going down and up on
 * link 0 between nodes 1 and 3 near the times corosync logged ("link: host: 3 link: 0 is down" /
 * "is up" on node 1), and the rings corosync logged. Fails without the lab prerequisites.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { requireLabPrerequisites, sleep, withLab } from '../lab/index.ts';

const CLI = new URL('../../bin/totemscope.mjs', import.meta.url).pathname;

interface PingPath {
  link: number;
  pinger: number;
  responder: number;
  lostPongs: number;
  events: { kind: 'up' | 'down'; timeNs: number }[];
}

test('analyze: knet link 0 cut on one node is reported as down/up at the times corosync logged', { timeout: 180_000 }, async () => {
  requireLabPrerequisites();
  await withLab({ nodes: 3, transport: 'knet', links: 2, linkPriority: [2, 1] }, async (lab) => {
    await lab.startCapture({ filter: 'udp' });
    await lab.start();
    const ring = await lab.waitForRing();
    await sleep(2000);
    const cutAt = Date.now();
    const fault = await lab.cutLink(3, 0);
    await sleep(6000);
    await fault.remove();
    const restoredAt = Date.now();
    await sleep(5000);
    const pcap = await lab.stopCapture();

    const dir = mkdtempSync(path.join(os.tmpdir(), 'totemscope-analyze-knet-'));
    const conf = path.join(dir, 'corosync.conf');
    writeFileSync(conf, lab.config);
    const r = spawnSync(process.execPath, [CLI, 'analyze', '--json', '--config', conf, pcap], { encoding: 'utf8', maxBuffer: 64 << 20 });
    assert.equal(r.status, 0, r.stderr);
    const report = JSON.parse(r.stdout) as { memberships: { ring_id: string }[]; knet?: { pings: PingPath[] } };
    assert.ok(report.memberships.some((m) => m.ring_id === ring), `ring ${ring} reported`);

    const log = lab.parsedLog(1);
    const down = log.knetLinks.find((e) => e.host === 3 && e.link === 0 && !e.up && e.time >= cutAt - 1000);
    const up = log.knetLinks.find((e) => e.host === 3 && e.link === 0 && e.up && e.time >= restoredAt - 1000);
    assert.ok(down !== undefined && up !== undefined, `corosync logged link 0 of host 3 down and up: ${JSON.stringify(log.knetLinks)}`);
    const timing = log.lines.map((l) => /host: 3 link: 0 timeout update - interval: (\d+) timeout: (\d+)/.exec(l.message)).find((m) => m !== null);
    assert.ok(timing, 'knet timeout update line');
    const intervalMs = Number(timing[1]) / 1000;

    const pathInfo = report.knet?.pings.find((p) => p.link === 0 && p.pinger === 1 && p.responder === 3);
    assert.ok(pathInfo !== undefined, 'analyze reports link 0 from node 1 to node 3');
    assert.ok(pathInfo.lostPongs >= 2, `${pathInfo.lostPongs} lost pongs`);
    const near = (kind: 'up' | 'down', at: number): boolean =>
      pathInfo.events.some((e) => e.kind === kind && Math.abs(e.timeNs / 1e6 - at) <= intervalMs + 250);
    assert.ok(near('down', down.time), `down near ${new Date(down.time).toISOString()}: ${JSON.stringify(pathInfo.events)}`);
    assert.ok(near('up', up.time), `up near ${new Date(up.time).toISOString()}: ${JSON.stringify(pathInfo.events)}`);
  });
});
