/**
 * Totem SRP v3 message files, field by field on hand-checked real frames (wire-format.md §3.3),
 * every error code on a crafted frame, detection, trees and summaries.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromHex, toHex } from '../../dissectors/bytes.ts';
import { WireError } from '../../dissectors/errors.ts';
import {
  TOTEMSRP_ERROR_CODES,
  TOTEMSRP_FIELDS,
  decodeTotem,
  detectTotem,
  encodeTotem,
  encodedLength,
  totemSummary,
  totemTree,
  type TotemMessage,
} from '../../dissectors/totemsrp/index.ts';
import type { FieldNode as FieldNodeLike } from '../../dissectors/catalog.ts';
import { fixtureFrame } from '../fixtures/totemsrp/frames.ts';

function decodeOk(b: Uint8Array): TotemMessage {
  const m = decodeTotem(b);
  if (m instanceof WireError) assert.fail(`unexpected ${m.toString()}`);
  return m;
}

function decodeErr(b: Uint8Array): WireError {
  const m = decodeTotem(b);
  assert.ok(m instanceof WireError, `expected an error, got ${JSON.stringify(m, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v))}`);
  return m;
}

function find(nodes: readonly FieldNodeLike[], name: string): FieldNodeLike | undefined {
  for (const n of nodes) {
    if (n.field.name === name) return n;
    const c = n.children ? find(n.children, name) : undefined;
    if (c) return c;
  }
  return undefined;
}

/** wire-format.md §3.3: the initial ORF token of ring 1.9 (knet-plain.pcap, after the knet header). */
const ORF_RING_1_9 =
  '70c0 03 00 00 01000000 02000000 00000000 00000000 ffffffff 01000000 01000000 0900000000000000 00000000 00000000 00000000 00000000';

describe('ORF_TOKEN', () => {
  it('decodes the initial token of ring 1.9 from wire-format.md §3.3 field by field', () => {
    const b = fromHex(ORF_RING_1_9);
    assert.equal(b.length, 57);
    const m = decodeOk(b);
    assert.equal(m.kind, 'orf_token');
    if (m.kind !== 'orf_token') return;
    assert.deepEqual(m.header, { littleEndian: true, version: 3, type: 0, encapsulated: 0, nodeid: 1, targetNodeid: 2 });
    assert.equal(m.seq, 0);
    assert.equal(m.tokenSeq, 0);
    assert.equal(m.aru, 0xffffffff);
    assert.equal(m.aruAddr, 1);
    assert.deepEqual(m.ringId, { rep: 1, seq: 9n });
    assert.equal(m.backlog, 0);
    assert.equal(m.fcc, 0);
    assert.equal(m.retransFlg, 0);
    assert.deepEqual(m.rtrList, []);
    assert.equal(m.trailer.length, 0);
    assert.equal(toHex(encodeTotem(m)), toHex(b));
    assert.equal(totemSummary(m), 'ORF_TOKEN ring 1.9 seq 0 aru ffffffff token_seq 0');
  });

  it('is the same token in the real udpu capture (frame 49)', () => {
    const m = decodeOk(fixtureFrame('udpu.pcap', 49));
    assert.equal(m.kind, 'orf_token');
    if (m.kind !== 'orf_token') return;
    assert.deepEqual(m.ringId, { rep: 1, seq: 9n });
    assert.equal(m.header.targetNodeid, 0x02000000, 'udpu leaves stack garbage in target_nodeid (§2.2)');
  });

  it('carries an rtr list (crafted from the real token: 2 entries) and prints it in hex', () => {
    const base = decodeOk(fromHex(ORF_RING_1_9));
    assert.equal(base.kind, 'orf_token');
    if (base.kind !== 'orf_token') return;
    const ring = { rep: 1, seq: 0xdn };
    const m: TotemMessage = {
      ...base,
      seq: 0x41,
      aru: 0x3f,
      tokenSeq: 812,
      ringId: ring,
      rtrList: [
        { ringId: ring, seq: 0x3f },
        { ringId: ring, seq: 0x40 },
      ],
    };
    const bytes = encodeTotem(m);
    assert.equal(bytes.length, 57 + 2 * 16);
    assert.equal(encodedLength(m), bytes.length);
    // rtr_list_entries @53, first item's seq @57+12
    assert.equal(toHex(bytes, 53, 57), '02000000');
    assert.equal(toHex(bytes, 57, 73), '010000000d000000000000003f000000');
    assert.deepEqual(decodeOk(bytes), m);
    assert.equal(totemSummary(m), 'ORF_TOKEN ring 1.d seq 41 aru 3f token_seq 812 rtr 2 [3f 40]');
  });
});

