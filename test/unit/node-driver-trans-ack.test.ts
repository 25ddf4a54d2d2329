// `totemscope node` driver: which totempg assembly a delivered packet goes to must follow sync
// completion message by message, as in corosync (the last barrier's delivery acks the transitional
// configuration synchronously, so the very next packet is assembled in the regular set). The engine
// hands over several deliveries per token; when the last barrier and the first fragment of the next
// application message came in one batch, the fragment went to the transitional assembly and its
// continuation to the regular one, and the message was lost (seen in the lab: one 4372-byte CPG
// message of 1800 missing from the node's stream after a ring change under loss).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { it } from 'node:test';
import { CpgFn, emitCpg, makeHeader } from '../../dissectors/services/index.ts';
import { emitGroupedMessage, nameBytes } from '../../dissectors/totempg/group.ts';
import { parseTotempg } from '../../dissectors/totempg/packet.ts';
import { TotempgReassembler } from '../../dissectors/totempg/reassembly.ts';
import { WireError } from '../../dissectors/errors.ts';
import { loadTotemConfig } from '../../src/config/index.ts';
import type { EngineAction } from '../../src/engine/index.ts';
import { TotempgSender } from '../../src/node/framing.ts';
import { TotemNode } from '../../src/node/driver.ts';
import { ServiceLayer, type ServiceDelivery } from '../../src/node/services/index.ts';

const CONF = `totem {
  version: 2
  cluster_name: t
  transport: udpu
}
nodelist {
  node {
    ring0_addr: 192.0.2.1
    nodeid: 1
  }
  node {
    ring0_addr: 192.0.2.4
    nodeid: 4
    quorum_votes: 0
  }
}
quorum {
  provider: corosync_votequorum
}
`;

const RING = { rep: 1, seq: 8n };

/** A CPG MCAST of `size` bytes from node 1, as its group-"a" message (several totempg fragments). */
function cpgMessage(size: number): Uint8Array {
  const message = Uint8Array.from({ length: size }, (_, i) => (i * 13) & 0xff);
  const body = emitCpg(
    {
      service: 'cpg',
      type: 'mcast',
      header: makeHeader(2, CpgFn.MCAST, 184 + size),
      groupName: nameBytes('g'),
      pid: 9,
      sourceNodeid: 1,
      sourceConn: 0n,
      message,
      trailer: new Uint8Array(0),
    },
    true,
  );
  return emitGroupedMessage({ groups: [nameBytes('a')], body }, true);
}

/**
 * Node 4 (the driver, its engine replaced by a script) and node 1 (a bare service layer) sync a
 * new ring [1, 4] over a scripted total order, one packet per engine batch, except that the packet
 * at index `batchAt` is handed over together with the first fragment of node 1's CPG message; the
 * remaining fragments follow in the next batch (`together` false: each in a batch of its own). Returns at which packet index node 4 completed sync
 * and the CPG messages it delivered.
 */
function run(batchAt: number | undefined, together = true): { syncAt: number | undefined; cpg: ServiceDelivery[] } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'totemscope-driver-'));
  try {
    const loaded = loadTotemConfig(CONF);
    assert.ok(!('error' in loaded), 'config');
    const delivered: ServiceDelivery[] = [];
    const node = new TotemNode({ nodeid: 4, totem: loaded.totem, nodes: loaded.nodes, stateDir: dir, log: () => {}, onDeliver: (d) => delivered.push(d) });
    let batch: EngineAction[] = [];
    const submitted: Uint8Array[] = [];
    const engine = node.engine as unknown as { takeActions(): EngineAction[]; submit(p: Uint8Array, now: number): boolean; transAck(): void };
    engine.takeActions = () => {
      const b = batch;
      batch = [];
      return b;
    };
    engine.submit = (p) => {
      submitted.push(p);
      return true;
    };
    engine.transAck = () => {};
    const pump = (actions: EngineAction[]): void => {
      batch = actions;
      (node as unknown as { pump(): void }).pump();
    };

    const layer1 = new ServiceLayer({ nodeid: 1, votes: 1, expectedVotes: 1 });
    const sender1 = new TotempgSender(1410);
    const assembly1 = new TotempgReassembler();
    const order: { sender: number; packet: Uint8Array }[] = [];
    const collect = (): void => {
      for (const o of layer1.takeOutput()) if (o.type === 'mcast') for (const p of sender1.packets(o.bytes)) order.push({ sender: 1, packet: p });
      for (const p of submitted.splice(0)) order.push({ sender: 4, packet: p });
    };
    let seq = 0;
    const deliverAction = (sender: number, packet: Uint8Array): EngineAction => ({ type: 'deliver', ringId: RING, seq: ++seq, sender, payload: packet });
    const toLayer1 = (sender: number, packet: Uint8Array): void => {
      const p = parseTotempg(packet, true);
      assert.ok(!(p instanceof WireError));
      for (const c of assembly1.feed(sender, p, { seq, frame: 0, time: 0 }).complete) layer1.onMessage(sender, c.bytes);
    };

    pump([
      { type: 'configuration', kind: 'transitional', ringId: RING, members: [4], joined: [], left: [] },
      { type: 'configuration', kind: 'regular', ringId: RING, members: [1, 4], joined: [1], left: [] },
    ]);
    layer1.onConfiguration('transitional', [1], RING);
    layer1.onConfiguration('regular', [1, 4], RING);
    collect();

    let syncAt: number | undefined;
    for (let i = 0; order.length > 0; i++) {
      const next = order.shift()!;
      if (i === batchAt) {
        const [first, ...rest] = sender1.packets(cpgMessage(4000));
        assert.ok(first !== undefined && rest.length > 0, 'a fragmented message');
        if (together) {
          pump([deliverAction(next.sender, next.packet), deliverAction(1, first)]);
        } else {
          pump([deliverAction(next.sender, next.packet)]);
          pump([deliverAction(1, first)]);
        }
        pump(rest.map((p) => deliverAction(1, p)));
      } else {
        pump([deliverAction(next.sender, next.packet)]);
      }
      toLayer1(next.sender, next.packet);
      if (syncAt === undefined && node.counters.syncCompleted > 0) syncAt = i;
      collect();
    }
    // Deliveries after sync are deferred to the next turn of the event loop: hand them over now.
    (node as unknown as { drainDeliveries(): void }).drainDeliveries();
    void node.transport.close();
    return { syncAt, cpg: delivered.filter((d) => d.cpg !== undefined) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

it('control: the same packets, the barrier in a batch of its own', () => {
  const dry = run(undefined);
  assert.equal(run(dry.syncAt, false).cpg.length, 1);
});

it('the first packet after the sync-completing barrier is assembled as a regular one, also in the same batch', () => {
  const dry = run(undefined);
  assert.ok(dry.syncAt !== undefined, 'node 4 completes sync of ring [1, 4]');
  const { syncAt, cpg } = run(dry.syncAt);
  assert.equal(syncAt, dry.syncAt);
  assert.equal(cpg.length, 1, 'the CPG message that followed the last barrier is delivered');
  assert.equal(cpg[0]!.cpg!.message.length, 4000);
});
