/**
 * Issue 5 acceptance: a node killed (SIGKILL) during CPG load. The messages corosync delivered
 * before and after the membership change, as the surviving CPG clients logged them, are exactly
 * the CPG messages of `read --deliver --json` on the capture, in the same order, with no duplicates
 * from retransmits, udpu/knet copies or the recovery copies the survivors exchange for the old ring.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Lab, requireLabPrerequisites, sleep, type CpgClient, type CpgLog, type QuorumStatus, type Transport } from '../lab/index.ts';
import { assertNodeinfoMatchesQuorum, clientLine, deliverStatsLine, duplicates, firstDifference, MIXED_SIZES, readDeliver, ringedClientLines, ringedViewLines, sentLines, viewLines, type DeliverOutput } from './deliver-lab-support.ts';

/** Messages each survivor sends; the victim sends until it dies. */
const SURVIVOR_COUNT = 150;
const RATE = 50;
const KILLED = 3;

async function until<T>(what: string, timeoutMs: number, probe: () => T | undefined): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

interface KillRun {
  readonly survivors: CpgLog[];
  readonly survivorTexts: string[];
  readonly victimText: string;
  readonly victim: CpgLog;
  readonly deliveredBeforeKill: number;
  readonly view: DeliverOutput;
  readonly dropped: number;
  readonly stats: string;
  readonly retransmitLines: number;
  readonly survivorCount: number;
  readonly quorum: Map<number, QuorumStatus>;
}

interface KillCase {
  readonly transport: Transport;
  /** Drop one in N corosync packets arriving at node 1 (retransmits, and old-ring messages only some survivors hold). */
  readonly dropOneIn?: number;
  /** The victim's rate (many of its messages in flight when it dies); flat out makes tcpdump drop on a busy 2-core box. */
  readonly victimRate?: number;
  /** Big messages: these sizes at `rate` (survivors send `count`), instead of MIXED_SIZES at RATE. */
  readonly flood?: { readonly sizes: readonly (number | readonly [number, number])[]; readonly count: number; readonly killAfter: number; readonly rate: number };
}

async function killRun(c: KillCase): Promise<KillRun> {
  const { transport } = c;
  const survivorCount = c.flood?.count ?? SURVIVOR_COUNT;
  const lab = await Lab.create({ nodes: 3, transport });
  try {
    const capture = await lab.startCapture({ filter: 'udp' });
    await lab.start();
    await lab.waitForRing();
    const survivorIds = lab.nodeIds.filter((n) => n !== KILLED);
    const clients = new Map<number, CpgClient>();
    for (const n of lab.nodeIds) {
      clients.set(
        n,
        await lab.cpgClient(n, {
          sizes: c.flood?.sizes ?? MIXED_SIZES,
          seed: n,
          rate: c.flood?.rate ?? RATE,
          waitMembers: 3,
          ...(n === KILLED ? { continuous: true, rate: c.victimRate ?? c.flood?.rate ?? RATE } : { count: survivorCount }),
        }),
      );
    }
    const first = clients.get(survivorIds[0]!)!;
    const fault = c.dropOneIn !== undefined ? await lab.dropRandom(1, c.dropOneIn) : undefined;
    // Kill in the middle of the load: every sender has messages before and after.
    const deliveredBeforeKill = await until('deliveries before the kill', 60_000, () => {
      const d = first.parse().deliveries.length;
      return d >= (c.flood?.killAfter ?? 90) ? d : undefined;
    });
    await lab.kill(KILLED);
    await fault?.remove();
    await lab.waitForMembers(survivorIds, survivorIds);
    // Survivors go on until each delivered every survivor's messages.
    for (const n of survivorIds) {
      await until(`node ${n} delivering all survivor messages`, 60_000, () => {
        const log = clients.get(n)!.parse();
        return survivorIds.every((s) => log.deliveries.filter((d) => d.nodeid === s).length === survivorCount) ? true : undefined;
      });
    }
    const quorum = new Map<number, QuorumStatus>();
    for (const n of survivorIds) quorum.set(n, await lab.quorum(n));
    const survivors: CpgLog[] = [];
    for (const n of survivorIds) survivors.push(await clients.get(n)!.stop());
    const victim = clients.get(KILLED)!.parse();
    const survivorTexts = survivorIds.map((n) => clients.get(n)!.text());
    const victimText = clients.get(KILLED)!.text();
    const result = await capture.stop();
    const view = await readDeliver(result.path);
    const stats = await deliverStatsLine(result.path);
    const retransmitLines = survivorIds.reduce((sum, n) => sum + lab.parsedLog(n).retransmits.length, 0);
    return { survivors, survivorTexts, victimText, victim, deliveredBeforeKill, view, dropped: result.dropped, stats, retransmitLines, survivorCount, quorum };
  } finally {
    await lab.destroy();
  }
}