describe('MCAST', () => {
  it('decodes udpu frame 3 (first CPG-era mcast on ring 1.5)', () => {
    const b = fixtureFrame('udpu.pcap', 3);
    const m = decodeOk(b);
    assert.equal(m.kind, 'mcast');
    if (m.kind !== 'mcast') return;
    assert.deepEqual(m.header, { littleEndian: true, version: 3, type: 1, encapsulated: 2, nodeid: 1, targetNodeid: 0 });
    assert.equal(m.systemFrom, 1);
    assert.equal(m.seq, 1);
    assert.equal(m.thisSeqno, 0);
    assert.deepEqual(m.ringId, { rep: 1, seq: 5n });
    assert.equal(m.nodeId, 0);
    assert.equal(m.guarantee, 0);
    assert.equal(m.payload.length, b.length - 45);
    assert.equal(toHex(m.payload), toHex(b, 45));
    assert.equal(m.payload.buffer, b.buffer, 'payload is a zero-copy view');
    assert.equal(totemSummary(m), `MCAST ring 1.5 seq 1 from 1 len ${b.length - 45}`);
    assert.equal(toHex(encodeTotem(m)), toHex(b));
  });

  it('nests an encapsulated (recovery) MCAST in the tree', () => {
    const inner = decodeOk(fixtureFrame('udpu.pcap', 3));
    assert.equal(inner.kind, 'mcast');
    if (inner.kind !== 'mcast') return;
    const outer: TotemMessage = { ...inner, header: { ...inner.header, encapsulated: 1 }, seq: 7, ringId: { rep: 1, seq: 9n }, payload: encodeTotem(inner) };
    const bytes = encodeTotem(outer);
    const back = decodeOk(bytes);
    assert.deepEqual(back, outer);
    assert.match(totemSummary(back), / encapsulated$/);
    const tree = totemTree(back, { transport: 'udpu' });
    const nested = find(tree[0]!.children![1]!.children!, 'corosync_totemsrp');
    assert.ok(nested, 'the encapsulated message is decoded as a nested corosync_totemsrp subtree');
  });
});

describe('MEMB_JOIN', () => {
  it('decodes udpu frame 191 (node 3 joining with proc [3,1,2])', () => {
    const b = fixtureFrame('udpu.pcap', 191);
    const m = decodeOk(b);
    assert.equal(m.kind, 'memb_join');
    if (m.kind !== 'memb_join') return;
    assert.equal(m.header.nodeid, 3);
    assert.equal(m.systemFrom, 3);
    assert.deepEqual(m.procList, [3, 1, 2]);
    assert.deepEqual(m.failedList, []);
    assert.equal(m.ringSeq, 5n);
    assert.equal(totemSummary(m), 'JOIN from 3 ring_seq 0x5 proc [3,1,2] failed []');
    assert.equal(toHex(encodeTotem(m)), toHex(b));
  });

  it('a leave is a JOIN with header nodeid 0 (crafted from a real join, as memb_leave_message_send builds it)', () => {
    const real = decodeOk(fixtureFrame('udpu.pcap', 191));
    assert.equal(real.kind, 'memb_join');
    if (real.kind !== 'memb_join') return;
    const leave: TotemMessage = { ...real, header: { ...real.header, nodeid: 0 }, procList: [1, 2], failedList: [3], ringSeq: 0xdn };
    const bytes = encodeTotem(leave);
    assert.equal(toHex(bytes, 5, 9), '00000000');
    assert.equal(toHex(bytes, 17, 25), '0200000001000000');
    const back = decodeOk(bytes);
    assert.deepEqual(back, leave);
    assert.equal(totemSummary(back), 'LEAVE from 3 ring_seq 0xd proc [1,2] failed [3]');
    const leaveNode = find(totemTree(back, { transport: 'knet' }), 'corosync_totemsrp.memb_join.leave');
    assert.equal(leaveNode?.value, true);
  });
});

