/**
 * The simulator itself: determinism from the seed, the checks catch what they should, the CLI, and the
 * engine-alone throughput figure (reported, not asserted: no timing asserts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { spawnSync } from 'node:child_process';
import { checkRun, type IncarnationRecord } from '../../src/sim/checks.ts';
import { runSimBatch } from '../../src/sim/batch.ts';
import { runSimulation } from '../../src/sim/simulation.ts';
import { measureThroughput } from '../../src/sim/throughput.ts';

describe('sim: determinism', () => {
  it('replays a seed exactly', () => {
    const opts = { nodes: 4, seed: 42, durationMs: 1500, token: 200, tokenCoefficient: 0, loss: 0.1, partitions: true, crashes: true };
    const a = runSimulation(opts);
    const b = runSimulation(opts);
    assert.deepEqual(
      a.records.map((r) => r.events),
      b.records.map((r) => r.events),
    );
    assert.equal(a.stats.events, b.stats.events);
    assert.deepEqual(a.membership, b.membership);
    assert.equal(a.violations.length, 0);
  });

  it('forms one ring of all nodes on a clean network, with ring ids 1.5 → …', () => {
    const r = runSimulation({ nodes: 3, seed: 1, durationMs: 1000, token: 1000, tokenCoefficient: 0 });
    assert.equal(r.violations.length, 0);
    const last = r.membership.at(-1)!;
    assert.deepEqual([...last.members], [1, 2, 3]);
    assert.equal(last.ringId.split('.')[0], '1', 'rep is the lowest nodeid');
    assert.ok(r.membership.some((m) => /^\d\.5$/.test(m.ringId)), 'first singleton rings are N.5 from an empty store');
  });
});

describe('sim: the checks', () => {
  const base = (nodeid: number, events: IncarnationRecord['events']): IncarnationRecord => ({
    nodeid,
    inc: 1,
    events,
    submitted: [],
    aliveAtEnd: true,
    startRingSeq: 0n,
  });
  it('flags two nodes delivering the same messages in different orders', () => {
    const v = checkRun(
      [
        base(1, [
          { k: 'd', ring: '1.5', seq: 1, sender: 1, id: '1:1:0' },
          { k: 'd', ring: '1.5', seq: 2, sender: 2, id: '2:1:0' },
        ]),
        base(2, [
          { k: 'd', ring: '1.5', seq: 2, sender: 2, id: '2:1:0' },
          { k: 'd', ring: '1.5', seq: 1, sender: 1, id: '1:1:0' },
        ]),
      ],
      1,
      0,
    );
    assert.ok(v.some((x) => x.kind === 'agreed-order'));
  });
  it('flags a virtual synchrony break and a missing self-delivery', () => {
    const r = (ring: string, members: number[]) => ({ k: 'r' as const, ring, ringSeq: BigInt(`0x${ring.split('.')[1]}`), members });
    const t = (ring: string, members: number[]) => ({ k: 't' as const, ring, ringSeq: BigInt(`0x${ring.split('.')[1]}`), members });
    const a = base(1, [r('1.5', [1, 2]), { k: 'd', ring: '1.5', seq: 1, sender: 1, id: '1:1:0' }, t('1.9', [1, 2]), r('1.9', [1, 2])]);
    const b = base(2, [r('1.5', [1, 2]), t('1.9', [1, 2]), r('1.9', [1, 2])]);
    b.submitted.push('2:1:0');
    const v = checkRun([a, b], 1, 0);
    assert.ok(v.some((x) => x.kind === 'virtual-synchrony'));
    assert.ok(v.some((x) => x.kind === 'self-delivery'));
  });
});

describe('sim: batch and CLI', () => {
  it('summarises K runs', () => {
    const rep = runSimBatch({
      nodes: 3,
      seeds: 2,
      seedStart: 5,
      loss: 0.05,
      latencyMs: 1,
      duplicate: 0,
      reorder: 0,
      partitions: true,
      crashes: false,
      durationMs: 1000,
      token: 300,
      tokenCoefficient: 0,
      ratePerNode: 40,
      payloadSize: 32,
    });
    assert.equal(rep.runs, 2);
    assert.equal(rep.violations.length, 0);
    assert.ok(rep.token.rotations > 0);
    assert.ok(rep.messages.ordered > 0);
  });

  it('`totemscope sim` prints the report and exits 0 when nothing is violated', () => {
    // A child process, as a user runs it: capturing this process's stdout would also swallow the
    // test runner's own report while the command awaits its (lazily imported) work.
    const r = spawnSync(process.execPath, ['bin/totemscope.mjs', 'sim', '--nodes', '3', '--seeds', '2', '--token', '300', '--duration', '1', '--loss', '5', '--partitions', '--crashes'], {
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /guarantees: all held/);
    assert.match(r.stdout, /membership: \d+ ring\(s\) formed/);
    assert.match(r.stdout, /token: \d+ hops, \d+ rotations, rotation ms mean/);
    assert.match(r.stdout, /messages: \d+ submitted, \d+ ordered/);
  });
});

describe('sim: engine-alone throughput (5 nodes, 1 KB messages, no I/O)', () => {
  it('orders every message in the same order on all nodes; reports messages ordered per second', (t) => {
    const r = measureThroughput({ nodes: 5, messageSize: 1024, messages: 50_000 });
    assert.equal(r.ordered, 50_000);
    assert.ok(r.sameOrder);
    t.diagnostic(
      `ordered ${r.ordered} in ${r.wallMs.toFixed(0)} ms wall (${Math.round(r.orderedPerSecond)}/s), ` +
        `${r.cpuMs.toFixed(0)} ms CPU (${Math.round(r.orderedPerCpuSecond)}/s), ${r.tokenHops} token hops`,
    );
  });
});