/** What a lossy run lacked to exercise its case (a complete capture; recovery copies; nodes 1 and 2 on the first and last ring), if anything. */
function scenarioShortfall(run: Awaited<ReturnType<typeof killRun>>): string | undefined {
  // The 1 MiB flood can outrun tcpdump itself; such a capture cannot show the whole run.
  if (run.dropped > 0) return `tcpdump dropped ${run.dropped} packets`;
  if (Number(/(\d+) recovery copies/.exec(run.stats)?.[1] ?? 0) === 0) return 'no recovery copies';
  const cpg = run.view.messages.filter((m) => m.type === 'mcast' && m.group === 'totemscope');
  const rings = [...new Set(cpg.map((m) => m.ring_id))];
  // On a slow machine the survivors may have sent everything before the kill took effect.
  if (rings.length < 2) return `CPG messages on one ring only (${rings.join('')})`;
  for (const r of [rings[0], rings.at(-1)]) for (const n of [1, 2]) if (!cpg.some((m) => m.ring_id === r && m.nodeid === n)) return `node ${n} sent nothing on ring ${r}`;
  return undefined;
}

const CASES: readonly KillCase[] = [
  { transport: 'udpu' },
  { transport: 'knet' },
  { transport: 'udpu', dropOneIn: 12, victimRate: 250 },
  // Messages of up to 1 MiB (CPG partial_mcast, totempg fragments) in flight from every node at the kill.
  { transport: 'knet', dropOneIn: 20, flood: { sizes: [1 << 20, 20000, [500, 3000]], count: 12, killAfter: 8, rate: 3 } },
];

