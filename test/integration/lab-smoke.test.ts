// Smoke test of the real-cluster lab (test/lab): a 3-node udpu corosync 3.1.7 cluster forms,
// CPG clients agree on one delivery order, the bridge capture holds the Totem traffic, a killed
// node is seen by the others, and teardown leaves nothing behind.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { Lab, requireLabPrerequisites, run, type CpgLog } from '../lab/index.ts';

function orderKey(log: CpgLog): string[] {
  return log.deliveries.map((d) => `${d.nodeid}/${d.pid}/${d.seq}/${d.size}/${d.checksum}`);
}

test('lab smoke: 3-node udpu cluster, CPG agreement, capture, node kill, cleanup', { timeout: 120_000 }, async (t) => {
  requireLabPrerequisites();
  const lab = await Lab.create({ nodes: 3, transport: 'udpu' });
  const labId = lab.id;
  const corosyncPids: number[] = [];
  try {
    const capture = await lab.startCapture();
    await lab.start();

    await t.test('ring forms with all 3 members on every node', async () => {
      const ringId = await lab.waitForRing();
      assert.match(ringId, /^[0-9a-f]+\.[0-9a-f]+$/);
      for (const n of lab.nodeIds) {
        assert.deepEqual(await lab.members(n), [1, 2, 3]);
        assert.match(lab.log(n), /A new membership \([0-9a-f]+\.[0-9a-f]+\) was formed/);
        const lastRing = lab.parsedLog(n).memberships.at(-1)?.ringId;
        assert.equal(lastRing, ringId, `node ${n} log's last ring`);
        const pid = lab.pid(n);
        assert.ok(pid !== undefined);
        corosyncPids.push(pid);
      }
    });

    await t.test('CPG clients on every node deliver the same sequence', async () => {
      const perSender = 40;
      const clients = await Promise.all(
        lab.nodeIds.map((n) =>
          lab.cpgClient(n, {
            count: perSender,
            // mixed sizes, several bigger than one udpu mcast (1410 bytes of totempg data)
            sizes: [64, 1400, [1500, 6000], 20_000, [100, 65_536]],
            seed: n,
            waitMembers: 3,
            expect: perSender * 3,
          }),
        ),
      );
      const logs = await Promise.all(clients.map((c) => c.wait(60_000)));
      const reference = orderKey(logs[0] as CpgLog);
      assert.equal(reference.length, perSender * 3);
      for (const [i, log] of logs.entries()) {
        assert.equal(log.done?.reason, 'expect', `client ${i + 1} finished`);
        assert.equal(log.bad.length, 0);
        assert.equal(log.errors.length, 0);
        assert.equal(log.sent.length, perSender);
        assert.deepEqual(orderKey(log), reference, `client on node ${i + 1} delivery order`);
        // each sender's messages arrive in its own send order, with the sizes/checksums it sent
        const own = log.deliveries.filter((d) => d.nodeid === log.start?.nodeid && d.pid === log.start.pid);
        assert.deepEqual(
          own.map((d) => [d.seq, d.size, d.checksum]),
          log.sent.map((s) => [s.seq, s.size, s.checksum]),
        );
      }
      assert.ok(logs[0]?.deliveries.some((d) => d.size > 1410), 'some messages exceed one mcast');
    });

    await t.test('a killed node is seen leaving by the others', async () => {
      const marks = [lab.logMark(1), lab.logMark(3)];
      await lab.kill(2);
      assert.equal(lab.isRunning(2), false);
      await lab.waitForMembers([1, 3], [1, 3]);
      await lab.waitForLog(1, /A new membership \([0-9a-f.]+\) was formed\. Members left: 2/, 20_000, marks[0]);
      await lab.waitForLog(3, /A new membership \([0-9a-f.]+\) was formed\. Members left: 2/, 20_000, marks[1]);
      await lab.waitForRing([1, 3]);
    });

    await t.test('the capture is non-empty and holds UDP 5405 traffic', async () => {
      const pcap = await lab.stopCapture();
      const r = await run(['tshark', '-r', pcap, '-Y', 'udp.dstport == 5405', '-T', 'fields', '-e', 'frame.number']);
      const frames = r.stdout.split('\n').filter((l) => l.trim() !== '').length;
      assert.ok(frames > 100, `udp 5405 frames: ${frames}`);
      const result = await capture.stop();
      assert.ok(result.captured >= frames);
      assert.equal(result.dropped, 0);
    });
  } finally {
    await lab.destroy();
  }

  await t.test('cleanup leaves no namespaces, processes or files', async () => {
    const netns = (await run(['ip', 'netns', 'list'])).stdout;
    assert.ok(!netns.includes(labId), `namespaces left: ${netns}`);
    for (const pid of corosyncPids) assert.equal(existsSync(`/proc/${pid}`), false, `corosync pid ${pid} still exists`);
    assert.equal(existsSync(lab.dir), false);
  });
});