describe('MEMB_COMMIT_TOKEN', () => {
  it('decodes udpu frame 195 (ring 1.d, third hop, all entries filled)', () => {
    const b = fixtureFrame('udpu.pcap', 195);
    assert.equal(b.length, 41 + 3 * 28);
    const m = decodeOk(b);
    assert.equal(m.kind, 'memb_commit_token');
    if (m.kind !== 'memb_commit_token') return;
    assert.equal(m.header.nodeid, 3);
    assert.equal(m.tokenSeq, 3);
    assert.deepEqual(m.ringId, { rep: 1, seq: 0xdn });
    assert.equal(m.retransFlg, 0);
    assert.equal(m.membIndex, 3);
    assert.deepEqual(m.addr, [1, 2, 3]);
    assert.deepEqual(m.membList, [
      { ringId: { rep: 1, seq: 9n }, aru: 0xe, highDelivered: 0xe, receivedFlg: 1 },
      { ringId: { rep: 1, seq: 9n }, aru: 0xe, highDelivered: 0xe, receivedFlg: 1 },
      { ringId: { rep: 3, seq: 5n }, aru: 8, highDelivered: 8, receivedFlg: 1 },
    ]);
    assert.equal(totemSummary(m), 'COMMIT_TOKEN ring 1.d idx 3/3 tseq 3 addr [1,2,3]');
    assert.equal(toHex(encodeTotem(m)), toHex(b));
  });

  it('keeps unfilled slots (udpu frame 45: first hop of ring 1.9, 2 members)', () => {
    const m = decodeOk(fixtureFrame('udpu.pcap', 45));
    assert.equal(m.kind, 'memb_commit_token');
    if (m.kind !== 'memb_commit_token') return;
    assert.equal(m.membIndex, 1);
    assert.deepEqual(m.addr, [1, 2]);
    assert.deepEqual(m.membList[0], { ringId: { rep: 1, seq: 5n }, aru: 8, highDelivered: 8, receivedFlg: 1 });
    assert.deepEqual(m.membList[1], { ringId: { rep: 0, seq: 0n }, aru: 0, highDelivered: 0, receivedFlg: 0 });
  });
});

describe('MEMB_MERGE_DETECT and TOKEN_HOLD_CANCEL', () => {
  it('decodes udpu frame 19 (merge detect with garbage target_nodeid) and flags the target on udpu only', () => {
    const b = fixtureFrame('udpu.pcap', 19);
    const m = decodeOk(b);
    assert.equal(m.kind, 'memb_merge_detect');
    if (m.kind !== 'memb_merge_detect') return;
    assert.equal(m.systemFrom, 1);
    assert.deepEqual(m.ringId, { rep: 1, seq: 5n });
    assert.equal(m.header.targetNodeid, 0x537e0056);
    assert.equal(totemSummary(m), 'MERGE_DETECT from 1 ring 1.5');
    const udpu = find(totemTree(m, { transport: 'udpu' }), 'corosync_totemsrp.message_header.target_nodeid');
    assert.equal(udpu?.note, '(not meaningful on udp/udpu)');
    const udp = find(totemTree(m, { transport: 'udp' }), 'corosync_totemsrp.message_header.target_nodeid');
    assert.equal(udp?.note, '(not meaningful on udp/udpu)');
    const knet = find(totemTree(m, { transport: 'knet' }), 'corosync_totemsrp.message_header.target_nodeid');
    assert.equal(knet?.note, undefined);
    assert.equal(toHex(encodeTotem(m)), toHex(b));
  });

  it('decodes udpu frame 412 (token hold cancel on ring 1.d)', () => {
    const b = fixtureFrame('udpu.pcap', 412);
    const m = decodeOk(b);
    assert.equal(m.kind, 'token_hold_cancel');
    if (m.kind !== 'token_hold_cancel') return;
    assert.equal(m.header.nodeid, 1);
    assert.deepEqual(m.ringId, { rep: 1, seq: 0xdn });
    assert.equal(totemSummary(m), 'TOKEN_HOLD_CANCEL from 1 ring 1.d');
    assert.equal(toHex(encodeTotem(m)), toHex(b));
  });
});

