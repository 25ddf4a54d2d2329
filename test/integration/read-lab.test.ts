// Issue 2 acceptance on real corosync 3.1.7 clusters (udpu and udp multicast): capture the bridge,
// decode every frame with the pipeline and check it against what corosync itself logged.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { formatRingId, type TotemMessage } from '../../dissectors/totemsrp/types.ts';
import { Lab, requireLabPrerequisites, type Transport } from '../lab/index.ts';
import { decodeFile, type KeptFrame } from '../support/decodeFile.ts';

const CLI = new URL('../../bin/totemscope.mjs', import.meta.url).pathname;
const PER_SENDER = 30;

function ringOf(m: TotemMessage): string | undefined {
  return 'ringId' in m ? formatRingId(m.ringId) : undefined;
}

async function runScenario(transport: Transport): Promise<{ frames: KeptFrame[]; errors: number; memberships: Set<string>; cpgBytes: number; pcap: string }> {
  const lab = await Lab.create({ nodes: 3, transport });
  try {
    const capture = await lab.startCapture({ filter: 'udp' });
    await lab.start();
    await lab.waitForRing();
    const clients = await Promise.all(
      lab.nodeIds.map((n) => lab.cpgClient(n, { count: PER_SENDER, sizes: [64, [500, 3000], 5000], seed: n, waitMembers: 3, expect: PER_SENDER * 3 })),
    );
    const logs = await Promise.all(clients.map((c) => c.wait(60_000)));
    const cpgBytes = logs.reduce((sum, l) => sum + l.sent.reduce((s, m) => s + m.size, 0), 0);
    // A membership change inside the capture: node 3 leaves cleanly and comes back.
    await lab.stop(3);
    await lab.waitForMembers([1, 2], [1, 2]);
    await lab.start([3]);
    await lab.waitForRing();
    const result = await capture.stop();
    assert.equal(result.dropped, 0, 'tcpdump dropped packets: the capture cannot be checked for contiguity');
    // Rings that two or more nodes logged: a singleton ring's token and commit token never leave the host.
    const loggedBy = new Map<string, Set<number>>();
    for (const n of lab.nodeIds) {
      for (const m of lab.parsedLog(n).memberships) {
        let s = loggedBy.get(m.ringId);
        if (s === undefined) loggedBy.set(m.ringId, (s = new Set()));
        s.add(n);
      }
    }
    const memberships = new Set([...loggedBy].filter(([, nodes]) => nodes.size >= 2).map(([r]) => r));
    const { frames, stats } = await decodeFile(result.path);
    // Keep the capture for the CLI checks below: copy it out of the lab dir before destroy.
    const keep = path.join(mkdtempSync(path.join(os.tmpdir(), 'totemscope-read-')), `${transport}.pcap`);
    copyFileSync(result.path, keep);
    return { frames, errors: stats.byStatus.error, memberships, cpgBytes, pcap: keep };
  } finally {
    await lab.destroy();
  }
}

for (const transport of ['udpu', 'udp'] as const) {
  test(`read: real 3-node ${transport} cluster decodes completely and matches corosync's logs`, { timeout: 240_000 }, async (t) => {
    requireLabPrerequisites();
    const { frames, errors, memberships, cpgBytes, pcap } = await runScenario(transport);
    const corosyncFrames = frames.filter((f) => f.status !== 'ignored');
    assert.ok(corosyncFrames.length > 500, `only ${corosyncFrames.length} corosync frames captured`);

    await t.test('every UDP frame on the corosync ports decodes, with the right transport', () => {
      assert.equal(errors, 0, `errors: ${corosyncFrames.filter((f) => f.status === 'error').map((f) => `#${f.number} ${f.errorCode}`).slice(0, 5).join(', ')}`);
      for (const f of corosyncFrames) {
        assert.equal(f.status, 'totem', `frame ${f.number}`);
        assert.equal(f.transport, transport, `frame ${f.number} ${f.srcPort}→${f.dstPort}`);
      }
      if (transport === 'udp') assert.ok(corosyncFrames.every((f) => f.srcPort === 5404 && f.dstPort === 5405));
      if (transport === 'udpu') {
        const tokens = corosyncFrames.filter((f) => f.totem?.kind === 'orf_token');
        assert.ok(tokens.every((f) => f.srcPort === 5405 && f.dstPort === 5405), 'udpu tokens go 5405 → 5405');
        assert.ok(corosyncFrames.some((f) => f.totem?.kind === 'mcast' && f.srcPort !== 5405), 'udpu mcasts come from ephemeral ports');
      }
    });

    await t.test("every ring id corosync logged appears in commit tokens and tokens", () => {
      assert.ok(memberships.size >= 3, `logs name ${memberships.size} rings`);
      const inCommit = new Set<string>();
      const inToken = new Set<string>();
      for (const f of corosyncFrames) {
        if (f.totem?.kind === 'memb_commit_token') inCommit.add(formatRingId(f.totem.ringId));
        if (f.totem?.kind === 'orf_token') inToken.add(formatRingId(f.totem.ringId));
      }
      for (const r of memberships) {
        assert.ok(inCommit.has(r), `ring ${r} (logged) has no commit token in the capture`);
        assert.ok(inToken.has(r), `ring ${r} (logged) has no orf token in the capture`);
      }
    });

    await t.test("mcast seqs on each ring are contiguous from the ring's first token", () => {
      const seqs = new Map<string, Set<number>>();
      const firstTokenSeq = new Map<string, number>();
      for (const f of corosyncFrames) {
        const m = f.totem;
        if (m === undefined) continue;
        const r = ringOf(m);
        if (r === undefined) continue;
        if (m.kind === 'orf_token' && !firstTokenSeq.has(r)) firstTokenSeq.set(r, m.seq);
        if (m.kind === 'mcast') {
          let s = seqs.get(r);
          if (s === undefined) seqs.set(r, (s = new Set()));
          s.add(m.seq);
        }
      }
      assert.ok(seqs.size >= 3);
      for (const [r, s] of seqs) {
        const start = firstTokenSeq.get(r);
        if (start === undefined && !memberships.has(r)) continue; // a singleton ring: its token stays on the host
        assert.equal(start, 0, `ring ${r}: the first token seen carries seq 0 (initial ORF token)`);
        const max = Math.max(...s);
        for (let q = 1; q <= max; q++) assert.ok(s.has(q), `ring ${r}: mcast seq ${q} missing (max ${max})`);
      }
    });

    await t.test('the CPG load is visible as mcast frames', () => {
      const payloadBytes = new Map<string, number>();
      for (const f of corosyncFrames) {
        if (f.totem?.kind !== 'mcast') continue;
        // Count each ring+seq once (udpu sends one copy per member).
        payloadBytes.set(`${ringOf(f.totem)}/${f.totem.seq}`, f.totem.payload.length);
      }
      const total = [...payloadBytes.values()].reduce((a, b) => a + b, 0);
      assert.ok(total >= cpgBytes, `mcast payload bytes ${total} < CPG bytes sent ${cpgBytes}`);
    });

    await t.test('the CLI reads the same capture to its end, with no malformed frames', () => {
      const r = spawnSync(process.execPath, [CLI, 'read', '--stats', '--json', pcap], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const s = JSON.parse(r.stdout) as { frames: number; by_status: Record<string, number>; errors_by_code: Record<string, number> };
      assert.equal(s.frames, frames.length);
      assert.equal(s.by_status['error'], 0);
      assert.deepEqual(s.errors_by_code, {});
      assert.equal(s.by_status['totem'], corosyncFrames.length);
    });
  });
}
