import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { fromHex } from '../../dissectors/bytes.ts';
import type { FieldNode } from '../../dissectors/catalog.ts';
import { WireError } from '../../dissectors/errors.ts';
import {
  CPG_FIELDS,
  decodePackedMessage,
  decodeServiceMessage,
  emitCfg,
  emitCmap,
  emitCpg,
  emitPload,
  emitSync,
  emitVotequorum,
  functionName,
  makeHeader,
  nodeFlagNames,
  parseRequestHeader,
  serviceSummary,
  serviceTree,
  SERVICE_FIELDS,
  SYNC_FIELDS,
  VOTEQUORUM_FIELDS,
  type ServiceMessage,
} from '../../dissectors/services/index.ts';
import { nameBytes } from '../../dissectors/totempg/group.ts';
import { parseTotempg } from '../../dissectors/totempg/packet.ts';
import { loadMcastFrames } from '../fixtures/totempg/fixtures.ts';

function ok<T>(v: T | WireError): T {
  if (v instanceof WireError) assert.fail(v.toString());
  return v;
}

/** Every whole packed message of a capture's MCASTs (first copy of each ring+seq). */
function realMessages(name: 'udpu' | 'udp' | 'knet-plain'): { nodeid: number; bytes: Uint8Array; svc: ServiceMessage }[] {
  const out: { nodeid: number; bytes: Uint8Array; svc: ServiceMessage }[] = [];
  const seen = new Set<string>();
  for (const f of loadMcastFrames(name)) {
    const b = f.bytes;
    const key = `${b.subarray(25, 37).join(',')}/${b.subarray(17, 21).join(',')}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const p = ok(parseTotempg(b.subarray(45), true));
    p.messages.forEach((m, i) => {
      if ((i === 0 && p.continuation !== 0) || (i === p.messages.length - 1 && p.fragmented !== 0)) return;
      const d = ok(decodePackedMessage(m, true));
      out.push({ nodeid: b[5]!, bytes: m, svc: ok(d.service) });
    });
  }
  return out;
}

function find(nodes: readonly FieldNode[], name: string): FieldNode | undefined {
  for (const n of nodes) {
    if (n.field.name === name) return n;
    const c = n.children === undefined ? undefined : find(n.children, name);
    if (c !== undefined) return c;
  }
  return undefined;
}

const knet = realMessages('knet-plain');
const udpu = realMessages('udpu');

describe('service request header (§5.1)', () => {
  it('splits id into service and function and reads size at offset 8', () => {
    const h = ok(parseRequestHeader(fromHex('03000200 00000000 70000000 00000000'), true));
    assert.deepEqual(h, { id: 0x20003, service: 2, fn: 3, size: 0x70 });
    const e = parseRequestHeader(new Uint8Array(15), true);
    assert.ok(e instanceof WireError);
    assert.equal(e.code, 'service.short');
    assert.equal(functionName(2, 6), 'partial_mcast');
    assert.equal(functionName(5, 0), 'nodeinfo');
    assert.equal(functionName(3, 0), 'fn-0');
  });

  it('names services without decoders, with function number and size', () => {
    const b = new Uint8Array(24);
    b.set(fromHex('01000300 00000000 18000000'), 0); // quorum (3) fn 1
    const q = ok(decodeServiceMessage('a', b, true));
    assert.equal(q.service, 'other');
    assert.ok(q.service === 'other');
    assert.equal(q.name, 'quorum');
    assert.equal(q.type, 'fn-1');
    assert.equal(q.body.length, 8);
    assert.equal(serviceSummary(q, true), 'quorum fn-1 size 24');
    const mon = ok(decodeServiceMessage('a', fromHex('00000600 00000000 10000000 00000000'), true));
    assert.ok(mon.service === 'other' && mon.name === 'mon');
    const wd = ok(decodeServiceMessage('a', fromHex('00000700 00000000 10000000 00000000'), true));
    assert.ok(wd.service === 'other' && wd.name === 'wd');
    const unknownSvc = ok(decodeServiceMessage('a', fromHex('02000900 00000000 10000000 00000000'), true));
    assert.ok(unknownSvc.service === 'other' && unknownSvc.name === 'service-9' && unknownSvc.type === 'fn-2');
    const unknownFn = ok(decodeServiceMessage('a', fromHex('09000200 00000000 10000000 00000000'), true));
    assert.ok(unknownFn.service === 'other' && unknownFn.name === 'cpg' && unknownFn.type === 'fn-9');
    const ykd = ok(decodeServiceMessage('ykd', fromHex('01000000 00000000 10000000 00000000'), true));
    assert.ok(ykd.service === 'other' && ykd.name === 'ykd');
    const tree = serviceTree(q, true);
    assert.equal(find(tree, 'service.name')!.value, 'quorum');
    assert.equal(find(tree, 'service.fn')!.value, 1);
  });
});

describe('CPG (§5.2) on real bytes', () => {
  it('decodes the 3000-byte mcasts of knet-plain: group wfgrp, source nodeid = sender, msglen 3000', () => {
    const mc = knet.filter((m) => m.svc.service === 'cpg' && m.svc.type === 'mcast');
    assert.equal(mc.length, 60);
    for (const m of mc) {
      assert.ok(m.svc.service === 'cpg' && m.svc.type === 'mcast');
      assert.equal(m.svc.message.length, 3000);
      assert.equal(m.svc.header.size, 3184);
      assert.equal(m.svc.sourceNodeid, m.nodeid);
      assert.equal(new TextDecoder().decode(m.svc.groupName), 'wfgrp');
      // re-encoding gives the same bytes up to the sender's uninitialised padding
      const again = ok(decodeServiceMessage('a', emitCpg(m.svc, true), true));
      assert.deepEqual({ ...again, header: null }, { ...m.svc, header: null });
    }
    const first = mc[0]!.svc;
    assert.ok(first.service === 'cpg' && first.type === 'mcast');
    assert.equal(serviceSummary(first, true), `CPG mcast group wfgrp pid ${first.pid} from ${first.sourceNodeid} len 3000`);
    const tree = serviceTree(first, true);
    assert.equal(find(tree, CPG_FIELDS.group_name.name)!.value, 'wfgrp');
    assert.equal(find(tree, CPG_FIELDS.msg_len.name)!.value, 3000);
    assert.equal(find(tree, CPG_FIELDS.pid.name)!.value, first.pid);
    assert.equal(find(tree, CPG_FIELDS.type.name)!.value, 3);
    assert.equal(find(tree, SERVICE_FIELDS.name.name)!.value, 'cpg');
  });

  it('decodes procjoin (reason join), procleave (reason procdown) and downlist (1568 B)', () => {
    const join = udpu.filter((m) => m.svc.service === 'cpg' && m.svc.type === 'procjoin');
    assert.equal(join.length, 3);
    for (const j of join) {
      assert.ok(j.svc.service === 'cpg' && j.svc.type === 'procjoin');
      assert.equal(j.svc.reason, 1);
      assert.equal(j.bytes.length, 5 + 168);
      assert.match(serviceSummary(j.svc, true), /^CPG procjoin group wfgrp pid \d+ reason join$/);
    }
    const leave = udpu.filter((m) => m.svc.service === 'cpg' && m.svc.type === 'procleave');
    assert.equal(leave.length, 3);
    assert.ok(leave.every((l) => l.svc.service === 'cpg' && l.svc.type === 'procleave' && l.svc.reason === 5));
    // udpu splits the 1573-byte packed downlist over two mcasts; knet carries it whole.
    const down = knet.filter((m) => m.svc.service === 'cpg' && m.svc.type === 'downlist');
    assert.ok(down.length >= 3);
    for (const d of down) {
      assert.ok(d.svc.service === 'cpg' && d.svc.type === 'downlist');
      assert.equal(d.svc.header.size, 1568);
      assert.deepEqual(d.svc.leftNodes, []);
    }
  });

  it('round-trips crafted joinlist, partial_mcast and downlist_old in both byte orders', () => {
    const msgs: ServiceMessage[] = [
      {
        service: 'cpg',
        type: 'joinlist',
        header: makeHeader(2, 2, 24 + 2 * 144),
        error: 0,
        entries: [
          { pid: 100, groupName: nameBytes('g1') },
          { pid: 200, groupName: nameBytes('pacemakerd') },
        ],
        trailer: new Uint8Array(0),
      },
      {
        service: 'cpg',
        type: 'partial_mcast',
        header: makeHeader(2, 6, 200 + 3),
        groupName: nameBytes('big'),
        msgLen: 9,
        pid: 42,
        partialType: 2,
        sourceNodeid: 3,
        sourceConn: 0x1234n,
        message: fromHex('010203'),
        trailer: new Uint8Array(0),
      },
      { service: 'cpg', type: 'downlist_old', header: makeHeader(2, 4, 1560), leftNodes: [4, 5], trailer: new Uint8Array(0) },
      { service: 'cpg', type: 'downlist', header: makeHeader(2, 5, 1568), oldMembers: 3, leftNodes: [2], trailer: new Uint8Array(0) },
    ];
    for (const le of [true, false]) {
      for (const m of msgs) {
        assert.ok(m.service === 'cpg');
        const back = ok(decodeServiceMessage('a', emitCpg(m, le), le));
        assert.deepEqual(back, m);
      }
    }
    assert.equal(serviceSummary(msgs[0]!, true), 'CPG joinlist 2 entries: g1/100 pacemakerd/200');
    assert.equal(serviceSummary(msgs[1]!, true), 'CPG partial_mcast continued group big pid 42 from 3 len 3/9');
    assert.equal(serviceSummary(msgs[2]!, true), 'CPG downlist_old left [4,5]');
    assert.equal(serviceSummary(msgs[3]!, true), 'CPG downlist old_members 3 left [2]');
  });

  it('returns typed CPG errors on crafted inputs', () => {
    const mk = (fn: number, len: number, patch: (b: Uint8Array) => void = () => {}): Uint8Array => {
      const b = new Uint8Array(len);
      b.set(fromHex(`0${fn}000200`), 0);
      patch(b);
      return b;
    };
    const cases: [Uint8Array, string][] = [
      [mk(0, 167), 'cpg.short'],
      [mk(0, 168, (b) => (b[16] = 129)), 'cpg.name_length'],
      [mk(3, 183), 'cpg.short'],
      [mk(3, 190, (b) => (b[152] = 7)), 'cpg.msg_len'],
      [mk(6, 199), 'cpg.short'],
      [mk(6, 200, (b) => (b[160] = 1)), 'cpg.frag_len'],
      [mk(5, 1567), 'cpg.short'],
      [mk(5, 1568, (b) => (b[25] = 2)), 'cpg.left_nodes'],
      [mk(4, 1560, (b) => (b[17] = 2)), 'cpg.left_nodes'],
      [mk(2, 23), 'cpg.short'],
      [mk(2, 24 + 100), 'cpg.joinlist_length'],
      [mk(2, 24 + 144, (b) => (b[24 + 8] = 200)), 'cpg.name_length'],
    ];
    for (const [b, code] of cases) {
      const r = decodeServiceMessage('a', b, true);
      assert.ok(r instanceof WireError, code);
      assert.equal(r.code, code);
    }
  });
});

describe('votequorum (§5.2)', () => {
  it('real nodeinfo: votes 1, expected = node count, flags decoded', () => {
    for (const [msgs, nodes] of [
      [udpu, 3],
      [realMessages('udp'), 2],
      [knet, 3],
    ] as const) {
      const infos = msgs.filter((m) => m.svc.service === 'votequorum' && m.svc.type === 'nodeinfo' && m.svc.nodeid !== 0);
      assert.ok(infos.length > 0);
      for (const i of infos) {
        assert.ok(i.svc.service === 'votequorum' && i.svc.type === 'nodeinfo');
        assert.equal(i.svc.nodeid, i.nodeid, 'a node reports its own info');
        assert.equal(i.svc.votes, 1);
        assert.equal(i.svc.expectedVotes, nodes);
        assert.equal(i.svc.header.size, 32);
      }
    }
    const quorate = udpu.find((m) => m.svc.service === 'votequorum' && m.svc.type === 'nodeinfo' && m.svc.flags === 1)!;
    assert.ok(quorate.svc.service === 'votequorum' && quorate.svc.type === 'nodeinfo');
    assert.equal(serviceSummary(quorate.svc, true), `votequorum nodeinfo node ${quorate.svc.nodeid} votes 1 expected 3 flags quorate`);
    const tree = serviceTree(quorate.svc, true);
    assert.equal(find(tree, VOTEQUORUM_FIELDS.expected_votes.name)!.value, 3);
    assert.equal(find(tree, VOTEQUORUM_FIELDS.flag_names.name)!.value, 'quorate');
    assert.deepEqual(nodeFlagNames(0x8b), ['quorate', 'leaving', 'first', 'qdevice_master_wins']);
    assert.deepEqual(nodeFlagNames(0x300), ['0x300']);
  });

  it('round-trips reconfigure, qdevice_reg and qdevice_reconfigure; typed errors', () => {
    const msgs: ServiceMessage[] = [
      { service: 'votequorum', type: 'reconfigure', header: makeHeader(5, 1, 32), nodeid: 2, value: 5, param: 1, trailer: new Uint8Array(0) },
      { service: 'votequorum', type: 'qdevice_reg', header: makeHeader(5, 2, 280), operation: 1, name: 'Qdevice', trailer: new Uint8Array(0) },
      { service: 'votequorum', type: 'qdevice_reconfigure', header: makeHeader(5, 3, 528), oldName: 'Qdevice', newName: 'qnetd', trailer: new Uint8Array(0) },
    ];
    for (const le of [true, false]) {
      for (const m of msgs) {
        assert.ok(m.service === 'votequorum');
        assert.deepEqual(ok(decodeServiceMessage('a', emitVotequorum(m, le), le)), m);
      }
    }
    assert.equal(serviceSummary(msgs[0]!, true), 'votequorum reconfigure node 2 expected_votes 5');
    assert.equal(serviceSummary(msgs[1]!, true), 'votequorum qdevice_reg register Qdevice');
    assert.equal(serviceSummary(msgs[2]!, true), 'votequorum qdevice_reconfigure Qdevice -> qnetd');
    for (const [fn, len] of [
      [0, 31],
      [1, 31],
      [2, 279],
      [3, 527],
    ]) {
      const b = new Uint8Array(len!);
      b[0] = fn!;
      b[2] = 5;
      const r = decodeServiceMessage('a', b, true);
      assert.ok(r instanceof WireError);
      assert.equal(r.code, 'votequorum.short');
    }
  });
});

describe('sync (§5.3)', () => {
  it('real service_build lists [0,2,3,5] for the ring it belongs to; barriers name their ring', () => {
    const builds = udpu.filter((m) => m.svc.service === 'sync' && m.svc.type === 'service_build');
    assert.ok(builds.length >= 8);
    for (const b of builds) {
      assert.ok(b.svc.service === 'sync' && b.svc.type === 'service_build');
      assert.deepEqual(b.svc.services, [0, 2, 3, 5]);
      assert.equal(b.svc.header.id, 1);
      assert.equal(b.bytes.length, 8 + 552);
    }
    const rings = new Set(builds.map((b) => (b.svc.service === 'sync' ? `${b.svc.ringId.rep.toString(16)}.${b.svc.ringId.seq.toString(16)}` : '')));
    assert.deepEqual([...rings].sort(), ['1.5', '1.9', '1.d', '2.5', '3.5']);
    const first = builds[0]!.svc;
    assert.equal(serviceSummary(first, true), 'sync service_build ring 1.5 services [0,2,3,5] (cmap,cpg,quorum,votequorum)');
    assert.equal(find(serviceTree(first, true), SYNC_FIELDS.services.name)!.value, '0,2,3,5');
    const barrier = udpu.find((m) => m.svc.service === 'sync' && m.svc.type === 'barrier')!;
    assert.equal(serviceSummary(barrier.svc, true), 'sync barrier ring 1.5');
    assert.equal(find(serviceTree(barrier.svc, true), SYNC_FIELDS.ring_id.name)!.value, '1.5');
  });

  it('round-trips and rejects bad sync messages with typed errors', () => {
    const m: ServiceMessage = { service: 'sync', type: 'service_build', header: { id: 1, service: 0, fn: 1, size: 552 }, ringId: { rep: 1, seq: 0xdn }, services: [0, 2], trailer: new Uint8Array(0) };
    assert.ok(m.service === 'sync');
    for (const le of [true, false]) assert.deepEqual(ok(decodeServiceMessage('sync', emitSync(m, le), le)), m);
    const short = decodeServiceMessage('sync', new Uint8Array(31), true);
    assert.ok(short instanceof WireError && short.code === 'sync.short');
    const b = emitSync(m, true);
    b[32] = 129;
    const count = decodeServiceMessage('sync', b, true);
    assert.ok(count instanceof WireError && count.code === 'sync.service_count');
    const other = ok(decodeServiceMessage('sync', fromHex('07000000 00000000 10000000 00000000'), true));
    assert.ok(other.service === 'other' && other.name === 'sync' && other.type === 'fn-7');
  });
});

describe('cmap, cfg, pload (§5.2)', () => {
  it('real cmap mcast: reason sync, one item totem.config_version not set (328 B)', () => {
    const cm = udpu.filter((m) => m.svc.service === 'cmap');
    assert.ok(cm.length >= 3);
    const c = cm[0]!.svc;
    assert.ok(c.service === 'cmap');
    assert.equal(c.reason, 0);
    assert.deepEqual(
      c.items.map((i) => [i.key, i.valueType, i.valueLen]),
      [['totem.config_version', 0, 0n]],
    );
    assert.equal(c.header.size, 328);
    assert.equal(serviceSummary(c, true), 'cmap mcast sync 1 item: totem.config_version=(not set)');
  });

  it('round-trips cmap items with values; typed errors', () => {
    const v = new Uint8Array(8);
    v[0] = 7;
    const m: ServiceMessage = {
      service: 'cmap',
      type: 'mcast',
      header: makeHeader(0, 0, 48 + 288 + 288),
      reason: 1,
      items: [
        { key: 'totem.config_version', valueType: 8, valueLen: 8n, value: v },
        { key: 'x.name', valueType: 11, valueLen: 3n, value: nameBytes('ab\0') },
      ],
      trailer: new Uint8Array(0),
    };
    assert.ok(m.service === 'cmap');
    for (const le of [true, false]) assert.deepEqual(ok(decodeServiceMessage('a', emitCmap(m, le), le)), m);
    assert.equal(serviceSummary(m, true), 'cmap mcast new_config_version 2 items: totem.config_version=7 x.name=ab');
    const b = emitCmap(m, true);
    const cases: [(x: Uint8Array) => Uint8Array, string][] = [
      [(x) => x.subarray(0, 47), 'cmap.short'],
      [(x) => x.subarray(0, 48 + 100), 'cmap.short'],
      [(x) => ((x[24] = 33), x), 'cmap.items'],
      [(x) => ((x[49] = 2), x), 'cmap.key_length'],
      [(x) => ((x[48 + 274] = 1), x), 'cmap.value_len'],
    ];
    for (const [f, code] of cases) {
      const r = decodeServiceMessage('a', f(b.slice()), true);
      assert.ok(r instanceof WireError, code);
      assert.equal(r.code, code);
    }
  });

  it('round-trips every cfg and pload message; typed errors', () => {
    const msgs: ServiceMessage[] = [
      { service: 'cfg', type: 'ringreenable', header: makeHeader(1, 0, 32), sourceNodeid: 2, trailer: new Uint8Array(0) },
      { service: 'cfg', type: 'killnode', header: makeHeader(1, 1, 288), nodeid: 3, reason: 'fenced', trailer: new Uint8Array(0) },
      { service: 'cfg', type: 'shutdown', header: makeHeader(1, 2, 16), trailer: new Uint8Array(0) },
      { service: 'cfg', type: 'reload_config', header: makeHeader(1, 3, 32), sourceNodeid: 1, trailer: new Uint8Array(0) },
      { service: 'cfg', type: 'crypto_reconfig', header: makeHeader(1, 4, 24), phase: 1, trailer: new Uint8Array(0) },
      { service: 'pload', type: 'start', header: makeHeader(4, 0, 24), msgCount: 1000, msgSize: 300, trailer: new Uint8Array(0) },
      { service: 'pload', type: 'mcast', header: makeHeader(4, 1, 300), fillerLen: 284, trailer: new Uint8Array(0) },
    ];
    const emit = (m: ServiceMessage, le: boolean): Uint8Array => (m.service === 'cfg' ? emitCfg(m, le) : m.service === 'pload' ? emitPload(m, le) : new Uint8Array(0));
    for (const le of [true, false]) for (const m of msgs) assert.deepEqual(ok(decodeServiceMessage('a', emit(m, le), le)), m);
    assert.deepEqual(
      msgs.map((m) => serviceSummary(m, true)),
      [
        'cfg ringreenable from 2',
        'cfg killnode node 3 reason fenced',
        'cfg shutdown',
        'cfg reload_config from 1',
        'cfg crypto_reconfig phase activate',
        'pload start 1000 messages of 300 bytes',
        'pload mcast 284 filler bytes',
      ],
    );
    const killShort = decodeServiceMessage('a', new Uint8Array(287).fill(0).map((_, i) => (i === 0 ? 1 : i === 2 ? 1 : 0)), true);
    assert.ok(killShort instanceof WireError && killShort.code === 'cfg.short');
    const killMsg = msgs[1]!;
    assert.ok(killMsg.service === 'cfg');
    const kill = emitCfg(killMsg, true);
    kill[25] = 2;
    const reason = decodeServiceMessage('a', kill, true);
    assert.ok(reason instanceof WireError && reason.code === 'cfg.reason_length');
    const pl = decodeServiceMessage('a', fromHex('00000400 00000000 18000000 00000000 0100'), true);
    assert.ok(pl instanceof WireError && pl.code === 'pload.short');
  });
});
