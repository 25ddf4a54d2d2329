import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { WireError } from '../../dissectors/errors.ts';
import { fromHex } from '../../dissectors/bytes.ts';
import {
  emitGroupedMessage,
  emitTotempg,
  groupNames,
  nameBytes,
  parseGroupedMessage,
  parseTotempg,
  pieceKind,
  printableName,
  totempgSummary,
  totempgTree,
  TOTEMPG_FIELDS,
  type TotempgPacket,
} from '../../dissectors/totempg/index.ts';
import { loadMcastFrames } from '../fixtures/totempg/fixtures.ts';

const MCAST_HEADER = 45;

function packets(name: 'udpu' | 'udp' | 'knet-plain'): { frame: number; payload: Uint8Array; seq: number; nodeid: number }[] {
  return loadMcastFrames(name).map((f) => ({
    frame: f.frame,
    payload: f.bytes.subarray(MCAST_HEADER),
    seq: f.bytes[17]! | (f.bytes[18]! << 8),
    nodeid: f.bytes[5]!,
  }));
}

function ok<T>(v: T | WireError): T {
  if (v instanceof WireError) assert.fail(v.toString());
  return v;
}

describe('totempg packet (wire-format.md §4)', () => {
  it('parses every real MCAST payload of udpu, udp and knet and re-emits the same bytes', () => {
    for (const name of ['udpu', 'udp', 'knet-plain'] as const) {
      const all = packets(name);
      assert.ok(all.length > 100, name);
      for (const p of all) {
        const pkt = ok(parseTotempg(p.payload, true));
        assert.equal(pkt.version, 0);
        assert.equal(pkt.type, 0);
        assert.deepEqual(emitTotempg(pkt, true), p.payload, `${name} frame ${p.frame}`);
      }
    }
  });

  it('sees totempg fragmentation on udp: frag 1 cont 0, then frag 0 cont 1 (CAP udp.pcap)', () => {
    const all = packets('udp').map((p) => ({ ...p, pkt: ok(parseTotempg(p.payload, true)) }));
    const i = all.findIndex((p) => p.pkt.fragmented === 1 && p.pkt.continuation === 0);
    assert.ok(i >= 0);
    const head = all[i]!;
    const tail = all.slice(i + 1).find((p) => p.nodeid === head.nodeid && p.seq > head.seq)!;
    assert.equal(tail.pkt.fragmented, 0);
    assert.equal(tail.pkt.continuation, 1);
    assert.equal(pieceKind(head.pkt, head.pkt.messages.length - 1), 'head');
    assert.equal(pieceKind(tail.pkt, 0), 'continuation');
    // The first split message is node 1's CPG downlist: 5 (group "a") + 1568 bytes in two pieces.
    assert.equal(head.pkt.messages.at(-1)!.length + tail.pkt.messages[0]!.length, 5 + 1568);
    // Each 1500-byte CPG mcast (5 + 184 + 1500 = 1689 bytes) travels as 1400 + 289.
    const splits = all.filter((p) => p.pkt.fragmented !== 0 && p.pkt.messages.at(-1)!.length === 1400);
    assert.ok(splits.length >= 40);
    assert.equal(totempgSummary(head.pkt), 'totempg 1 msg frag 1');
  });

  it('packs several messages in one packet (votequorum nodeinfo ×2 + sync barrier: 37,37,40)', () => {
    const pkt = packets('udp')
      .map((p) => ok(parseTotempg(p.payload, true)))
      .find((p) => p.messages.map((m) => m.length).join(',') === '37,37,40');
    assert.ok(pkt);
    assert.deepEqual(groupNames(ok(parseGroupedMessage(pkt.messages[0]!, true))), ['a']);
    assert.deepEqual(groupNames(ok(parseGroupedMessage(pkt.messages[2]!, true))), ['sync']);
    const tree = totempgTree(pkt);
    assert.equal(tree.field, TOTEMPG_FIELDS['']);
    assert.equal(tree.children!.filter((c) => c.field === TOTEMPG_FIELDS.message).length, 3);
    assert.equal(tree.children!.find((c) => c.field === TOTEMPG_FIELDS.msg_count)!.value, 3);
  });

  it('validates lengths exactly as totempg_deliver_fn does', () => {
    const short = parseTotempg(new Uint8Array(7), true);
    assert.ok(short instanceof WireError);
    assert.equal(short.code, 'totempg.short');

    // msg_count 3 needs 14 bytes
    const lens = parseTotempg(fromHex('0000 0000 0000 0300 0100 01'), true);
    assert.ok(lens instanceof WireError);
    assert.equal(lens.code, 'totempg.short_lengths');
    assert.equal(lens.offset, 6);

    // one message of 4 bytes, only 3 present; and one byte too many
    const under = parseTotempg(fromHex('0000 0000 0000 0100 0400 aabbcc'), true);
    assert.ok(under instanceof WireError);
    assert.equal(under.code, 'totempg.length_mismatch');
    const over = parseTotempg(fromHex('0000 0000 0000 0100 0200 aabbcc'), true);
    assert.ok(over instanceof WireError);
    assert.equal(over.code, 'totempg.length_mismatch');

    const empty = parseTotempg(fromHex('0000 0000 0100 0000'), true);
    assert.ok(empty instanceof WireError);
    assert.equal(empty.code, 'totempg.fragmented_empty');

    // no messages, not fragmented: legal and delivers nothing
    assert.deepEqual(ok(parseTotempg(fromHex('0000 0000 0000 0000'), true)).messages, []);
  });

  it('reads msg_count and lengths in the sender byte order (big-endian sender)', () => {
    const p: TotempgPacket = { version: 0, type: 0, fragmented: 2, continuation: 1, messages: [fromHex('0102'), fromHex('030405')] };
    const be = emitTotempg(p, false);
    assert.deepEqual(be.subarray(0, 12), fromHex('0000 0000 0201 0002 0002 0003'));
    const back = ok(parseTotempg(be, false));
    assert.deepEqual(back.messages.map((m) => [...m]), [[1, 2], [3, 4, 5]]);
    assert.equal(back.fragmented, 2);
    assert.equal(back.continuation, 1);
    // read with the wrong order the lengths no longer add up
    assert.ok(parseTotempg(be, true) instanceof WireError);
  });
});

