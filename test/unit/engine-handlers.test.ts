/**
 * Unit tests of the Totem SRP engine: each state transition and each message handler on hand-built
 * frames. Each test names the corosync 3.1.7 rule it checks (exec/totemsrp.c, wire-format.md §6).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ENCAPSULATED, type RingId } from '../../dissectors/totemsrp/types.ts';
import { decodeInnerMcast, encodeInnerMcast } from '../../src/engine/encapsulation.ts';
import { TotemEngine } from '../../src/engine/engine.ts';
import { sqLt, sqLte } from '../../src/engine/seq.ts';
import { MembState, corosyncTimers, type ConfigurationAction, type DeliverAction } from '../../src/engine/types.ts';
import {
  LockstepNet,
  TIMERS,
  commitToken,
  holdCancel,
  join,
  logs,
  mcast,
  mergeDetect,
  newEngine,
  orfToken,
  sentOfKind,
} from './engine-helpers.ts';

/** A single node brought to OPERATIONAL on its own singleton ring (1.5 from an empty store). */
function singleton(nodeid = 1): TotemEngine {
  const net = new LockstepNet();
  const e = newEngine(nodeid);
  net.add(e);
  net.start();
  net.run(10);
  assert.equal(e.state, MembState.OPERATIONAL);
  return e;
}

/** Nodes 1..n formed into one ring on a lock-step network. */
function ring(n: number): { net: LockstepNet; engines: TotemEngine[] } {
  const net = new LockstepNet();
  const engines: TotemEngine[] = [];
  for (let id = 1; id <= n; id++) {
    const e = newEngine(id);
    engines.push(e);
    net.add(e);
  }
  net.start();
  net.run(3000);
  for (const e of engines) {
    assert.equal(e.state, MembState.OPERATIONAL, `node ${e.nodeid} operational`);
    assert.deepEqual([...e.members].sort(), engines.map((x) => x.nodeid));
  }
  return { net, engines };
}

function delivered(actions: readonly { type: string }[]): DeliverAction[] {
  return actions.filter((a): a is DeliverAction => a.type === 'deliver');
}

function configurations(actions: readonly { type: string }[]): ConfigurationAction[] {
  return actions.filter((a): a is ConfigurationAction => a.type === 'configuration');
}

describe('engine: sequence numbers (include/corosync/sq.h)', () => {
  it('compares plainly below the rollover point and shifted above it', () => {
    assert.equal(sqLt(1, 2), true);
    assert.equal(sqLt(2, 1), false);
    assert.equal(sqLte(5, 5), true);
    // 0xffffffff is "one before" 0 once values pass 0x80000000 (both shifted by -0x10000).
    assert.equal(sqLte(0, 0xffffffff), false);
    assert.equal(sqLt(0xfffffff0, 0xffffffff), true);
    assert.equal(sqLt(0xffffffff, 0x10), true, '0x10 follows 0xffffffff inside the rollover window');
    assert.equal(sqLt(0x10, 0xffffffff), false);
  });
});

describe('engine: encapsulation of old-ring messages (§6.6)', () => {
  it('round-trips a complete MCAST through the 45-byte v3 layout', () => {
    const ringId: RingId = { rep: 1, seq: 0x1dn };
    const m = mcast({ from: 2, ringId, seq: 7, payload: new Uint8Array([1, 2, 3]) });
    const bytes = encodeInnerMcast(m);
    assert.equal(bytes.length, 48);
    assert.deepEqual([...bytes.subarray(0, 5)], [0x70, 0xc0, 3, 1, 2]);
    const back = decodeInnerMcast(bytes);
    assert.ok(back);
    assert.equal(back.seq, 7);
    assert.equal(back.systemFrom, 2);
    assert.deepEqual(back.ringId, ringId);
    assert.deepEqual([...back.payload], [1, 2, 3]);
  });
});

