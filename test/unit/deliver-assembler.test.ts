import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { WireError } from '../../dissectors/errors.ts';
import { emitCpg, emitSync, makeHeader, emitVotequorum } from '../../dissectors/services/index.ts';
import { nameBytes } from '../../dissectors/totempg/group.ts';
import type { Mcast, RingId } from '../../dissectors/totemsrp/types.ts';
import {
  DeliveryAssembler,
  deliverJson,
  deliverLine,
  deliveryEventJson,
  deliveryEventLine,
  deliveryStatsLine,
  deliverFrame,
  frameRef,
  type DeliveredMessage,
  type DeliveryEvent,
} from '../../src/deliver/index.ts';
import { loadMcastFrames } from '../fixtures/totempg/fixtures.ts';
import { decodeTotem } from '../../dissectors/totemsrp/index.ts';
import { mcast, recoveryCopy, totempgPayload } from '../fixtures/totempg/mcast.ts';


function realMcasts(name: 'udpu' | 'udp' | 'knet-plain'): { m: Mcast; frame: number; time: number }[] {
  return loadMcastFrames(name).map((f) => {
    const m = decodeTotem(f.bytes);
    assert.ok(!(m instanceof WireError) && m.kind === 'mcast', `frame ${f.frame}`);
    return { m, frame: f.frame, time: f.time };
  });
}

function run(input: readonly { m: Mcast; frame: number; time: number }[], opts: Partial<ConstructorParameters<typeof DeliveryAssembler>[0]> = {}) {
  const a = new DeliveryAssembler(opts);
  const events: DeliveryEvent[] = [];
  let maxBuffered = 0;
  for (const x of input) {
    events.push(...a.push(x.m, { frame: x.frame, time: x.time }));
    maxBuffered = Math.max(maxBuffered, a.buffered);
  }
  events.push(...a.finish());
  const messages = events.flatMap((e) => (e.kind === 'message' ? [e.message] : []));
  return { a, events, messages, maxBuffered, kinds: (k: DeliveryEvent['kind']) => events.filter((e) => e.kind === k) };
}

const R1: RingId = { rep: 1, seq: 0x9n };
const R2: RingId = { rep: 1, seq: 0xdn };

function cpgBody(nodeid: number, pid: number, body: Uint8Array, type: 'mcast' | 'partial' = 'mcast', partialType = 1, msgLen = body.length): Uint8Array {
  if (type === 'mcast') {
    return emitCpg(
      { service: 'cpg', type: 'mcast', header: makeHeader(2, 3, 184 + body.length), groupName: nameBytes('totemscope'), pid, sourceNodeid: nodeid, sourceConn: 0n, message: body, trailer: new Uint8Array(0) },
      true,
    );
  }
  return emitCpg(
    {
      service: 'cpg',
      type: 'partial_mcast',
      header: makeHeader(2, 6, 200 + body.length),
      groupName: nameBytes('totemscope'),
      msgLen,
      pid,
      partialType,
      sourceNodeid: nodeid,
      sourceConn: 0n,
      message: body,
      trailer: new Uint8Array(0),
    },
    true,
  );
}

/** A whole CPG mcast in one MCAST; the body's first byte tags it. */
function cpgMcast(ring: RingId, seq: number, nodeid: number, tag: number, encapsulated = 2): Mcast {
  return mcast(ring, seq, nodeid, totempgPayload([cpgBody(nodeid, 1000 + nodeid, new Uint8Array([tag, 0xee]))]), encapsulated);
}

/** A CPG mcast of `size` body bytes from `nodeid`, split into two totempg packets of 300 bytes + rest. */
function splitCpg(nodeid: number, size: number): { head: Uint8Array; tail: Uint8Array } {
  const packed = totempgPayload([cpgBody(nodeid, 77, new Uint8Array(size).fill(7))]).subarray(8 + 2);
  return {
    head: totempgPayload([packed.subarray(0, 300)], { fragmented: 1, raw: true }),
    tail: totempgPayload([packed.subarray(300)], { continuation: 1, raw: true }),
  };
}

