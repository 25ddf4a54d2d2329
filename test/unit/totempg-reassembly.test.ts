import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { WireError } from '../../dissectors/errors.ts';
import { parseTotempg, TotempgReassembler, type TotempgPacket } from '../../dissectors/totempg/index.ts';
import { loadMcastFrames } from '../fixtures/totempg/fixtures.ts';

const bytes = (...v: number[]): Uint8Array => new Uint8Array(v);
const pkt = (messages: Uint8Array[], fragmented = 0, continuation = 0): TotempgPacket => ({ version: 0, type: 0, fragmented, continuation, messages });
const at = (seq: number) => ({ seq, frame: seq * 10, time: seq });

describe('totempg reassembly (totempg_deliver_fn)', () => {
  it('delivers whole messages at once', () => {
    const r = new TotempgReassembler();
    const res = r.feed(1, pkt([bytes(1), bytes(2, 3)]), at(1));
    assert.deepEqual(res.complete.map((c) => [...c.bytes]), [[1], [2, 3]]);
    assert.deepEqual(res.complete.map((c) => c.index), [0, 1]);
    assert.equal(res.incomplete.length, 0);
    assert.equal(r.inProgress, 0);
  });

  it('joins head, middle and tail per sender, interleaved with another sender', () => {
    const r = new TotempgReassembler();
    assert.deepEqual(r.feed(1, pkt([bytes(9), bytes(1, 2)], 1), at(1)).complete.map((c) => [...c.bytes]), [[9]]);
    assert.equal(r.feed(2, pkt([bytes(7)]), at(2)).complete.length, 1);
    const mid = r.feed(1, pkt([bytes(3)], 2, 1), at(3));
    assert.equal(mid.complete.length, 0);
    assert.equal(r.heldBytes, 3);
    const end = r.feed(1, pkt([bytes(4), bytes(5)], 0, 2), at(4));
    assert.equal(end.complete.length, 2);
    const joined = end.complete[0]!;
    assert.deepEqual([...joined.bytes], [1, 2, 3, 4]);
    assert.equal(joined.pieces, 3);
    assert.deepEqual([joined.first.seq, joined.last.seq], [1, 4]);
    assert.deepEqual([...end.complete[1]!.bytes], [5]);
    assert.equal(r.inProgress, 0);
  });

  it('reports a head whose continuation never came (missing-tail) and still delivers the new packet', () => {
    const r = new TotempgReassembler();
    r.feed(1, pkt([bytes(1, 2)], 1), at(1));
    const res = r.feed(1, pkt([bytes(8)]), at(3));
    assert.deepEqual(res.incomplete.map((i) => [i.reason, i.bytes, i.first.seq]), [['missing-tail', 2, 1]]);
    assert.deepEqual(res.complete.map((c) => [...c.bytes]), [[8]]);
  });

  it('reports a continuation with no head (missing-head) and delivers the rest of the packet', () => {
    const r = new TotempgReassembler();
    const res = r.feed(1, pkt([bytes(1, 2, 3), bytes(4)], 0, 5), at(7));
    assert.deepEqual(res.incomplete.map((i) => [i.reason, i.bytes]), [['missing-head', 3]]);
    assert.deepEqual(res.complete.map((c) => [...c.bytes]), [[4]]);
    // a continuation number that does not match the held head: both reported
    r.feed(1, pkt([bytes(1)], 3), at(8));
    const mism = r.feed(1, pkt([bytes(2), bytes(6)], 0, 4), at(9));
    assert.deepEqual(mism.incomplete.map((i) => i.reason), ['missing-tail', 'missing-head']);
    assert.deepEqual(mism.complete.map((c) => [...c.bytes]), [[6]]);
    // a lone middle piece without head
    const lone = r.feed(2, pkt([bytes(1)], 2, 1), at(10));
    assert.deepEqual(lone.incomplete.map((i) => i.reason), ['missing-head']);
    assert.equal(r.inProgress, 0);
  });

  it('bounds a message at the size limit (too-large) and flushes on demand', () => {
    const r = new TotempgReassembler(4);
    r.feed(1, pkt([bytes(1, 2, 3)], 1), at(1));
    const res = r.feed(1, pkt([bytes(4, 5)], 2, 1), at(2));
    assert.deepEqual(res.incomplete.map((i) => i.reason), ['too-large']);
    assert.equal(r.inProgress, 0);
    r.feed(3, pkt([bytes(1)], 1), at(3));
    const flushed = r.flush('ring-change');
    assert.deepEqual(flushed.map((i) => [i.nodeid, i.reason]), [[3, 'ring-change']]);
    assert.equal(r.inProgress, 0);
  });

  it('bounds the senders and bytes in progress (overflow)', () => {
    const r = new TotempgReassembler(100, 2, 150);
    r.feed(1, pkt([bytes(1)], 1), at(1));
    r.feed(2, pkt([bytes(2)], 1), at(2));
    const third = r.feed(3, pkt([bytes(3)], 1), at(3));
    assert.deepEqual(third.incomplete.map((i) => [i.nodeid, i.reason]), [[3, 'overflow']]);
    assert.equal(r.inProgress, 2);
    const big = r.feed(1, pkt([new Uint8Array(99)], 2, 1), at(4));
    assert.equal(big.incomplete.length, 0);
    const over = r.feed(2, pkt([new Uint8Array(60)], 2, 1), at(5));
    assert.deepEqual(over.incomplete.map((i) => [i.nodeid, i.reason]), [[2, 'overflow']]);
    assert.equal(r.heldBytes, 100);
  });

  it('reassembles every split message of udp.pcap and udpu.pcap in seq order with nothing left over', () => {
    for (const name of ['udp', 'udpu'] as const) {
      const seen = new Set<string>();
      const r = new TotempgReassembler();
      let split = 0;
      let incomplete = 0;
      for (const f of loadMcastFrames(name)) {
        const b = f.bytes;
        const key = `${b.subarray(25, 37).join(',')}/${b[17]! | (b[18]! << 8)}`;
        // capture order equals seq order in these captures once copies are dropped
        if (seen.has(key)) continue;
        seen.add(key);
        const p = parseTotempg(b.subarray(45), true);
        assert.ok(!(p instanceof WireError));
        const res = r.feed(b[5]!, p, { seq: 0, frame: f.frame, time: f.time });
        split += res.complete.filter((c) => c.pieces > 1).length;
        incomplete += res.incomplete.length;
      }
      assert.equal(incomplete, 0, name);
      assert.equal(r.inProgress, 0, name);
      assert.ok(split >= 40, `${name}: ${split}`);
    }
  });
});