describe('byte order', () => {
  it('reads the foreign (big-endian) magic 0x70C0 and swaps every field', () => {
    const le = decodeOk(fromHex(ORF_RING_1_9));
    const be = fromHex(
      'c070 03 00 00 00000001 00000002 00000000 00000000 ffffffff 00000001 00000001 0000000000000009 00000000 00000000 00000000 00000000',
    );
    const m = decodeOk(be);
    assert.deepEqual(m, { ...le, header: { ...le.header, littleEndian: false } });
    assert.equal(toHex(encodeTotem(m)), toHex(be));
  });

  it('keeps bytes after the structure in trailer for exact round trips', () => {
    const b = fromHex(ORF_RING_1_9 + 'deadbeef');
    const m = decodeOk(b);
    assert.equal(toHex(m.trailer), 'deadbeef');
    assert.equal(toHex(encodeTotem(m)), toHex(b));
    assert.equal(find(totemTree(m, { transport: 'knet' }), 'corosync_totemsrp.trailer')?.value, m.trailer);
  });
});

describe('validation (corosync 3.1.7 deb12u2, wire-format.md §3.6)', () => {
  const orf = () => fromHex(ORF_RING_1_9);
  const put32 = (b: Uint8Array, o: number, v: number) => {
    b[o] = v & 0xff;
    b[o + 1] = (v >>> 8) & 0xff;
    b[o + 2] = (v >>> 16) & 0xff;
    b[o + 3] = (v >>> 24) & 0xff;
    return b;
  };
  const withLen = (b: Uint8Array, len: number) => {
    const o = new Uint8Array(len);
    o.set(b.subarray(0, Math.min(len, b.length)));
    return o;
  };
  const join = () => fixtureFrame('udpu.pcap', 191);
  const commit = () => fixtureFrame('udpu.pcap', 195);

  const cases: Array<[code: string, offset: number, bytes: () => Uint8Array, message?: RegExp]> = [
    ['totemsrp.too_short', 0, () => orf().subarray(0, 12)],
    ['totemsrp.too_short', 0, () => new Uint8Array(0)],
    ['totemsrp.bad_magic', 0, () => fromHex('fefe0000' + '00'.repeat(40)), /corosync 2\.3\+ crypto header/],
    ['totemsrp.bad_magic', 0, () => fromHex('ffff0000' + '00'.repeat(40)), /corosync 2\.2/],
    ['totemsrp.bad_magic', 0, () => fromHex('0100000100000056020000000000004690'), /unencrypted knet/],
    ['totemsrp.bad_magic', 0, () => fromHex('000022ff01000000' + '00'.repeat(60)), /corosync 2\.0\/2\.1\/1\.x/],
    ['totemsrp.bad_magic', 0, () => fromHex('a1b2c3d4' + '00'.repeat(40)), /encrypted/],
    ['totemsrp.bad_version', 2, () => ((b) => ((b[2] = 2), b))(orf())],
    ['totemsrp.bad_type', 3, () => ((b) => ((b[3] = 6), b))(orf())],
    ['totemsrp.bad_type', 3, () => ((b) => ((b[3] = 0xff), b))(orf())],
    ['totemsrp.truncated', 53, () => orf().subarray(0, 56)],
    ['totemsrp.truncated', 13, () => orf().subarray(0, 13)],
    ['totemsrp.truncated', 41, () => fixtureFrame('udpu.pcap', 3).subarray(0, 44)],
    ['totemsrp.truncated', 17, () => fixtureFrame('udpu.pcap', 19).subarray(0, 28)],
    ['totemsrp.truncated', 25, () => join().subarray(0, 32)],
    ['totemsrp.truncated', 37, () => commit().subarray(0, 40)],
    ['totemsrp.truncated', 13, () => fixtureFrame('udpu.pcap', 412).subarray(0, 24)],
    ['totemsrp.token_too_long', 1500, () => withLen(orf(), 1501)],
    ['totemsrp.rtr_list_too_long', 53, () => put32(withLen(orf(), 57 + 31 * 16), 53, 31)],
    ['totemsrp.negative_count', 53, () => put32(orf(), 53, -1)],
    ['totemsrp.list_overrun', 53, () => put32(withLen(orf(), 57 + 16), 53, 2)],
    ['totemsrp.proc_list_too_long', 17, () => put32(withLen(join(), 33 + 385 * 4), 17, 385)],
    ['totemsrp.failed_list_too_long', 21, () => put32(withLen(join(), 33 + 388 * 4), 21, 385)],
    ['totemsrp.list_overrun', 17, () => put32(join(), 17, 4)],
    ['totemsrp.list_overrun', 21, () => put32(join(), 21, 1)],
    ['totemsrp.proc_list_too_long', 17, () => put32(join(), 17, 0xffffffff)],
    ['totemsrp.negative_count', 37, () => put32(commit(), 37, -3)],
    ['totemsrp.addr_list_too_long', 37, () => put32(withLen(commit(), 41 + 385 * 28), 37, 385)],
    ['totemsrp.list_overrun', 37, () => put32(commit(), 37, 4)],
  ];

  for (const [code, offset, bytes, message] of cases) {
    it(`${code} at ${offset}${message ? ` (${message.source})` : ''}`, () => {
      const e = decodeErr(bytes());
      assert.equal(e.code, code);
      assert.equal(e.offset, offset);
      if (message) assert.match(e.message, message);
    });
  }

  it('covers every error code', () => {
    const tested = new Set(cases.map((c) => c[0]));
    assert.deepEqual([...TOTEMSRP_ERROR_CODES].filter((c) => !tested.has(c)), []);
  });

  it('accepts the limits themselves: 30 rtr entries in exactly 1500 bytes... and 384 join entries', () => {
    const b = put32(withLen(orf(), 57 + 30 * 16), 53, 30);
    const m = decodeOk(b);
    assert.equal(m.kind === 'orf_token' && m.rtrList.length, 30);
    const big = withLen(orf(), 1500);
    assert.equal(decodeOk(big).trailer.length, 1500 - 57);
    const j = put32(put32(withLen(join(), 33 + 768 * 4), 17, 384), 21, 384);
    const jm = decodeOk(j);
    assert.equal(jm.kind === 'memb_join' && jm.procList.length + jm.failedList.length, 768);
  });

  it('big-endian counts are checked in the sender order', () => {
    const be = fromHex('c070030000' + '00000001 00000002'.replace(/ /g, '') + '00'.repeat(40) + '0000001f');
    const e = decodeErr(be);
    assert.equal(e.code, 'totemsrp.rtr_list_too_long');
  });
});