/** One sync round on `ring`: a service_build from each member, then a barrier per member and service. */
function syncRound(ring: RingId, members: readonly number[], services: readonly number[], firstSeq: number): Mcast[] {
  const out: Mcast[] = [];
  let seq = firstSeq;
  const sync = (nodeid: number, m: Uint8Array) => out.push(mcast(ring, seq++, nodeid, totempgPayload([m], { group: 'sync' })));
  for (const n of members) sync(n, emitSync({ service: 'sync', type: 'service_build', header: { id: 1, service: 0, fn: 1, size: 552 }, ringId: ring, services, trailer: new Uint8Array(0) }, true));
  for (let i = 0; i < services.length; i++) for (const n of members) sync(n, emitSync({ service: 'sync', type: 'barrier', header: { id: 0, service: 0, fn: 0, size: 32 }, ringId: ring, trailer: new Uint8Array(0) }, true));
  return out;
}

const seqOf = (i: number) => ({ frame: i + 1, time: 1000 + i / 100 });
const feed = (ms: readonly Mcast[]) => ms.map((m, i) => ({ m, ...seqOf(i) }));
const tags = (ms: readonly DeliveredMessage[]) => ms.map((m) => m.body[0]);

describe('DeliveryAssembler on real captures', () => {
  for (const [name, nodes, size] of [
    ['udpu', 3, 3000],
    ['udp', 2, 1500],
    ['knet-plain', 3, 3000],
  ] as const) {
    it(`${name}: 20 CPG messages of ${size} bytes per node, nothing duplicated, incomplete, lost or broken`, () => {
      const r = run(realMcasts(name));
      const cpg = r.messages.filter((m) => m.service === 'cpg' && m.type === 'mcast');
      assert.equal(cpg.length, 20 * nodes);
      for (let n = 1; n <= nodes; n++) assert.equal(cpg.filter((m) => m.nodeid === n).length, 20, `node ${n}`);
      for (const m of cpg) {
        assert.equal(m.size, size);
        assert.equal(m.group, 'wfgrp');
        assert.ok(m.pid !== null && m.pid > 0);
        assert.equal(m.decoded.service === 'cpg' && m.decoded.type === 'mcast' ? m.decoded.sourceNodeid : -1, m.nodeid);
        assert.ok(m.frames.first <= m.frames.last);
      }
      // 5 + 184 + size bytes in 1400-byte totempg packets: udp 2 pieces, udpu 3; knet carries them whole
      const pieces = name === 'udp' ? 2 : name === 'udpu' ? 3 : 1;
      assert.ok(cpg.every((m) => m.pieces === pieces), `${name}: every CPG message spans ${pieces} mcasts`);
      const keys = r.messages.map((m) => `${m.ringId.rep}.${m.ringId.seq}/${m.seq}/${m.index}`);
      assert.equal(new Set(keys).size, keys.length, 'no message delivered twice');
      assert.equal(r.kinds('incomplete').length, 0);
      assert.equal(r.kinds('gap').length, 0);
      assert.equal(r.kinds('error').length, 0);
      assert.equal(r.a.stats.late, 0);
      // per ring, delivery follows seq order
      const last = new Map<string, number>();
      for (const m of r.messages) {
        const k = `${m.ringId.rep}.${m.ringId.seq}`;
        assert.ok((last.get(k) ?? 0) <= m.seq);
        last.set(k, m.seq);
      }
      // every pid of a CPG sender joined before its first message and left after its last
      const builds = r.messages.filter((m) => m.type === 'service_build');
      assert.ok(builds.length > 0);
      for (const b of builds) assert.ok(b.decoded.service === 'sync' && b.decoded.type === 'service_build' && b.decoded.services.join() === '0,2,3,5');
      const infos = r.messages.filter((m) => m.decoded.service === 'votequorum' && m.decoded.type === 'nodeinfo' && m.decoded.nodeid !== 0);
      for (const i of infos) {
        assert.ok(i.decoded.service === 'votequorum' && i.decoded.type === 'nodeinfo');
        assert.equal(i.decoded.votes, 1);
        assert.equal(i.decoded.expectedVotes, nodes);
      }
    });
  }

  it('udpu: each mcast is captured once per receiving peer; the copies are dropped as duplicates', () => {
    const r = run(realMcasts('udpu'));
    assert.equal(r.a.stats.mcasts, 488);
    assert.equal(r.a.stats.syncsCompleted, 5, 'sync completes on 1.5, 2.5, 1.9, 3.5 and 1.d');
    assert.equal(r.a.stats.duplicates, 244);
    assert.equal(r.a.stats.orderedMcasts, 244);
    const rings = (x: ReturnType<typeof run>) => x.kinds('ring').map((e) => (e.kind === 'ring' ? `${e.ringId.rep.toString(16)}.${e.ringId.seq.toString(16)}` : ''));
    // 1.9 replaces the singleton rings 1.5 and 2.5; its delivery waits out the transition hold,
    // during which node 3's singleton ring 3.5 (independent of the others) starts.
    assert.deepEqual(rings(r), ['1.5', '2.5', '3.5', '1.9', '1.d']);
    assert.deepEqual(rings(run(realMcasts('udpu'), { transitionHold: 0 })), ['1.5', '2.5', '1.9', '3.5', '1.d']);
  });

  it('gives the same delivery when capture order is shuffled within the window', () => {
    const input = realMcasts('udpu');
    // Rings 1.5 and 2.5 are two singleton rings running at once: only the order within a ring is defined.
    const perRing = (ms: readonly DeliveredMessage[]): string[] => {
      const by = new Map<string, string[]>();
      for (const m of ms) {
        const k = `${m.ringId.rep}.${m.ringId.seq}`;
        by.set(k, [...(by.get(k) ?? []), `${m.seq}/${m.index}/${m.nodeid}/${m.size}`]);
      }
      return [...by].map(([k, v]) => `${k}: ${v.join(' ')}`).sort();
    };
    const base = perRing(run(input).messages);
    // reverse every block of 7 frames (as if retransmits and copies arrived out of order)
    const shuffled: typeof input = [];
    for (let i = 0; i < input.length; i += 7) shuffled.push(...input.slice(i, i + 7).reverse());
    const r = run(shuffled);
    assert.deepEqual(perRing(r.messages), base);
    assert.equal(r.kinds('gap').length, 0);
  });

  it('reports capture loss as a seq gap and the torn CPG message as incomplete', () => {
    const input = realMcasts('udp');
    // drop the mcast that carries the head of the 5th CPG message on ring 1.9
    const heads = input.filter((x) => x.m.ringId.seq === 9n && x.m.payload[4] !== 0);
    const victim = heads[6]!.m;
    const r = run(input.filter((x) => !(x.m.ringId.seq === victim.ringId.seq && x.m.seq === victim.seq)));
    const gaps = r.kinds('gap');
    assert.equal(gaps.length, 1);
    const g = gaps[0]!;
    assert.ok(g.kind === 'gap');
    assert.deepEqual([g.gap.fromSeq, g.gap.toSeq, g.gap.count, g.gap.reason], [victim.seq, victim.seq, 1, 'capture-loss']);
    const inc = r.kinds('incomplete');
    assert.equal(inc.length, 1);
    assert.ok(inc[0]!.kind === 'incomplete' && inc[0]!.incomplete.reason === 'missing-head' && inc[0]!.incomplete.nodeid === victim.header.nodeid);
    assert.equal(r.messages.filter((m) => m.service === 'cpg' && m.type === 'mcast').length, 39);
    assert.equal(r.a.stats.missingSeqs, 1);
  });
});

