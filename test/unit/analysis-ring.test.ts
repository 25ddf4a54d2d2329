/**
 * RingAnalyzer on hand-built frame sequences (src/analysis/synthetic.ts): one scenario per
 * classification, plus token statistics, retransmissions, capture gaps and address changes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RingAnalyzer } from '../../src/analysis/ringAnalyzer.ts';
import { RingScenario } from '../../src/analysis/synthetic.ts';
import type { AnalysisEvent, AnalysisReport, AnalyzerOptions } from '../../src/analysis/types.ts';
import type { DecodedFrame } from '../../src/decode/types.ts';

function analyze(frames: readonly DecodedFrame[], opts: AnalyzerOptions = {}): AnalysisReport {
  const a = new RingAnalyzer(opts);
  for (const f of frames) a.push(f);
  return a.finish();
}

function ring(report: AnalysisReport, id: string) {
  const m = report.memberships.find((x) => x.ring_id === id);
  assert.ok(m, `ring ${id} in ${report.memberships.map((x) => x.ring_id).join(' ')}`);
  return m;
}

test('start-up and joins: ring ids, members, joined, formed_at at the initial ORF token', () => {
  const s = new RingScenario();
  s.form([1, 2], 0x9n).rotate(5, { mcastsPerVisit: 1 });
  const orfAt = s.frames.find((f) => f.totem?.kind === 'orf_token' && f.totem.tokenSeq === 0);
  s.advance(500).form([1, 2, 3], 0xdn).rotate(5, { mcastsPerVisit: 1 });
  const r = analyze(s.frames);
  const a = ring(r, '1.9');
  assert.deepEqual(a.members, [1, 2]);
  assert.equal(a.inferred, false);
  assert.ok(Math.abs((a.formed_at ?? 0) - ((orfAt?.tsSec ?? 0) + (orfAt?.tsNsec ?? 0) / 1e9)) < 1e-6);
  const b = ring(r, '1.d');
  assert.deepEqual(b.members, [1, 2, 3]);
  assert.deepEqual(b.joined, [3]);
  assert.deepEqual(b.left, []);
  assert.equal(b.classification, 'node_joined');
  assert.deepEqual(b.previous_rings, ['1.9']);
  assert.ok(b.commit !== null && b.commit.hops === 6 && b.commit.second_rotation_at !== null);
  assert.ok(b.gather !== null && b.gather.joins > 0);
  assert.equal(r.token.losses.length, 0);
  assert.equal(r.verdict.severity, 'ok');
  assert.ok(r.token.rotation_ms.count > 0);
  assert.deepEqual(Object.keys(r.token.hold_ms).sort(), ['1', '2', '3']);
});

function fourNodeRing(): RingScenario {
  const s = new RingScenario();
  s.form([1, 2, 3, 4], 0x10n).rotate(20, { mcastsPerVisit: 2 });
  return s;
}

test('node died: last holder, silent node, survivors, then restart joins', () => {
  const s = fourNodeRing();
  // Token goes 3 → 4 and node 4 is dead: 3 retransmits it, then silence until the token timeout.
  s.rotate(0.5, { mcastsPerVisit: 1 }); // hops 2→3, 3→4
  s.resendLastToken(4, 869);
  s.advance(3650 - 4 * 869);
  s.members = [1, 2, 3];
  s.form([1, 2, 3], 0x14n, { joinRounds: 3 });
  s.rotate(5, { mcastsPerVisit: 1 });
  // Node 4 restarts: singleton ring from its stored seq + 1; its join comes first and triggers the gather.
  s.advance(5000);
  s.oldRing.set(4, { rep: 4, seq: 0x16n });
  s.form([1, 2, 3, 4], 0x1an, { joinFrom: [4, 1, 2, 3], ringSeqOf: (m) => (m === 4 ? 0x16n : 0x14n) });
  s.rotate(5, { mcastsPerVisit: 1 });
  const events: AnalysisEvent[] = [];
  const r = analyze(s.frames, { tokenMs: 3650, onEvent: (e) => events.push(e) });
  assert.equal(r.token.losses.length, 1);
  const loss = r.token.losses[0];
  assert.ok(loss);
  assert.equal(loss.classification, 'node_died');
  assert.equal(loss.ring_id, '1.10');
  assert.equal(loss.last_holder, 4);
  assert.equal(loss.last_token.sender, 3);
  assert.equal(loss.last_token.copies, 5);
  assert.deepEqual(loss.missing, [4]);
  assert.deepEqual(loss.silent_nodes, [4]);
  assert.deepEqual(loss.new_rings, ['1.14']);
  assert.ok(loss.last_token_to_new_ring_ms !== null && loss.last_token_to_new_ring_ms > 3650);
  const after = ring(r, '1.14');
  assert.deepEqual(after.left, [4]);
  assert.equal(after.classification, 'node_died');
  const back = ring(r, '1.1a');
  assert.deepEqual(back.joined, [4]);
  assert.equal(back.classification, 'node_joined');
  assert.equal(r.verdict.severity, 'problem');
  assert.ok(events.some((e) => e.type === 'token_loss'));
  assert.ok(events.filter((e) => e.type === 'membership').length >= 3);
  assert.equal(r.token.retransmitted['3'], 4);
});

test('node isolated: alive (joins, own ring) but not in the survivors ring', () => {
  const s = fourNodeRing();
  const other = s.fork();
  s.advance(3650);
  other.advance(3650);
  s.members = [1, 2, 3];
  s.form([1, 2, 3], 0x14n, { joinRounds: 3 });
  s.rotate(5, { mcastsPerVisit: 1 });
  // Node 4 alone: joins with its old ring seq, then its singleton ring (no commit on the wire).
  other.form([4], 0x14n, { joinRounds: 3 });
  other.frames.length = 0;
  for (let k = 0; k < 6; k++) {
    other.frames.push(other.f.join(other.t, 4, 1, { proc: [4], failed: [1, 2, 3], ringSeq: 0x10n }));
    other.advance(50);
  }
  other.frames.push(other.f.mergeDetect(other.t, 4, 1, { rep: 4, seq: 0x14n }));
  s.absorb(other);
  const r = analyze(s.frames, { tokenMs: 3650 });
  const loss = r.token.losses[0];
  assert.ok(loss);
  assert.equal(loss.classification, 'node_isolated');
  assert.deepEqual(loss.missing.length <= 1, true);
  assert.ok(r.memberships.some((m) => m.ring_id === '4.14'));
});

test('partition into 3+2, then the partition heals: merge', () => {
  const s = new RingScenario();
  s.form([1, 2, 3, 4, 5], 0x10n).rotate(10, { mcastsPerVisit: 1 });
  s.advance(3000);
  const b = s.fork();
  s.members = [1, 2, 3];
  s.form([1, 2, 3], 0x14n, { joinRounds: 3 }).rotate(5, { mcastsPerVisit: 1 });
  b.members = [4, 5];
  b.form([4, 5], 0x14n, { joinRounds: 3 }).rotate(5, { mcastsPerVisit: 1 });
  // Both sides keep running until the network heals.
  s.rotate(20, { holdMs: 100 });
  b.rotate(30, { holdMs: 100 });
  s.absorb(b);
  s.advance(100);
  s.members = [1, 2, 3, 4, 5];
  s.form([1, 2, 3, 4, 5], 0x18n).rotate(5, { mcastsPerVisit: 1 });
  const r = analyze(s.frames, { tokenMs: 4950 });
  const loss = r.token.losses[0];
  assert.ok(loss);
  assert.equal(loss.classification, 'partition');
  assert.deepEqual(
    loss.groups.map((g) => [...g]).sort((x, y) => x.length - y.length),
    [
      [4, 5],
      [1, 2, 3],
    ],
  );
  assert.deepEqual([...loss.new_rings].sort(), ['1.14', '4.14']);
  const merged = ring(r, '1.18');
  assert.equal(merged.classification, 'merge');
  assert.deepEqual([...merged.previous_rings].sort(), ['1.14', '4.14']);
});

test('network loss: token lost, the same members re-form', () => {
  const s = fourNodeRing();
  s.advance(3650);
  s.form([1, 2, 3, 4], 0x14n, { joinRounds: 3 }).rotate(5, { mcastsPerVisit: 1 });
  const r = analyze(s.frames);
  assert.equal(r.token.losses.length, 1);
  assert.equal(r.token.losses[0]?.classification, 'network_loss');
  assert.deepEqual(r.token.losses[0]?.missing, []);
});

test('clean leave: a JOIN with header nodeid 0 is not a failure', () => {
  const s = fourNodeRing();
  s.advance(100);
  s.leave(4);
  s.members = [1, 2, 3];
  s.form([1, 2, 3], 0x14n).rotate(5, { mcastsPerVisit: 1 });
  const r = analyze(s.frames, { tokenMs: 3650 });
  assert.equal(r.token.losses.length, 0);
  const m = ring(r, '1.14');
  assert.deepEqual(m.left, [4]);
  assert.equal(m.classification, 'clean_leave');
  assert.equal(r.verdict.severity, 'ok');
});

test('retransmissions: every requested seq with sender, requester, repairer and repair time; loss pair', () => {
  const s = new RingScenario();
  s.form([1, 2, 3], 0xdn).rotate(40, { mcastsPerVisit: 3, lossy: { node: 2, every: 8 } }).rotate(2, { mcastsPerVisit: 1 });
  const r = analyze(s.frames);
  const lost = [...s.senderOf.keys()].filter((seq) => seq % 8 === 0 && s.senderOf.get(seq) !== 2);
  assert.ok(lost.length > 10);
  assert.equal(r.retransmits.requested, lost.length);
  const bySeq = new Map(r.retransmits.entries.map((e) => [e.seq, e]));
  for (const seq of lost) {
    const e = bySeq.get(seq);
    assert.ok(e, `seq ${seq}`);
    assert.equal(e.requested_by, 2);
    assert.equal(e.sender, s.senderOf.get(seq));
    assert.ok(e.repaired_after_ms !== null && e.repaired_after_ms > 0);
    assert.ok(e.retransmitted_by !== null && e.retransmitted_by !== 2);
    assert.equal(e.repair_inferred, false);
  }
  assert.ok(r.retransmits.by_pair.every((p) => p.receiver === 2));
  assert.equal(r.retransmits.by_requester['2'], lost.length);
  assert.equal(r.capture_gaps.missing_mcasts, 0);
});

test('capture gaps: mcasts below a later aru missing from the capture are capture loss, not retransmits', () => {
  const s = new RingScenario();
  s.form([1, 2, 3], 0xdn).rotate(60, {
    mcastsPerVisit: 2,
    dropFromCapture: (kind, seq) => kind === 'mcast' && seq >= 50 && seq < 60,
  });
  s.rotate(30, { mcastsPerVisit: 0, holdMs: 40 }); // > 1 s of tokens so that the lagged sweep runs
  const r = analyze(s.frames);
  assert.equal(r.capture_gaps.missing_mcasts, 10);
  assert.equal(r.capture_gaps.ranges[0]?.from_seq, 50);
  assert.equal(r.capture_gaps.ranges[0]?.to_seq, 59);
  assert.equal(r.retransmits.requested, 0);
  assert.equal(r.token.losses.length, 0);
});

test('capture gaps: token_seq jumps over hops of senders the capture sees', () => {
  const s = new RingScenario();
  s.form([1, 2, 3], 0xdn).rotate(20, { dropFromCapture: (kind, ts) => kind === 'token' && ts >= 30 && ts < 33 });
  const r = analyze(s.frames);
  assert.equal(r.capture_gaps.missing_token_hops, 3);
});

test('idle ring: the representative holds the token (idle), no near misses', () => {
  const s = new RingScenario();
  s.form([1, 2, 3], 0xdn).rotate(3, { mcastsPerVisit: 1 });
  let repVisits = 0;
  // §6.3: the rep starts holding after seqno_unchanged_const (30) visits with an unchanged seq.
  s.rotate(60, { holdMs: (from) => (from === 1 && ++repVisits > 30 ? 685 : 0.3) });
  const r = analyze(s.frames, { tokenMs: 3650 });
  assert.ok(r.token.idle_holds.count >= 25 && r.token.idle_holds.count <= 30, `idle holds ${r.token.idle_holds.count}`);
  assert.deepEqual(r.token.near_misses, []);
  assert.ok((r.token.hold_ms['1']?.max ?? 0) < 100, 'idle holds are not counted as slowness');
  assert.ok(r.token.rotation_active_ms.count < r.token.rotation_ms.count);
});

test('near miss: a gap above token_warning (75% of token)', () => {
  const s = new RingScenario();
  s.form([1, 2, 3], 0xdn).rotate(3, { mcastsPerVisit: 1 });
  s.rotate(1, { mcastsPerVisit: 1, holdMs: (from) => (from === 2 ? 3000 : 0.3) });
  s.rotate(3, { mcastsPerVisit: 1 });
  const r = analyze(s.frames, { tokenMs: 3650 });
  assert.ok(r.token.near_misses !== null && r.token.near_misses.length > 0);
  assert.equal(r.token.losses.length, 0);
  assert.ok((r.token.hold_ms['2']?.max ?? 0) >= 3000);
  const noToken = analyze(s.frames);
  assert.equal(noToken.token.near_misses, null);
});

test('pinned aru: same aru_addr below seq for many rotations', () => {
  const s = new RingScenario();
  s.form([1, 2, 3], 0xdn).rotate(2, { mcastsPerVisit: 2 });
  const ringId = s.ring;
  for (let i = 0; i < 60; i++) {
    const from = s.members[i % 3] ?? 1;
    const to = s.members[(i + 1) % 3] ?? 1;
    s.advance(1);
    s.frames.push(s.f.token(s.t, from, to, { ring: ringId, seq: s.seq, tokenSeq: ++s.tokenSeq, aru: s.seq - 1, aruAddr: 3, rtr: [s.seq] }));
  }
  const r = analyze(s.frames);
  const p = r.retransmits.pinned_aru[0];
  assert.ok(p);
  assert.equal(p.node, 3);
  assert.equal(p.missing_seq, s.seq);
  assert.ok(p.rotations >= 10);
  assert.equal(p.failed_to_receive, false);
});

test('address change: a nodeid from a new source address is flagged', () => {
  const s = new RingScenario();
  s.form([1, 2], 0x9n).rotate(3, { mcastsPerVisit: 1 });
  s.f.addressOf.set(2, '192.0.2.200');
  s.rotate(3, { mcastsPerVisit: 1 });
  const r = analyze(s.frames, { nodeAddresses: new Map([[2, ['192.0.2.2']]]) });
  assert.equal(r.address_changes.length, 1);
  const c = r.address_changes[0];
  assert.ok(c);
  assert.equal(c.nodeid, 2);
  assert.equal(c.old_address, '192.0.2.2');
  assert.equal(c.new_address, '192.0.2.200');
  assert.match(c.likely_cause, /floating/);
});

test('capture starting inside a running ring: members inferred from the token path', () => {
  const s = new RingScenario();
  s.form([1, 2, 3], 0xdn).rotate(10, { mcastsPerVisit: 1 });
  const firstToken = s.frames.findIndex((f) => f.totem?.kind === 'orf_token' && f.totem.tokenSeq === 8);
  const r = analyze(s.frames.slice(firstToken));
  const m = ring(r, '1.d');
  assert.deepEqual(m.members, [1, 2, 3]);
  assert.equal(m.inferred, true);
  assert.equal(m.classification, 'first_seen');
  assert.equal(m.formed_at, null);
  assert.equal(r.capture_gaps.missing_mcasts, 0);
});

test('quick restart: a member rejoins with a fresh ring seq before the token timeout', () => {
  const s = new RingScenario();
  s.form([1, 2, 3], 0xdn).rotate(10, { mcastsPerVisit: 1 });
  s.advance(300);
  // Node 3 was killed and started again: its JOIN carries its stored seq + 1 (§6.8).
  s.form([1, 2, 3], 0x11n, { joinFrom: [3, 1, 2], ringSeqOf: (m) => (m === 3 ? 0xen : 0xdn) });
  s.rotate(5, { mcastsPerVisit: 1 });
  const r = analyze(s.frames, { tokenMs: 3650 });
  assert.equal(r.token.losses.length, 0);
  const m = ring(r, '1.11');
  assert.equal(m.classification, 'node_died');
  assert.match(m.explanation, /node 3 restarted/);
});

test('seq window: a window taken again from the pool holds nothing of its previous ring', async () => {
  const { SeqWindowPool, SEEN, REQUESTED, WINDOW_SIZE } = await import('../../src/analysis/seqWindow.ts');
  const pool = new SeqWindowPool();
  const w = pool.take();
  // Seqs in several blocks, including both ends of the circle and a wrap past 2^32.
  const seqs = [1, 2, 255, 256, 5000, WINDOW_SIZE - 2, WINDOW_SIZE + 7, 0xfffffff0, 0xffffffff];
  for (const seq of seqs) {
    const slot = w.claim(seq);
    w.flags[slot] = SEEN | REQUESTED;
    w.entry[slot] = 5;
  }
  for (const seq of seqs) assert.ok(w.find(seq) >= 0, `seq ${seq} claimed`);
  pool.give(w);
  const again = pool.take();
  assert.equal(again, w);
  for (const seq of seqs) assert.equal(again.find(seq), -1, `seq ${seq} left over`);
  assert.ok(again.flags.every((f) => f === 0));
  assert.ok(again.entry.every((e) => e === 0));
});