for (const c of CASES) {
  const what = `${c.transport}${c.flood !== undefined ? ' messages up to 1 MiB' : ''}${c.dropOneIn !== undefined ? ` (node 1 drops 1 in ${c.dropOneIn} packets${c.victimRate !== undefined ? `, victim at ${c.victimRate}/s` : ''})` : ''}`;
  test(`read --deliver: ${what}: node ${KILLED} killed under CPG load, the view = what the survivors delivered`, { timeout: 240_000 }, async (t) => {
    requireLabPrerequisites();
    // A lossy run is random: now and then it has no recovery copies, or node 1 sent nothing on the
    // last ring. Such a run did not exercise what this case is for, so it is run again (at most
    // three times, five for the 1 MiB flood, which a CPU-starved VM's tcpdump can fail to keep up
    // with); the run that is kept gets every assertion below, those included.
    const attempts = c.flood !== undefined ? 5 : 3;
    let run = await killRun(c);
    for (let attempt = 2; attempt <= attempts && c.dropOneIn !== undefined && scenarioShortfall(run) !== undefined; attempt++) {
      t.diagnostic(`run ${attempt - 1} did not exercise the case (${scenarioShortfall(run)}); running it again`);
      run = await killRun(c);
    }
    const { survivors, victim, view } = run;
    assert.equal(run.dropped, 0, 'tcpdump dropped packets');
    for (const log of survivors) {
      assert.deepEqual(log.bad, [], `node ${log.start?.nodeid}: bad messages`);
      assert.equal(log.sent.length, run.survivorCount);
    }
    const order = survivors[0]!.deliveries.map(clientLine);
    assert.equal(firstDifference(survivors[1]!.deliveries.map(clientLine), order), 'equal', 'both survivors delivered the same messages in the same order');
    assert.deepEqual(duplicates(order), [], 'corosync delivered nothing twice');

    const lines = viewLines(view.messages, 'totemscope');
    assert.deepEqual(duplicates(lines), [], 'no message twice in the delivery view');
    assert.equal(firstDifference(lines, order), 'equal', 'delivery view = survivors\' deliveries, in order');

    // Each on the ring the survivors were on when they got it: the dead node's last messages
    // (recovered or not) on the old ring, before the new ring's configuration.
    const ringed = ringedViewLines(view.messages, 'totemscope');
    for (const text of run.survivorTexts) assert.equal(firstDifference(ringed, ringedClientLines(text)), 'equal', "ring_id = the survivor's totem ring at delivery");
    const victimRinged = ringedClientLines(run.victimText);
    assert.equal(firstDifference(ringed.slice(0, victimRinged.length), victimRinged), 'equal', "the victim's deliveries, with rings, are a prefix of the view");
    // Every survivor message is there; the victim's: those it sent and someone delivered.
    const delivered = new Set(lines);
    for (const log of survivors) for (const s of sentLines(log)) assert.ok(delivered.has(s), `sent but not in the view: ${s}`);
    // What the victim delivered before it died is where the survivors' order starts.
    const victimLines = victim.deliveries.map(clientLine);
    assert.ok(victimLines.length > 0, 'the victim delivered messages before it was killed');
    assert.equal(firstDifference(lines.slice(0, victimLines.length), victimLines), 'equal', "the victim's deliveries are a prefix of the view");

    // The membership change is inside the delivery view: CPG messages on two rings, the victim's
    // last messages before the change, the survivors' both before and after it.
    const cpg = view.messages.filter((m) => m.type === 'mcast' && m.group === 'totemscope');
    const rings = [...new Set(cpg.map((m) => m.ring_id))];
    // (Usually two rings; packet loss may add a token loss and another ring.)
    assert.ok(rings.length >= 2, `CPG messages on rings ${rings.join(', ')}`);
    const victimRing = cpg.findLast((m) => m.nodeid === KILLED)?.ring_id;
    assert.ok(victimRing !== undefined);
    const after = rings.slice(rings.indexOf(victimRing) + 1);
    assert.ok(after.length >= 1, `the dead node's last messages are on ring ${victimRing}, the last ring with CPG messages`);
    for (const r of [rings[0]!, rings.at(-1)!]) for (const n of [1, 2]) assert.ok(cpg.some((m) => m.ring_id === r && m.nodeid === n), `node ${n} on ring ${r}`);

    // With packet loss the scenario really has retransmits and recovery copies to deduplicate.
    if (c.dropOneIn !== undefined) {
      assert.ok(run.retransmitLines > 0, 'corosync logged retransmits');
      const copies = Number(/(\d+) recovery copies/.exec(run.stats)?.[1] ?? 0);
      assert.ok(copies > 0, `recovery copies on the new ring: ${run.stats}`);
    }

    // After the membership change: the survivors' nodeinfo = their corosync-quorumtool -s.
    assertNodeinfoMatchesQuorum(view, run.quorum);

    // Problems: none, except a message the victim had only partly sent when it died.
    const problems = view.events.filter((e) => e.event === 'error' || (e.event === 'gap' && e['reason'] !== 'capture-start') || (e.event === 'incomplete' && e.nodeid !== KILLED));
    assert.deepEqual(problems, [], 'no errors, capture losses, or incomplete messages from live nodes');
    const incomplete = view.events.filter((e) => e.event === 'incomplete');
    const recovered = view.messages.filter((m) => m.recovered).length;
    t.diagnostic(
      `${lines.length} CPG messages (${run.deliveredBeforeKill} delivered when the kill was sent; victim logged ${victimLines.length}, sent ${victim.sent.length}, ` +
        `${lines.filter((l) => l.startsWith(`deliver ${KILLED} `)).length} of its messages delivered); rings ${rings.join(' → ')}; ` +
        `${recovered} messages delivered from recovery copies; incomplete: ${JSON.stringify(incomplete)}; ${run.retransmitLines} retransmit log lines on the survivors; ${run.stats}`,
    );
  });
}