describe('totempg group header', () => {
  it('parses group "a" and "sync" prefixes (01 00 01 00 61 / 01 00 04 00 73 79 6e 63)', () => {
    const a = ok(parseGroupedMessage(fromHex('0100 0100 61 dead'), true));
    assert.deepEqual(groupNames(a), ['a']);
    assert.deepEqual([...a.body], [0xde, 0xad]);
    const s = ok(parseGroupedMessage(fromHex('0100 0400 73796e63'), true));
    assert.deepEqual(groupNames(s), ['sync']);
    assert.equal(s.body.length, 0);
  });

  it('round-trips several groups in both byte orders', () => {
    const m = { groups: [nameBytes('a'), nameBytes('ykd'), new Uint8Array([0x5c, 0x01])], body: fromHex('00112233') };
    for (const le of [true, false]) {
      const back = ok(parseGroupedMessage(emitGroupedMessage(m, le), le));
      assert.deepEqual(groupNames(back), ['a', 'ykd', '\\\\\\x01']);
      assert.deepEqual(back.body, m.body);
    }
    assert.equal(printableName(nameBytes('totemscope')), 'totemscope');
  });

  it('returns typed errors for short and oversized group headers', () => {
    const cases: [string, string][] = [
      ['01', 'totempg.group_short'],
      ['0200 0100', 'totempg.group_short'],
      ['2100', 'totempg.group_count'],
      ['0100 0500 6162', 'totempg.group_short'],
      ['0100 0001 61', 'totempg.group_name_length'],
    ];
    for (const [hex, code] of cases) {
      const r = parseGroupedMessage(fromHex(hex), true);
      assert.ok(r instanceof WireError, hex);
      assert.equal(r.code, code, hex);
    }
  });
});