describe('engine: start and GATHER entry (main_iface_change_fn, memb_state_gather_enter)', () => {
  it('adds one to the stored ring seq, enters GATHER and multicasts a JOIN', () => {
    const e = newEngine(3, { initialRingSeq: 0x10n });
    e.start(0);
    const a = e.takeActions();
    assert.equal(e.state, MembState.GATHER);
    assert.deepEqual(e.ringId, { rep: 3, seq: 0x11n });
    const joins = sentOfKind(a, 'memb_join');
    assert.equal(joins.length, 1);
    assert.equal(joins[0]!.to, 'multicast');
    assert.deepEqual(joins[0]!.msg.procList, [3]);
    assert.deepEqual(joins[0]!.msg.failedList, []);
    assert.equal(joins[0]!.msg.ringSeq, 0x11n);
    assert.equal(joins[0]!.msg.header.nodeid, 3);
    const timers = e.activeTimers();
    assert.equal(timers.join, TIMERS.join);
    assert.equal(timers.consensus, TIMERS.consensus);
    assert.equal(timers.tokenTimeout, undefined);
  });

  it('re-sends the JOIN every join ms while gathering', () => {
    const e = newEngine(1);
    e.start(0);
    e.step(join({ from: 2, proc: [1, 2], ringSeq: 1n }), 1);
    e.takeActions();
    e.tick(1 + TIMERS.join);
    assert.equal(sentOfKind(e.takeActions(), 'memb_join').length, 1);
  });
});

describe('engine: singleton formation, commit token and recovery (§6.5, §6.6)', () => {
  it('forms ring 1.5 from an empty store: commit token to itself twice, then the initial ORF token', () => {
    const net = new LockstepNet();
    const e = newEngine(1);
    net.add(e);
    net.start();
    net.run(10);
    const commits = net.trace.filter((t) => t.msg.kind === 'memb_commit_token');
    assert.ok(commits.length >= 2);
    const first = commits[0]!.msg;
    assert.equal(first.kind, 'memb_commit_token');
    if (first.kind !== 'memb_commit_token') return;
    assert.deepEqual(first.ringId, { rep: 1, seq: 5n });
    assert.equal(first.membIndex, 1);
    assert.equal(first.tokenSeq, 1);
    assert.deepEqual(first.addr, [1]);
    // old_ring_state_save: the old ring id is the one loaded at start (1.1).
    assert.deepEqual(first.membList[0], { ringId: { rep: 1, seq: 1n }, aru: 0, highDelivered: 0, receivedFlg: 1 });
    const orf = net.trace.find((t) => t.msg.kind === 'orf_token')!.msg;
    assert.equal(orf.kind, 'orf_token');
    if (orf.kind !== 'orf_token') return;
    // Initial ORF token: seq 0, token_seq 0, aru 0xffffffff, aru_addr = rep (CAP, knet-plain.pcap).
    assert.equal(orf.seq, 0);
    assert.equal(orf.tokenSeq, 0);
    assert.equal(orf.aru, 0xffffffff);
    assert.equal(orf.aruAddr, 1);
    assert.equal(e.state, MembState.OPERATIONAL);
    const a = net.of(1);
    assert.deepEqual(
      a.filter((x) => x.type === 'persistRingSeq'),
      [{ type: 'persistRingSeq', seq: 5n }],
    );
    const conf = configurations(a);
    assert.deepEqual(
      conf.map((c) => [c.kind, c.members, c.joined, c.left]),
      [
        ['transitional', [], [], []],
        ['regular', [1], [1], []],
      ],
    );
    assert.ok(logs(a).includes('A new membership (1.5) was formed. Members joined: 1'));
  });

  it('two nodes: commit token 1→2 idx1 tseq1, 2→1 idx2 tseq2, second rotation, then ORF from the rep', () => {
    const net = new LockstepNet();
    const e1 = newEngine(1);
    const e2 = newEngine(2);
    net.add(e1);
    net.add(e2);
    net.start();
    net.run(3000);
    const ct = net.trace.filter((t) => t.msg.kind === 'memb_commit_token' && t.to !== t.from);
    const pairs = ct.map((t) => (t.msg.kind === 'memb_commit_token' ? [t.from, t.to, t.msg.membIndex, t.msg.tokenSeq] : []));
    const idx = pairs.findIndex((p) => p[0] === 1 && p[1] === 2 && p[2] === 1);
    assert.ok(idx >= 0, JSON.stringify(pairs));
    assert.deepEqual(pairs.slice(idx, idx + 4), [
      [1, 2, 1, 1],
      [2, 1, 2, 2],
      [1, 2, 2, 3],
      [2, 1, 2, 4],
    ]);
    assert.equal(e1.state, MembState.OPERATIONAL);
    assert.deepEqual(e1.ringId, e2.ringId);
    assert.equal(e1.ringId.rep, 1);
    assert.deepEqual([...e2.members], [1, 2]);
  });

  it('accepts a commit token in GATHER only for its own (proc - failed) set and a higher ring seq', () => {
    const e = newEngine(2);
    e.start(0);
    e.step(join({ from: 1, proc: [1, 2], ringSeq: 1n }), 1);
    e.takeActions();
    e.step(commitToken({ from: 1, ringId: { rep: 1, seq: 5n }, addr: [1, 2, 3], membIndex: 1 }), 2);
    assert.equal(e.state, MembState.GATHER, 'different member set');
    e.step(commitToken({ from: 1, ringId: { rep: 1, seq: 1n }, addr: [1, 2], membIndex: 1 }), 3);
    assert.equal(e.state, MembState.GATHER, 'ring seq not above mine');
    e.step(commitToken({ from: 1, ringId: { rep: 1, seq: 5n }, addr: [1, 2], membIndex: 1 }), 4);
    assert.equal(e.state, MembState.COMMIT);
    const sent = sentOfKind(e.takeActions(), 'memb_commit_token');
    assert.equal(sent.length, 1);
    assert.equal(sent[0]!.to, 1, 'token target wraps to addr[0]');
    assert.equal(sent[0]!.msg.membIndex, 2);
    assert.equal(sent[0]!.msg.tokenSeq, 2);
    assert.equal(sent[0]!.msg.membList[1]!.receivedFlg, 1);
    // A JOIN from a member of the new ring with a ring seq >= mine sends COMMIT back to GATHER.
    e.step(join({ from: 1, proc: [1, 2], ringSeq: 5n }), 5);
    assert.equal(e.state, MembState.GATHER);
  });

  it('makes the new ring seq = highest seq seen in any JOIN + 4', () => {
    const e = newEngine(1);
    e.start(0);
    e.takeActions();
    e.step(join({ from: 2, proc: [1, 2], ringSeq: 0x40n }), 1);
    e.takeActions();
    e.step(join({ from: 2, proc: [1, 2], ringSeq: 0x40n }), 2);
    const ct = sentOfKind(e.takeActions(), 'memb_commit_token');
    assert.equal(ct.length, 1);
    assert.deepEqual(ct[0]!.msg.ringId, { rep: 1, seq: 0x44n });
    assert.equal(ct[0]!.to, 2);
  });
});