describe('detectTotem', () => {
  const cases: Array<[string, string]> = [
    ['70c00300', 'totem-v3'],
    ['c0700300', 'totem-v3-foreign-endian'],
    ['fefe0000', 'corosync-2.3+'],
    ['ffff0000', 'corosync-2.2'],
    ['01000001', 'knet-clear'],
    ['01810002', 'knet-clear'],
    ['030022ff', 'totem-v1-v2'],
    ['0102ff22', 'totem-v1-v2'],
    ['0000', 'totem-v1-v2'],
    ['a1b2c3d4', 'unknown'],
    ['70', 'unknown'],
    ['', 'unknown'],
  ];
  for (const [hex, want] of cases) {
    it(`${hex || '(empty)'} → ${want}`, () => assert.equal(detectTotem(fromHex(hex)), want));
  }
});

describe('catalog', () => {
  it('has the Wireshark names and the v3 extensions', () => {
    const names = new Set(TOTEMSRP_FIELDS.map((f) => f.name));
    for (const n of [
      'corosync_totemsrp.message_header.type',
      'corosync_totemsrp.message_header.encapsulated',
      'corosync_totemsrp.message_header.nodeid',
      'corosync_totemsrp.message_header.magic',
      'corosync_totemsrp.message_header.version',
      'corosync_totemsrp.message_header.target_nodeid',
      'corosync_totemsrp.orf_token.seq',
      'corosync_totemsrp.orf_token.token_seq',
      'corosync_totemsrp.orf_token.aru',
      'corosync_totemsrp.orf_token.aru_addr',
      'corosync_totemsrp.orf_token.backlog',
      'corosync_totemsrp.orf_token.fcc',
      'corosync_totemsrp.orf_token.retrans_flg',
      'corosync_totemsrp.orf_token.rtr_list_entries',
      'corosync_totemsrp.rtr_item.seq',
      'corosync_totemsrp.memb_ring_id',
      'corosync_totemsrp.memb_ring_id.rep',
      'corosync_totemsrp.memb_ring_id.seq',
      'corosync_totemsrp.mcast.seq',
      'corosync_totemsrp.mcast.this_seqno',
      'corosync_totemsrp.mcast.node_id',
      'corosync_totemsrp.mcast.system_from',
      'corosync_totemsrp.mcast.guarantee',
      'corosync_totemsrp.memb_join.proc_list_entries',
      'corosync_totemsrp.memb_join.failed_list_entries',
      'corosync_totemsrp.memb_join.ring_seq',
      'corosync_totemsrp.memb_join.proc_list.nodeid',
      'corosync_totemsrp.memb_join.failed_list.nodeid',
      'corosync_totemsrp.memb_commit_token.token_seq',
      'corosync_totemsrp.memb_commit_token.retrans_flg',
      'corosync_totemsrp.memb_commit_token.memb_index',
      'corosync_totemsrp.memb_commit_token.addr_entries',
      'corosync_totemsrp.memb_commit_token.addr.nodeid',
      'corosync_totemsrp.memb_commit_token_memb_entry.aru',
      'corosync_totemsrp.memb_commit_token_memb_entry.high_delivered',
      'corosync_totemsrp.memb_commit_token_memb_entry.received_flg',
      'corosync_totemsrp.memb_merge_detect',
      'corosync_totemsrp.token_hold_cancel',
    ]) {
      assert.ok(names.has(n), n);
    }
    assert.equal(names.size, TOTEMSRP_FIELDS.length, 'names are unique');
    const type = TOTEMSRP_FIELDS.find((f) => f.name === 'corosync_totemsrp.message_header.type');
    assert.equal(type?.values?.[4], 'memb_commit_token');
  });

  it('every tree node of every sample frame uses a catalog field', () => {
    const known = new Set(TOTEMSRP_FIELDS);
    const walk = (ns: readonly FieldNodeLike[]): void => {
      for (const n of ns) {
        assert.ok(known.has(n.field), n.field.name);
        if (n.children) walk(n.children);
      }
    };
    for (const f of [3, 19, 45, 49, 191, 195, 412]) walk(totemTree(decodeOk(fixtureFrame('udpu.pcap', f)), { transport: 'udpu' }));
  });

  it('shows the ring id as corosync prints it in the memb_ring_id subtree', () => {
    const m = decodeOk(fixtureFrame('udpu.pcap', 195));
    const r = find(totemTree(m, { transport: 'udpu' }), 'corosync_totemsrp.memb_ring_id');
    assert.equal(r?.value, '1.d');
    assert.deepEqual(
      r?.children?.map((c) => [c.field.name, c.value]),
      [
        ['corosync_totemsrp.memb_ring_id.rep', 1],
        ['corosync_totemsrp.memb_ring_id.seq', 13n],
      ],
    );
  });
});