describe('DeliveryAssembler on crafted rings', () => {
  it('orders by seq, drops retransmitted copies, and reports gaps only once the window is exceeded', () => {
    const ms = [3, 1, 2, 2, 5, 1, 4].map((s) => cpgMcast(R1, s, 1 + (s % 2), s));
    const r = run(feed(ms));
    assert.deepEqual(tags(r.messages), [1, 2, 3, 4, 5]);
    assert.equal(r.a.stats.duplicates, 2);
    assert.equal(r.kinds('gap').length, 0);

    // seq 2 of a second ring never arrives: held until the window (4) overflows
    const second = [1, 3, 4, 5, 6, 7, 8].map((s) => cpgMcast(R2, s, 1, s));
    const w = run(feed([cpgMcast(R1, 1, 1, 1), ...second]), { window: 4 });
    assert.ok(w.maxBuffered <= 5);
    const gap = w.kinds('gap');
    assert.equal(gap.length, 1);
    assert.ok(gap[0]!.kind === 'gap' && gap[0]!.gap.fromSeq === 2 && gap[0]!.gap.count === 1);
    assert.deepEqual(tags(w.messages), [1, 1, 3, 4, 5, 6, 7, 8]);
  });

  it('unwraps recovery copies: old-ring messages missing from the capture are delivered once, before the new ring', () => {
    const old = [1, 2, 3, 4].map((s) => cpgMcast(R1, s, s <= 2 ? 1 : 2, 10 + s));
    const seen = [old[0]!, old[1]!, old[3]!]; // seq 3 was not captured on the old ring
    const recovery = [
      recoveryCopy(R2, 1, 1, old[1]!),
      recoveryCopy(R2, 2, 1, old[2]!),
      recoveryCopy(R2, 3, 2, old[2]!), // re-originated by both nodes
      recoveryCopy(R2, 4, 2, old[3]!),
    ];
    const fresh = cpgMcast(R2, 5, 1, 99);
    const r = run(feed([...seen, ...recovery, recovery[1]!, fresh]));
    assert.deepEqual(tags(r.messages), [11, 12, 13, 14, 99]);
    const rec = r.messages.filter((m) => m.recovered);
    assert.deepEqual(tags(rec), [13]);
    assert.deepEqual(rec[0]!.ringId, R1, 'a recovered message belongs to its old ring');
    assert.equal(rec[0]!.nodeid, 2, 'sender is the original sender, not the re-originator');
    assert.equal(r.a.stats.recoveryCopies, 4);
    assert.equal(r.a.stats.recoveryDuplicates, 3);
    assert.equal(r.a.stats.duplicates, 1);
    assert.equal(r.kinds('gap').length, 0);
    assert.deepEqual(
      r.kinds('ring').map((e) => (e.kind === 'ring' ? e.ringId.seq : 0n)),
      [0x9n, 0xdn],
    );
    // an old-ring copy captured after the new ring took over: within the transition hold it is
    // still recognised as a duplicate; without a hold it is late. Never delivered twice.
    const held = run(feed([...seen, ...recovery, fresh, old[0]!]));
    assert.deepEqual([held.a.stats.late, held.a.stats.duplicates, held.messages.length], [0, 1, 5]);
    const late = run(feed([...seen, ...recovery, fresh, old[0]!]), { transitionHold: 0 });
    assert.deepEqual([late.a.stats.late, late.messages.length], [1, 5]);
    // a missing old-ring seq captured late but within the hold is still delivered in order
    const lateButHeld = run(feed([old[0]!, old[1]!, cpgMcast(R2, 1, 1, 99), old[2]!, old[3]!]));
    assert.deepEqual(tags(lateButHeld.messages), [11, 12, 13, 14, 99]);
  });

  it('finishes a message across a ring change after sync, as corosync regular assemblies do', () => {
    const { head, tail } = splitCpg(1, 600);
    // R2: node 1 alone; sync = its service_build [2] and one barrier, then the tail
    const r = run(feed([...syncRound(R1, [1], [2], 1), mcast(R1, 3, 1, head), ...syncRound(R2, [1], [2], 1), mcast(R2, 3, 1, tail)]));
    assert.equal(r.kinds('incomplete').length, 0);
    assert.equal(r.a.stats.syncsCompleted, 2);
    const m = r.messages.find((x) => x.service === 'cpg')!;
    assert.deepEqual([m.size, m.pieces, m.ringId, m.seq, m.firstRingId, m.firstSeq], [600, 2, R2, 3, R1, 3]);
  });

  it('keeps sync-time pieces apart (trans assemblies) and ends them with their ring', () => {
    const { head } = splitCpg(1, 600);
    const R3: RingId = { rep: 1, seq: 0x11n };
    // a head sent during R2's sync, then R2 breaks before its sync ends: R3 takes over
    const r = run(feed([cpgMcast(R1, 1, 1, 1), mcast(R2, 1, 1, head), cpgMcast(R3, 1, 1, 3)]));
    const inc = r.events.flatMap((e) => (e.kind === 'incomplete' ? [e.incomplete] : []));
    assert.deepEqual(
      inc.map((i) => [i.reason, i.bytes, i.ringId]),
      [['ring-change', 300, R2]],
    );
    assert.deepEqual(tags(r.messages), [1, 3]);
  });

  it('ends the message in progress of a node that left, at the new ring sync', () => {
    const { head } = splitCpg(2, 600);
    const r = run(feed([...syncRound(R1, [1, 2], [2], 1), cpgMcast(R1, 5, 1, 1), mcast(R1, 6, 2, head), ...syncRound(R2, [1], [2], 1), cpgMcast(R2, 3, 1, 9)]));
    const inc = r.events.flatMap((e) => (e.kind === 'incomplete' ? [e.incomplete] : []));
    assert.deepEqual(
      inc.map((i) => [i.reason, i.nodeid, i.bytes, i.ringId]),
      [['ring-change', 2, 300, R1]],
    );
    assert.deepEqual(tags(r.messages.filter((m) => m.service === 'cpg')), [1, 9]);
  });

  it('reports a message cut by the end of the capture', () => {
    const { head, tail } = splitCpg(1, 600);
    const end = run(feed([mcast(R1, 1, 1, head)]));
    assert.ok(end.events.some((e) => e.kind === 'incomplete' && e.incomplete.reason === 'end-of-capture' && e.incomplete.bytes === 300));
    const joined = run(feed([mcast(R1, 1, 1, head), mcast(R1, 2, 1, tail)]));
    assert.equal(joined.messages.length, 1);
    assert.equal(joined.messages[0]!.size, 600);
    assert.equal(joined.messages[0]!.pieces, 2);
    assert.deepEqual([joined.messages[0]!.firstSeq, joined.messages[0]!.seq], [1, 2]);
  });

  it('joins CPG partial_mcast pieces into the one message the client receives', () => {
    const p = (seq: number, type: number, body: number[]) => mcast(R1, seq, 2, totempgPayload([cpgBody(2, 55, new Uint8Array(body), 'partial', type, 6)]));
    const r = run(feed([p(1, 1, [1, 2]), cpgMcast(R1, 2, 3, 9), p(3, 2, [3, 4]), p(4, 3, [5, 6])]));
    assert.equal(r.messages.length, 2);
    const m = r.messages[1]!;
    assert.deepEqual([m.type, m.size, m.pieces, m.firstSeq, m.seq, m.group, m.pid], ['mcast', 6, 3, 1, 4, 'totemscope', 55]);
    assert.deepEqual([...m.body], [1, 2, 3, 4, 5, 6]);
    const orphan = run(feed([p(1, 2, [3, 4])]));
    assert.ok(orphan.events.some((e) => e.kind === 'incomplete' && e.incomplete.layer === 'cpg-partial' && e.incomplete.reason === 'missing-head'));
  });

  it('anchors a capture that starts mid-ring without calling the earlier seqs lost', () => {
    const ms = [105, 103, 104, 106].map((s) => cpgMcast(R1, s, 1, s));
    const r = run(feed(ms), { startLookahead: 3 });
    assert.deepEqual(tags(r.messages), [103, 104, 105, 106]);
    const g = r.kinds('gap');
    assert.equal(g.length, 1);
    assert.ok(g[0]!.kind === 'gap' && g[0]!.gap.reason === 'capture-start' && g[0]!.gap.count === 102);
    assert.equal(r.a.stats.missingSeqs, 0);
  });

  it('keeps a starting node singleton ring apart from the running ring', () => {
    const singleton: RingId = { rep: 4, seq: 0x21n }; // newer seq, but node 4 was never on R1
    const r = run(feed([cpgMcast(R1, 1, 1, 1), cpgMcast(singleton, 1, 4, 40), cpgMcast(R1, 2, 2, 2)]));
    assert.deepEqual(tags(r.messages), [1, 40, 2]);
    assert.equal(r.a.stats.late, 0);
  });

  it('reads a big-endian sender in its own byte order (totempg lengths, group header, services)', () => {
    const body = new Uint8Array(500).fill(3);
    const cpg = emitCpg(
      { service: 'cpg', type: 'mcast', header: makeHeader(2, 3, 184 + 500), groupName: nameBytes('be'), pid: 0x01020304, sourceNodeid: 7, sourceConn: 0n, message: body, trailer: new Uint8Array(0) },
      false,
    );
    const info = emitVotequorum({ service: 'votequorum', type: 'nodeinfo', header: makeHeader(5, 0, 32), nodeid: 7, votes: 1, expectedVotes: 5, flags: 1, trailer: new Uint8Array(0) }, false);
    const whole = totempgPayload([cpg], { le: false });
    const packedMsg = whole.subarray(10);
    // the head packet carries the nodeinfo whole plus the first 200 bytes of the packed CPG message
    const headPkt = totempgPayload([totempgPayload([info], { le: false }).subarray(10), packedMsg.subarray(0, 200)], { fragmented: 1, le: false, raw: true });
    const tail = totempgPayload([packedMsg.subarray(200)], { continuation: 1, le: false, raw: true });
    const r = run(feed([mcast(R1, 2, 7, tail, 2, false), mcast(R1, 1, 7, headPkt, 2, false)]));
    assert.equal(r.kinds('error').length, 0);
    assert.deepEqual(
      r.messages.map((m) => m.summary),
      ['votequorum nodeinfo node 7 votes 1 expected 5 flags quorate', `CPG mcast group be pid ${0x01020304} from 7 len 500`],
    );
    assert.equal(r.messages[1]!.littleEndian, false);
  });

  it('reports undecodable payloads as typed errors and carries on', () => {
    const bad = mcast(R1, 1, 1, new Uint8Array([0, 0, 0, 0, 0, 0, 5, 0]));
    const badGroup = mcast(R1, 2, 1, totempgPayload([new Uint8Array([0x40, 0])], { raw: true }));
    const badCpg = mcast(R1, 3, 1, totempgPayload([new Uint8Array(20).fill(0).map((_, i) => (i === 2 ? 2 : 0))]));
    const badEnc = mcast(R2, 1, 1, new Uint8Array(10), 1);
    const selfEnc = recoveryCopy(R2, 2, 1, cpgMcast(R2, 9, 1, 9));
    const r = run(feed([bad, badGroup, badCpg, cpgMcast(R1, 4, 1, 4), badEnc, selfEnc, cpgMcast(R2, 3, 1, 6)]));
    assert.deepEqual(
      r.kinds('error').map((e) => (e.kind === 'error' ? `${e.error.layer}:${e.error.error.code}` : '')),
      ['totempg:totempg.short_lengths', 'service:totempg.group_count', 'service:cpg.short', 'encapsulated:totemsrp.too_short', 'encapsulated:deliver.encapsulated_same_ring'],
    );
    assert.deepEqual(tags(r.messages), [4, 6]);
  });
});