describe('engine: consensus (memb_join_process, memb_state_consensus_timeout_expired)', () => {
  it('adds processors without consensus to the failed list when the consensus timer fires', () => {
    const e = newEngine(1);
    e.start(0);
    e.step(join({ from: 2, proc: [1, 2, 3], ringSeq: 1n }), 1);
    e.step(join({ from: 2, proc: [1, 2, 3], ringSeq: 1n }), 2);
    e.takeActions();
    e.tick(1 + TIMERS.consensus);
    assert.deepEqual([...e.failedList], [3]);
    const joins = sentOfKind(e.takeActions(), 'memb_join');
    assert.deepEqual(joins.at(-1)!.msg.failedList, [3]);
    assert.equal(e.state, MembState.GATHER);
    assert.equal(e.stats.consensusTimeouts, 1);
  });

  it('records the sender as failed when I am in its failed list', () => {
    const e = newEngine(1);
    e.start(0);
    e.step(join({ from: 2, proc: [1, 2], failed: [1], ringSeq: 1n }), 1);
    assert.deepEqual([...e.procList], [1, 2]);
    assert.deepEqual([...e.failedList], [2]);
  });
});

describe('engine: token handling in OPERATIONAL (message_handler_orf_token)', () => {
  it('drops tokens of another ring and duplicates by token_seq', () => {
    const e = singleton(1);
    e.takeActions();
    const r = e.ringId;
    e.step(orfToken({ from: 2, ringId: { rep: 2, seq: r.seq }, tokenSeq: 100 }), 100);
    assert.equal(sentOfKind(e.takeActions(), 'orf_token').length, 0);
    e.step(orfToken({ from: 1, ringId: r, tokenSeq: 0 }), 101);
    assert.equal(sentOfKind(e.takeActions(), 'orf_token').length, 0, 'token_seq <= my_token_seq');
  });

  it('multicasts at most max_messages per visit and min(max, window - fcc) under load', () => {
    const e = singleton(1);
    for (let i = 0; i < 100; i++) e.submit(new Uint8Array([i]), 10);
    e.takeActions();
    const r = e.ringId;
    // The idle singleton's token is held; the HOLD_CANCEL that submit() multicast releases it.
    e.step(holdCancel(1, r), 10);
    e.takeActions();
    e.step(orfToken({ from: 1, ringId: r, tokenSeq: 1_000, seq: 0, aru: 0 }), 11);
    let a = e.takeActions();
    assert.equal(sentOfKind(a, 'mcast').length, TIMERS.maxMessages);
    const tok = sentOfKind(a, 'orf_token')[0]!.msg;
    assert.equal(tok.seq, TIMERS.maxMessages);
    assert.equal(tok.fcc, TIMERS.maxMessages);
    assert.equal(tok.backlog, 100 - 0, 'backlog = my_cbl - my_pbl (100 queued at the visit)');
    assert.equal(tok.tokenSeq, 1_001);
    e.step(orfToken({ from: 1, ringId: r, tokenSeq: 2_000, seq: tok.seq, aru: tok.seq, fcc: 45, backlog: 0 }), 12);
    a = e.takeActions();
    assert.equal(sentOfKind(a, 'mcast').length, 5, 'window_size 50 - fcc 45');
  });

  it('delivers in seq order, waiting for gaps', () => {
    const e = singleton(1);
    e.takeActions();
    const r = e.ringId;
    const base = e.highDelivered;
    e.step(mcast({ from: 1, ringId: r, seq: base + 2 }), 20);
    assert.equal(delivered(e.takeActions()).length, 0);
    e.step(mcast({ from: 1, ringId: r, seq: base + 1 }), 21);
    const d = delivered(e.takeActions());
    assert.deepEqual(
      d.map((x) => x.seq),
      [base + 1, base + 2],
    );
    assert.equal(d[0]!.sender, 1);
  });

  it('asks for a missing message after miss_count_const visits and retransmits what others miss', () => {
    const e = singleton(1);
    e.takeActions();
    const r = e.ringId;
    const base = e.aru;
    // seq base+2 arrives, base+1 is missing; the token says seq = base+2.
    e.step(mcast({ from: 1, ringId: r, seq: base + 2 }), 30);
    let tokenSeq = 5000;
    let rtr: readonly { seq: number }[] = [];
    for (let visit = 1; visit <= TIMERS.missCountConst; visit++) {
      e.step(orfToken({ from: 1, ringId: r, tokenSeq: tokenSeq++, seq: base + 2, aru: base, aruAddr: 1 }), 30 + visit);
      const tok = sentOfKind(e.takeActions(), 'orf_token')[0]!.msg;
      rtr = tok.rtrList;
      if (visit < TIMERS.missCountConst) assert.equal(rtr.length, 0, `visit ${visit}`);
    }
    assert.deepEqual(
      rtr.map((x) => x.seq),
      [base + 1],
    );
    // Somebody else asks for base+2, which I hold: I re-multicast it and remove it from the list.
    e.step(
      orfToken({ from: 1, ringId: r, tokenSeq: tokenSeq++, seq: base + 2, aru: base, rtrList: [{ ringId: r, seq: base + 2 }] }),
      40,
    );
    const a = e.takeActions();
    assert.ok(logs(a).includes(`Retransmit List: ${(base + 2).toString(16)} `));
    const re = sentOfKind(a, 'mcast');
    assert.equal(re.length, 1);
    assert.equal(re[0]!.msg.seq, base + 2);
    const tok = sentOfKind(a, 'orf_token')[0]!.msg;
    assert.deepEqual(
      tok.rtrList.map((x) => x.seq),
      [base + 1],
    );
    assert.equal(e.stats.mcastRetx, 1);
  });

  it('lowers the token aru to mine and names me in aru_addr', () => {
    const e = singleton(1);
    e.takeActions();
    const r = e.ringId;
    const base = e.aru;
    e.step(orfToken({ from: 1, ringId: r, tokenSeq: 7000, seq: base + 3, aru: base + 3, aruAddr: 0 }), 50);
    const tok = sentOfKind(e.takeActions(), 'orf_token')[0]!.msg;
    assert.equal(tok.aru, base);
    assert.equal(tok.aruAddr, 1);
  });

  it('FAILED TO RECEIVE after fail_recv_const tokens with my aru holding the ring back', () => {
    const timers = { ...TIMERS, failRecvConst: 3 };
    const net = new LockstepNet();
    const e = newEngine(1, { timers });
    net.add(e);
    net.start();
    net.run(10);
    e.takeActions();
    const r = e.ringId;
    const base = e.aru;
    let tokenSeq = 9000;
    for (let i = 0; i < 6 && e.state === MembState.OPERATIONAL; i++) {
      e.step(orfToken({ from: 1, ringId: r, tokenSeq: tokenSeq++, seq: base + 1, aru: base, aruAddr: 1 }), 60 + i);
    }
    const a = e.takeActions();
    assert.ok(logs(a).includes('FAILED TO RECEIVE'));
    assert.equal(e.state, MembState.GATHER);
    assert.deepEqual([...e.failedList], [1]);
  });
});

