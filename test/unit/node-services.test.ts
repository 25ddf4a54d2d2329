// The service layer of `totemscope node` (src/node/services): the messages it sends are byte-for-byte
// what corosync 3.1.7 sends (compared with real udpu capture bytes), and its sync engine sends
// SERVICE_BUILD and every barrier in corosync's order and completes only when every member did.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { WireError } from '../../dissectors/errors.ts';
import { CpgFn, decodePackedMessage, emitCpg, makeHeader, type ServiceMessage } from '../../dissectors/services/index.ts';
import { emitGroupedMessage, nameBytes } from '../../dissectors/totempg/group.ts';
import { parseTotempg } from '../../dissectors/totempg/packet.ts';
import { TotempgReassembler } from '../../dissectors/totempg/reassembly.ts';
import { configVersionMessage, downlistMessage, nodeinfoMessage, ServiceLayer, type ServiceOutput } from '../../src/node/services/index.ts';
import { TotempgSender } from '../../src/node/framing.ts';
import { loadMcastFrames } from '../fixtures/totempg/fixtures.ts';

function ok<T>(v: T | WireError): T {
  if (v instanceof WireError) assert.fail(v.toString());
  return v;
}

/** Complete packed messages of the udpu capture's MCASTs (first copy of each, reassembled), with the sender. */
function realMessages(): { nodeid: number; bytes: Uint8Array; svc: ServiceMessage }[] {
  const out: { nodeid: number; bytes: Uint8Array; svc: ServiceMessage }[] = [];
  const seen = new Set<string>();
  const r = new TotempgReassembler();
  for (const f of loadMcastFrames('udpu')) {
    const b = f.bytes;
    const key = `${b.subarray(25, 37).join(',')}/${b.subarray(17, 21).join(',')}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const nodeid = b[5]!;
    for (const c of r.feed(nodeid, ok(parseTotempg(b.subarray(45), true)), { seq: 0, frame: f.frame, time: f.time }).complete) {
      out.push({ nodeid, bytes: c.bytes, svc: ok(ok(decodePackedMessage(c.bytes, true)).service) });
    }
  }
  return out;
}

const A = nameBytes('a');
const grouped = (body: Uint8Array): Uint8Array => emitGroupedMessage({ groups: [A], body }, true);
const mcasts = (out: readonly ServiceOutput[]): Uint8Array[] => out.flatMap((o) => (o.type === 'mcast' ? [o.bytes] : []));

describe('node services: bytes as corosync sends them (udpu capture)', () => {
  const real = realMessages();

  it('SERVICE_BUILD and BARRIER equal a corosync member\'s for the same ring', () => {
    const build = real.find((m) => m.svc.service === 'sync' && m.svc.type === 'service_build');
    assert.ok(build !== undefined && build.svc.service === 'sync');
    const ring = build.svc.ringId;
    const layer = new ServiceLayer({ nodeid: build.nodeid, votes: 1, expectedVotes: 3 });
    layer.onConfiguration('regular', [build.nodeid], ring);
    const sent = mcasts(layer.takeOutput());
    assert.deepEqual(sent[0], build.bytes, 'service_build');
    const barrier = real.find((m) => m.svc.service === 'sync' && m.svc.type === 'barrier' && m.svc.ringId.seq === ring.seq);
    assert.ok(barrier !== undefined);
    // A singleton ring: our own SERVICE_BUILD completes the build; the first service (cmap) then runs.
    layer.onMessage(build.nodeid, sent[0]!);
    const next = mcasts(layer.takeOutput());
    assert.deepEqual(next.at(-1), barrier.bytes, 'barrier');
  });

  it('votequorum NODEINFO, CPG DOWNLIST and the cmap config_version message', () => {
    const info = real.find((m) => m.svc.service === 'votequorum' && m.svc.type === 'nodeinfo' && m.svc.nodeid !== 0);
    assert.ok(info !== undefined && info.svc.service === 'votequorum' && info.svc.type === 'nodeinfo');
    assert.deepEqual(grouped(nodeinfoMessage(info.svc.nodeid, info.svc.votes, info.svc.expectedVotes, info.svc.flags)), info.bytes);
    const qdev = real.find((m) => m.svc.service === 'votequorum' && m.svc.type === 'nodeinfo' && m.svc.nodeid === 0);
    assert.ok(qdev !== undefined);
    assert.deepEqual(grouped(nodeinfoMessage(0, 0, 0, 0)), qdev.bytes);
    const down = real.find((m) => m.svc.service === 'cpg' && m.svc.type === 'downlist');
    assert.ok(down !== undefined && down.svc.service === 'cpg' && down.svc.type === 'downlist');
    assert.deepEqual(grouped(downlistMessage(down.svc.oldMembers, down.svc.leftNodes)), down.bytes);
    const cmap = real.find((m) => m.svc.service === 'cmap');
    assert.ok(cmap !== undefined);
    assert.deepEqual(grouped(configVersionMessage()), cmap.bytes);
  });
});

describe('node services: sync engine', () => {
  /** Every member's layer, fed the same agreed order (what the ring guarantees). */
  function cluster(ids: readonly number[]) {
    const layers = new Map(ids.map((id) => [id, new ServiceLayer({ nodeid: id, votes: id === 4 ? 0 : 1, expectedVotes: 3 })]));
    const order: { from: number; bytes: Uint8Array }[] = [];
    const logs = new Map<number, string[]>(ids.map((id) => [id, []]));
    const completed = new Map<number, number>(ids.map((id) => [id, 0]));
    const drain = (id: number): void => {
      for (const o of layers.get(id)!.takeOutput()) {
        if (o.type === 'mcast') order.push({ from: id, bytes: o.bytes });
        if (o.type === 'log') logs.get(id)!.push(o.text);
        if (o.type === 'syncCompleted') completed.set(id, completed.get(id)! + 1);
      }
    };
    return {
      layers,
      logs,
      completed,
      order,
      configure(members: readonly number[], ring: { rep: number; seq: bigint }, trans: readonly number[]): void {
        for (const id of members) {
          layers.get(id)!.onConfiguration('transitional', trans.filter((t) => t === id || trans.includes(id)), ring);
          layers.get(id)!.onConfiguration('regular', members, ring);
          drain(id);
        }
      },
      /** Delivers queued messages to every member in one total order until none are left. */
      run(members: readonly number[], skip?: (from: number, bytes: Uint8Array) => boolean): number {
        let n = 0;
        while (order.length > 0) {
          const m = order.shift()!;
          if (skip?.(m.from, m.bytes) === true) continue;
          n++;
          for (const id of members) {
            layers.get(id)!.onMessage(m.from, m.bytes);
            drain(id);
          }
        }
        return n;
      },
    };
  }

  it('four members: services 0,2,3,5 each end with a barrier from everyone; all complete once', () => {
    const c = cluster([1, 2, 3, 4]);
    const ring = { rep: 1, seq: 0x11n };
    c.configure([1, 2, 3, 4], ring, [1, 2, 3]);
    const delivered = c.run([1, 2, 3, 4]);
    // 4 builds + 4 × (cmap 1 + barrier) + 4 × (downlist + barrier) + 4 × barrier + 4 × (2 nodeinfo + barrier).
    assert.equal(delivered, 4 + 8 + 8 + 4 + 12);
    for (const id of [1, 2, 3, 4]) assert.equal(c.completed.get(id), 1, `node ${id} completed`);
    assert.ok(c.logs.get(4)!.includes('Completed service synchronization, ready to provide service.'));
    assert.equal(c.layers.get(4)!.votequorum.isQuorate, true);
    assert.deepEqual(c.layers.get(4)!.votequorum.view(), { totalVotes: 3, expectedVotes: 3, quorum: 2 });
  });

  it('a member that withholds its barrier blocks completion everywhere', () => {
    const c = cluster([1, 2, 3, 4]);
    c.configure([1, 2, 3, 4], { rep: 1, seq: 0x15n }, [1, 2, 3, 4]);
    let barriers = 0;
    c.run([1, 2, 3, 4], (from, bytes) => {
      const d = ok(decodePackedMessage(bytes, true));
      const s = ok(d.service);
      if (from === 4 && s.service === 'sync' && s.type === 'barrier') {
        barriers++;
        return true;
      }
      return false;
    });
    assert.equal(barriers, 1, 'node 4 sent the first barrier, then waited for its own');
    for (const id of [1, 2, 3, 4]) assert.equal(c.completed.get(id), 0);
  });

  it('messages for another ring are ignored and a new ring restarts sync', () => {
    const c = cluster([1, 4]);
    c.configure([1, 4], { rep: 1, seq: 0x20n }, [1]);
    const stale = c.order.splice(0); // the builds of a ring that was replaced before delivery
    c.configure([1, 4], { rep: 1, seq: 0x24n }, [1, 4]);
    c.order.unshift(...stale);
    c.run([1, 4]);
    assert.equal(c.completed.get(1), 1);
    assert.equal(c.completed.get(4), 1);
  });
});

describe('node services: CPG deliveries', () => {
  const group = nameBytes('totemscope');
  const piece = (partialType: number, message: Uint8Array, msgLen: number): Uint8Array =>
    grouped(
      emitCpg(
        {
          service: 'cpg',
          type: 'partial_mcast',
          header: makeHeader(2, CpgFn.PARTIAL_MCAST, 200 + message.length),
          groupName: group,
          msgLen,
          pid: 77,
          partialType,
          sourceNodeid: 2,
          sourceConn: 0n,
          message,
          trailer: new Uint8Array(0),
        },
        true,
      ),
    );

  it('MCAST is delivered at once; PARTIAL_MCAST pieces are joined and delivered on the last', () => {
    const layer = new ServiceLayer({ nodeid: 4, votes: 0, expectedVotes: 3 });
    const whole = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff);
    layer.onMessage(
      1,
      grouped(
        emitCpg(
          { service: 'cpg', type: 'mcast', header: makeHeader(2, CpgFn.MCAST, 184 + 300), groupName: group, pid: 9, sourceNodeid: 1, sourceConn: 0n, message: whole, trailer: new Uint8Array(0) },
          true,
        ),
      ),
    );
    const big = Uint8Array.from({ length: 2500 }, (_, i) => (i * 7) & 0xff);
    layer.onMessage(2, piece(1, big.subarray(0, 1000), 2500));
    layer.onMessage(2, piece(2, big.subarray(1000, 2000), 2500));
    layer.onMessage(2, piece(3, big.subarray(2000), 2500));
    const cpg = layer.takeOutput().flatMap((o) => (o.type === 'deliver' && o.delivery.cpg !== undefined ? [o.delivery.cpg] : []));
    assert.equal(cpg.length, 2);
    assert.deepEqual({ ...cpg[0]!, message: [...cpg[0]!.message] }, { group: 'totemscope', pid: 9, nodeid: 1, message: [...whole] });
    assert.deepEqual({ ...cpg[1]!, message: [...cpg[1]!.message] }, { group: 'totemscope', pid: 77, nodeid: 2, message: [...big] });
  });

  it('a ring change drops a half-joined message', () => {
    const layer = new ServiceLayer({ nodeid: 4, votes: 0, expectedVotes: 3 });
    layer.onMessage(2, piece(1, new Uint8Array(10), 20));
    layer.resetPartial();
    layer.onMessage(2, piece(3, new Uint8Array(10), 20));
    const cpg = layer.takeOutput().flatMap((o) => (o.type === 'deliver' && o.delivery.cpg !== undefined ? [o.delivery.cpg] : []));
    assert.deepEqual(cpg, [], 'a tail without its first piece is not delivered');
  });
});

describe('node framing: totempg packets the reassembler accepts', () => {
  it('small messages travel whole, large ones as numbered fragments that reassemble', () => {
    const sender = new TotempgSender(1410);
    const r = new TotempgReassembler();
    const small = new Uint8Array(100).fill(7);
    const large = Uint8Array.from({ length: 5000 }, (_, i) => i & 0xff);
    const packets = [...sender.packets(small), ...sender.packets(large), ...sender.packets(small)];
    assert.equal(packets.length, 1 + 4 + 1);
    for (const p of packets) assert.ok(p.length <= 1410);
    const got: Uint8Array[] = [];
    packets.forEach((p, i) => {
      const res = r.feed(4, ok(parseTotempg(p, true)), { seq: i, frame: i, time: 0 });
      assert.equal(res.incomplete.length, 0);
      got.push(...res.complete.map((c) => c.bytes));
    });
    assert.deepEqual(got, [small, large, small]);
  });
});
