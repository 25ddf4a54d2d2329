// The lab's other capabilities, each on real corosync 3.1.7: udp multicast, knet with two links,
// crypto and an extra (non-corosync) nodelist node, caller-supplied configs, nftables faults.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { requireLabPrerequisites, run, withLab, type Lab } from '../lab/index.ts';

async function frameCount(pcap: string, filter: string): Promise<number> {
  const r = await run(['tshark', '-r', pcap, '-Y', filter, '-T', 'fields', '-e', 'frame.number']);
  return r.stdout.split('\n').filter((l) => l.trim() !== '').length;
}

test('lab: udp multicast cluster', { timeout: 60_000 }, async () => {
  requireLabPrerequisites();
  await withLab({ nodes: 3, transport: 'udp', mcastAddr: ['239.192.7.1'] }, async (lab) => {
    await lab.startCapture({ filter: 'udp' });
    await lab.start();
    await lab.waitForRing();
    const clients = await lab.cpgClients(lab.nodeIds, { count: 10, sizes: [200, 3000] });
    const logs = await Promise.all(clients.map((c) => c.wait(30_000)));
    for (const l of logs) assert.equal(l.deliveries.length, 30);
    const pcap = await lab.stopCapture();
    assert.ok((await frameCount(pcap, 'ip.dst == 239.192.7.1 && udp.srcport == 5404 && udp.dstport == 5405')) > 10);
    assert.ok((await frameCount(pcap, 'ip.dst == 192.0.2.0/24 && udp.srcport == 5404 && udp.dstport == 5405')) > 10, 'unicast tokens');
  });
});

test('lab: knet, two links, aes256/sha256, extra node with quorum_votes 0, link cut and restore', { timeout: 90_000 }, async () => {
  requireLabPrerequisites();
  await withLab(
    {
      nodes: 3,
      transport: 'knet',
      links: 2,
      linkPriority: [2, 1],
      crypto: { cipher: 'aes256', hash: 'sha256' },
      extraNodes: [{ id: 4, name: 'totemscope', quorumVotes: 0 }],
    },
    async (lab: Lab) => {
      assert.equal(lab.authkey?.length, 256);
      assert.match(lab.config, /quorum_votes: 0/);
      assert.match(lab.config, /ring1_addr: 198\.51\.100\.4/);
      await lab.startCapture();
      await lab.start();
      await lab.waitForRing();
      const q = await lab.quorum(1);
      assert.equal(q.quorate, true);
      assert.equal(q.nodes, 3);
      assert.equal(await lab.cmapGet(1, 'runtime.config.totem.token'), 1000 + 650 * 2);
      assert.equal(await lab.cmapGet(1, 'totem.crypto_cipher'), 'aes256');

      // The extra node has its own namespace with both addresses; processes can run there.
      const addrs = (await lab.exec(4, ['ip', '-br', '-4', 'addr'])).stdout;
      assert.match(addrs, /192\.0\.2\.4\/24/);
      assert.match(addrs, /198\.51\.100\.4\/24/);
      assert.equal((await lab.exec(4, ['pwd'])).stdout.trim(), process.cwd());
      const sleeper = lab.spawn(4, ['sleep', '600']);
      assert.equal(sleeper.running, true);

      const mark = lab.logMark(1);
      const cut = await lab.cutLink(2, 0);
      await lab.waitForLog(1, /host: 2 link: 0 is down/, 30_000, mark);
      assert.ok((await cut.dropped()) > 0);
      await cut.remove();
      await lab.waitForLog(1, /host: 2 link: 0 is up/, 30_000, mark);
      const events = lab.parsedLog(1).knetLinks.filter((e) => e.host === 2 && e.link === 0);
      assert.deepEqual(events.slice(-2).map((e) => e.up), [false, true]);
      // the ring survived on link 1
      assert.deepEqual(await lab.members(1), [1, 2, 3]);

      const pcap = await lab.stopCapture();
      assert.ok((await frameCount(pcap, 'ip.src == 198.51.100.0/24 && udp.port == 5406')) > 0, 'link 1 traffic');
    },
  );
});

test('lab: caller-supplied corosync.conf and start failures', { timeout: 60_000 }, async () => {
  requireLabPrerequisites();
  await withLab({ nodes: 2 }, async (lab) => {
    const conf = lab.config.replace('token: 1000', 'token: 4321\n  consensus: 6000');
    await lab.startCorosync(1, conf);
    const totem = await lab.cmap(1, 'runtime.config.totem.');
    assert.equal(totem['runtime.config.totem.token'], 4321);
    assert.equal(totem['runtime.config.totem.consensus'], 6000);
    await lab.stop(1);

    await assert.rejects(lab.startCorosync(1, 'totem {\n  version: 2\n'), /exited .* during start/);
    assert.equal(lab.isRunning(1), false);
  });
});

test('lab: random loss and partitions with nftables', { timeout: 90_000 }, async () => {
  requireLabPrerequisites();
  await withLab({ nodes: 3 }, async (lab) => {
    await lab.start();
    await lab.waitForRing();
    const loss = await lab.dropRandom(2, 4);
    const clients = await Promise.all(
      lab.nodeIds.map((n) => lab.cpgClient(n, { count: 30, sizes: [[100, 1000]], waitMembers: 3, expect: 90, quiet: true })),
    );
    const logs = await Promise.all(clients.map((c) => c.wait(60_000)));
    for (const l of logs) assert.equal(l.done?.delivered, 90);
    assert.ok((await loss.dropped()) > 0, 'some packets dropped');
    await loss.remove();
    assert.equal(await loss.dropped(), 0);

    const part = await lab.partition([[1, 2], [3]]);
    await lab.waitForMembers([1, 2], [1, 2]);
    await lab.waitForMembers([3], [3]);
    await part.remove();
    const ring = await lab.waitForRing([1, 2, 3]);
    const formed = lab.parsedLog(3).memberships.at(-1);
    assert.equal(formed?.ringId, ring);
    const ruleset = (await lab.exec(3, ['nft', 'list', 'ruleset'])).stdout;
    assert.equal(ruleset.trim(), '');
  });
});

test('lab: per-node capture inside a node namespace', { timeout: 60_000 }, async () => {
  requireLabPrerequisites();
  await withLab({ nodes: 2 }, async (lab) => {
    const cap = await lab.captureNode(1, { filter: 'udp port 5405' });
    await lab.start();
    await lab.waitForRing();
    const result = await cap.stop();
    assert.ok(existsSync(result.path));
    assert.ok((await frameCount(result.path, 'udp.port == 5405')) > 0);
  });
});