describe('engine: hold, merge detection and hold cancel (§6.3 steps 2, 4)', () => {
  it('the rep holds an idle token after seqno_unchanged_const rotations, re-sends it after hold ms, and a HOLD_CANCEL releases it', () => {
    const e = singleton(1);
    e.takeActions();
    const r = e.ringId;
    // Idle: same seq on every visit.
    let tokenSeq = 10_000;
    let forwarded = 0;
    for (let i = 0; i < TIMERS.seqnoUnchangedConst + 2; i++) {
      e.step(orfToken({ from: 1, ringId: r, tokenSeq: tokenSeq++, seq: 0, aru: 0 }), 100 + i);
      forwarded += sentOfKind(e.takeActions(), 'orf_token').length;
    }
    assert.equal(e.tokenHeld, true);
    assert.ok(forwarded < TIMERS.seqnoUnchangedConst + 2);
    const heldAt = 100 + TIMERS.seqnoUnchangedConst + 1;
    assert.equal(e.activeTimers().tokenHoldRetransmit, heldAt + TIMERS.hold);
    // Merge detect timer started by the unchanged seq: the rep multicasts MERGE_DETECT.
    e.tick(heldAt + TIMERS.merge);
    const md = sentOfKind(e.takeActions(), 'memb_merge_detect');
    assert.equal(md.length, 1);
    assert.deepEqual(md[0]!.msg.ringId, r);
    e.step(holdCancel(2, r), heldAt + 1);
    assert.equal(sentOfKind(e.takeActions(), 'orf_token').length, 1, 'rep retransmits the held token at once');
  });

  it('a submit on a node that saw the token held multicasts TOKEN_HOLD_CANCEL', () => {
    const { net, engines } = ring(2);
    net.run(net.now + 5000);
    const e2 = engines[1]!;
    assert.equal(e2.tokenHeld, true);
    e2.submit(new Uint8Array([1]), net.now);
    const hc = sentOfKind(e2.takeActions(), 'token_hold_cancel');
    assert.equal(hc.length, 1);
    assert.equal(e2.stats.tokenHoldCancelTx, 1);
  });
});