describe('frame pipeline glue', () => {
  it('feeds MCAST frames and ignores the rest', () => {
    const a = new DeliveryAssembler();
    const base = { tsSec: 100, tsNsec: 500_000_000, capLen: 0, origLen: 0, linkType: 1, data: new Uint8Array(0) };
    assert.deepEqual(deliverFrame(a, { ...base, number: 1, status: 'ignored', ignoredReason: 'not udp' }), []);
    const evs = deliverFrame(a, { ...base, number: 2, status: 'totem', totem: cpgMcast(R1, 1, 1, 7) });
    assert.deepEqual(
      evs.map((e) => e.kind),
      ['ring', 'message'],
    );
    const m = evs[1]!;
    assert.ok(m.kind === 'message');
    assert.deepEqual([m.message.frames.first, m.message.time], [2, 100.5]);
    assert.deepEqual(frameRef({ number: 3, tsSec: 1, tsNsec: 1000 }), { frame: 3, time: 1.000001 });
  });
});

describe('delivery output forms (issue 5 item 3)', () => {
  it('--deliver --json object and text line for a real CPG message', () => {
    const r = run(realMcasts('knet-plain'));
    const m = r.messages.find((x) => x.service === 'cpg' && x.type === 'mcast')!;
    const j = deliverJson(m, 8);
    assert.deepEqual(Object.keys(j).slice(0, 9), ['ring_id', 'seq', 'nodeid', 'service', 'type', 'group', 'pid', 'size', 'payload']);
    assert.equal(j.ring_id, '1.d');
    assert.equal(j.service, 'cpg');
    assert.equal(j.type, 'mcast');
    assert.equal(j.group, 'wfgrp');
    assert.equal(j.size, 3000);
    assert.equal(j.payload.length, 16);
    assert.equal(deliverJson(m).payload.length, 128);
    assert.equal(deliverJson(m, 0).payload, '');
    assert.equal(JSON.parse(JSON.stringify(j)).seq, m.seq);
    assert.match(deliverLine(m), /^1\.d\s+\d+\s+\d cpg\s+wfgrp\s+3000 {2}CPG mcast group wfgrp pid \d+ from \d len 3000$/);
    const nodeinfo = r.messages.find((x) => x.type === 'nodeinfo')!;
    assert.deepEqual([deliverJson(nodeinfo).group, deliverJson(nodeinfo).pid, deliverJson(nodeinfo).size], [null, null, 32]);
    assert.match(deliveryStatsLine(r.a.stats), /^111 messages delivered from 89 ordered mcasts/);
  });

  it('JSON and text for gaps, incomplete messages, errors and ring changes', () => {
    const r = run(feed([cpgMcast(R1, 1, 1, 1), cpgMcast(R1, 3, 1, 3), mcast(R1, 4, 2, totempgPayload([new Uint8Array(4)], { fragmented: 1, raw: true }))]));
    const lines = r.events.map((e) => (e.kind === 'message' ? deliverLine(e.message) : deliveryEventLine(e)));
    assert.ok(lines.includes('-- delivery on ring 1.9 from frame 1'));
    assert.ok(lines.includes('-- ring 1.9: seq 2 missing from the capture (1 mcast lost)'));
    assert.ok(lines.includes('-- ring 1.9: incomplete totempg message from node 2: 4 bytes in 1 piece (seq 4..4), end-of-capture'));
    const json = r.events.map(deliveryEventJson).filter((x) => x !== null);
    assert.deepEqual(
      json.map((x) => x['event']),
      ['ring', 'gap', 'incomplete'],
    );
    assert.deepEqual(json[1], { event: 'gap', ring_id: '1.9', from_seq: 2, to_seq: 2, count: 1, reason: 'capture-loss' });
  });
});