describe('engine: timers (§6.9)', () => {
  it('token loss in OPERATIONAL logs corosync notice and enters GATHER', () => {
    const e = singleton(1);
    e.takeActions();
    const deadline = e.activeTimers().tokenTimeout!;
    e.tick(deadline);
    const a = e.takeActions();
    assert.ok(
      logs(a).includes(
        `A processor failed, forming new configuration: token timed out (${TIMERS.token}ms), waiting ${TIMERS.consensus}ms for consensus.`,
      ),
    );
    assert.equal(e.state, MembState.GATHER);
    assert.equal(e.stats.operationalTokenLost, 1);
  });

  it('re-sends the last token after token_retransmit ms and warns at 75% of token', () => {
    const { engines } = ring(2);
    const e2 = engines[1]!;
    e2.takeActions();
    const t = e2.activeTimers();
    assert.ok(t.tokenRetransmit !== undefined && t.tokenWarning !== undefined);
    e2.tick(t.tokenRetransmit);
    const re = sentOfKind(e2.takeActions(), 'orf_token');
    assert.equal(re.length, 1);
    assert.equal(re[0]!.to, 1);
    e2.tick(t.tokenWarning);
    assert.ok(logs(e2.takeActions()).some((l) => l.startsWith('Token has not been received in ')));
  });

  it('token loss in COMMIT and RECOVERY returns to GATHER', () => {
    const e = newEngine(2);
    e.start(0);
    e.step(join({ from: 1, proc: [1, 2], ringSeq: 1n }), 1);
    e.step(commitToken({ from: 1, ringId: { rep: 1, seq: 5n }, addr: [1, 2], membIndex: 1 }), 2);
    assert.equal(e.state, MembState.COMMIT);
    e.tick(2 + TIMERS.token);
    assert.equal(e.state, MembState.GATHER);
    assert.equal(e.stats.commitTokenLost, 1);
  });

  it('has no timer armed after leave', () => {
    const e = singleton(1);
    e.leave(100);
    assert.equal(e.nextTimerDeadline(), null);
  });
});

describe('engine: foreign messages, merge detect, joins and leaves in OPERATIONAL (§6.2)', () => {
  it('a MCAST of another ring puts its sender in the proc list and enters GATHER', () => {
    const e = singleton(1);
    e.takeActions();
    e.step(mcast({ from: 7, ringId: { rep: 7, seq: 9n }, seq: 1 }), 5);
    assert.equal(e.state, MembState.GATHER);
    assert.deepEqual([...e.procList].sort(), [1, 7]);
  });

  it('a MERGE_DETECT of another ring enters GATHER; of my ring it is ignored', () => {
    const e = singleton(1);
    e.step(mergeDetect(1, e.ringId), 5);
    assert.equal(e.state, MembState.OPERATIONAL);
    e.step(mergeDetect(4, { rep: 4, seq: 0x21n }), 6);
    assert.equal(e.state, MembState.GATHER);
    assert.deepEqual([...e.procList].sort(), [1, 4]);
  });

  it('ignores a JOIN naming me as failed, or from a member with an older ring seq', () => {
    const { net, engines } = ring(2);
    const e1 = engines[0]!;
    const t = net.now;
    e1.step(join({ from: 3, proc: [3], failed: [1], ringSeq: 99n }), t);
    assert.equal(e1.state, MembState.OPERATIONAL);
    e1.step(join({ from: 2, proc: [2], ringSeq: 1n }), t + 1);
    assert.equal(e1.state, MembState.OPERATIONAL);
    e1.step(join({ from: 3, proc: [3], ringSeq: 1n }), t + 2);
    assert.equal(e1.state, MembState.GATHER);
  });

  it('a leave (JOIN with header nodeid 0) gives "left:" without the failed-to-receive notice', () => {
    const { net, engines } = ring(3);
    const e3 = engines[2]!;
    e3.leave(net.now);
    net.collect(e3);
    net.engines.delete(3);
    net.run(net.now + 20_000);
    const e1 = engines[0]!;
    assert.equal(e1.state, MembState.OPERATIONAL);
    assert.deepEqual([...e1.members], [1, 2]);
    const l = logs(net.of(1));
    const formed = l.filter((x) => x.startsWith('A new membership'));
    assert.match(formed.at(-1)!, /Members left: 3$/);
    assert.ok(!l.some((x) => x.startsWith('Failed to receive the leave message')));
  });

  it('a crashed member gives "left:" and "Failed to receive the leave message. failed: N"', () => {
    const { net, engines } = ring(3);
    net.engines.delete(3);
    net.run(net.now + 20_000);
    assert.deepEqual([...engines[0]!.members], [1, 2]);
    const l = logs(net.of(1));
    assert.ok(l.includes('Failed to receive the leave message. failed: 3'), l.join('\n'));
  });
});

describe('engine: recovery with encapsulated old-ring messages and virtual synchrony (§6.6, §6.7)', () => {
  it('re-originates a message a surviving member missed, delivers it before the transitional configuration', () => {
    const { net, engines } = ring(3);
    const [e1, e2] = [engines[0]!, engines[1]!];
    const oldRing = e1.ringId;
    // Node 2 never receives the next old-ring message (nor its retransmissions); once node 3 has it,
    // node 3 dies, so only node 1 can give it to node 2, through recovery.
    net.drop = (_from, to, msg) => to === 2 && msg.kind === 'mcast' && msg.ringId === oldRing;
    e1.submit(new Uint8Array([0xab, 0xcd]), net.now);
    net.collect(e1);
    net.runUntil(() => net.of(3).some((a) => a.type === 'deliver' && a.payload[0] === 0xab));
    net.engines.delete(3);
    net.run(net.now + 20_000);
    assert.equal(e2.state, MembState.OPERATIONAL);
    assert.deepEqual([...e2.members], [1, 2]);
    const encapsulated = net.trace.filter((t) => t.msg.kind === 'mcast' && t.msg.header.encapsulated === ENCAPSULATED);
    assert.ok(encapsulated.length >= 1, 'recovery re-originated the old message');
    const a2 = net.of(2);
    const lastTrans = a2.map((a, i) => [a, i] as const).filter(([a]) => a.type === 'configuration' && a.kind === 'transitional').at(-1)![1];
    const d = a2.findIndex((a) => a.type === 'deliver' && a.payload.length === 2 && a.payload[0] === 0xab);
    assert.ok(d >= 0, 'node 2 delivered the message');
    assert.ok(d < lastTrans, 'delivered in the old configuration, before the transitional one');
    const msg = a2[d] as DeliverAction;
    assert.deepEqual(msg.ringId, oldRing, 'with its old ring id and seq');
    // Node 1 delivered the same message, also in the old ring.
    assert.ok(net.of(1).some((a) => a.type === 'deliver' && a.payload[0] === 0xab && a.ringId === oldRing));
  });
});

describe('engine: corosync timer formulas (exec/totemconfig.c)', () => {
  it('computes the 3-node defaults seen in the captures (token 3650, retransmit 869, hold 685, consensus 4380)', () => {
    const t = corosyncTimers({ token: 3000, nodes: 3 });
    assert.equal(t.token, 3650);
    assert.equal(t.tokenRetransmit, 869);
    assert.equal(t.hold, 685);
    assert.equal(t.consensus, 4380);
  });
});

describe('engine: RECOVERY exits and the deliberate deviations from corosync 3.1.7', () => {
  /** Node 2 taken to RECOVERY of ring 1.5 with node 1 as rep (frames hand-built). */
  function inRecovery(): TotemEngine {
    const e = newEngine(2);
    e.start(0);
    e.step(join({ from: 1, proc: [1, 2], ringSeq: 1n }), 1);
    e.step(commitToken({ from: 1, ringId: { rep: 1, seq: 5n }, addr: [1, 2], membIndex: 1 }), 2);
    e.step(commitToken({ from: 1, ringId: { rep: 1, seq: 5n }, addr: [1, 2], membIndex: 2, tokenSeq: 3 }), 3);
    assert.equal(e.state, MembState.RECOVERY);
    e.takeActions();
    return e;
  }

  it('token loss in RECOVERY restores the old ring state and returns to GATHER', () => {
    const e = inRecovery();
    e.tick(3 + TIMERS.token);
    assert.equal(e.state, MembState.GATHER);
    assert.equal(e.stats.recoveryTokenLost, 1);
  });

  it('a JOIN from a new-ring member during RECOVERY returns to GATHER', () => {
    const e = inRecovery();
    e.step(join({ from: 1, proc: [1, 2], ringSeq: 5n }), 4);
    assert.equal(e.state, MembState.GATHER);
  });

  it('drops a new-ring regular MCAST while still in RECOVERY (it would land among old-ring messages)', () => {
    const e = inRecovery();
    e.step(mcast({ from: 1, ringId: { rep: 1, seq: 5n }, seq: 1 }), 4);
    assert.equal(e.stats.rxMsgDropped, 1);
    assert.equal(e.highSeqReceived, 0);
  });

  it('does not free messages on a duplicated token', () => {
    const { net, engines } = ring(2);
    const e1 = engines[0]!;
    // Traffic, then look at what node 1 keeps: a duplicate of the last token must not release more.
    for (let i = 0; i < 5; i++) e1.submit(new Uint8Array([i]), net.now);
    net.collect(e1);
    net.run(net.now + 1);
    const kept = e1.storedMessages;
    const lastToken = [...net.trace].reverse().find((t) => t.msg.kind === 'orf_token' && t.to === 1)!.msg;
    e1.step(lastToken, net.now);
    e1.takeActions();
    assert.equal(e1.storedMessages, kept);
  });

  it('a JOIN that adds nothing to my lists does not restart GATHER (no JOIN storm)', () => {
    const e = newEngine(1);
    e.start(0);
    e.step(join({ from: 2, proc: [1, 2, 3, 4], failed: [4], ringSeq: 1n }), 1);
    assert.deepEqual([...e.failedList], []);
    e.takeActions();
    const consensusAt = e.activeTimers().consensus;
    // Node 3's failed list names 4; I may not adopt it (3 is not a member of my ring): nothing new.
    e.step(join({ from: 3, proc: [1, 2, 3, 4], failed: [4], ringSeq: 1n }), 2);
    assert.equal(sentOfKind(e.takeActions(), 'memb_join').length, 0);
    assert.equal(e.activeTimers().consensus, consensusAt, 'consensus timer not restarted');
  });
});
