/**
 * Hostile input for the totemsrp decoder: random bytes, random bytes behind a valid header,
 * mutations of real frames (bit flips, truncation, extension, hostile counts). decodeTotem must
 * never throw and must return either a message or a WireError with a known code; anything it
 * accepts must re-encode to the identical bytes. Plus parse(emit(x)) deep-equals x for arbitrary
 * generated messages, in both byte orders.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { fromHex, toHex } from '../../dissectors/bytes.ts';
import { WireError } from '../../dissectors/errors.ts';
import {
  TOTEMSRP_ERROR_CODES,
  decodeTotem,
  detectTotem,
  encodeTotem,
  encodedLength,
  totemSummary,
  totemTree,
  type MessageType,
  type RingId,
  type TotemHeader,
  type TotemMessage,
} from '../../dissectors/totemsrp/index.ts';
import { TOTEM_CAPTURES, fixtureName, loadFixture } from '../fixtures/totemsrp/frames.ts';

const KNOWN_CODES = new Set<string>(TOTEMSRP_ERROR_CODES);
/** Seeds: every committed real frame (reference captures + the lab run with retransmissions). */
const FIXTURES = [...TOTEM_CAPTURES.filter((s) => s.fixture === true).map((s) => fixtureName(s.file)), 'udpu-loss.json'];
const REAL_FRAMES: Uint8Array[] = FIXTURES.flatMap((name) => loadFixture(name).frames.map((f) => fromHex(f.hex)));

/** The property every input must satisfy. */
function checkDecode(b: Uint8Array): void {
  const m = decodeTotem(b);
  if (m instanceof WireError) {
    assert.ok(KNOWN_CODES.has(m.code), `unknown code ${m.code}`);
    assert.ok(Number.isInteger(m.offset) && m.offset >= 0, `offset ${m.offset}`);
    return;
  }
  assert.equal(toHex(encodeTotem(m)), toHex(b), 'an accepted message re-encodes exactly');
  // the presentation side must cope with whatever the decoder accepts
  totemSummary(m);
  totemTree(m, { transport: 'udpu' });
}

describe('decodeTotem on hostile input', () => {
  it('random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1600 }), (b) => {
        checkDecode(b);
        detectTotem(b);
      }),
      { numRuns: 3000 },
    );
  });

  it('random bytes behind a valid header (either byte order, every type)', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.integer({ min: 0, max: 7 }), fc.uint8Array({ minLength: 0, maxLength: 1600 }), (le, type, rest) => {
        const b = new Uint8Array(4 + rest.length);
        b.set(le ? [0x70, 0xc0, 3, type] : [0xc0, 0x70, 3, type]);
        b.set(rest, 4);
        checkDecode(b);
      }),
      { numRuns: 4000 },
    );
  });

  it('mutated real frames: byte overwrites, truncation, extension', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...REAL_FRAMES),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
        fc.option(fc.nat(), { nil: undefined }),
        fc.uint8Array({ maxLength: 64 }),
        (orig, writes, cut, extra) => {
          let b = Uint8Array.from(orig);
          for (const [at, v] of writes) b[at % b.length] = v;
          if (cut !== undefined) b = b.subarray(0, cut % (b.length + 1));
          const ext = new Uint8Array(b.length + extra.length);
          ext.set(b);
          ext.set(extra, b.length);
          checkDecode(b);
          checkDecode(ext);
        },
      ),
      { numRuns: 4000 },
    );
  });

  it('hostile counts written over every 4-byte field of real frames', () => {
    const hostile = [0, 1, 29, 30, 31, 383, 384, 385, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffe, 0x10000, 0x40000000];
    fc.assert(
      fc.property(fc.constantFrom(...REAL_FRAMES), fc.nat(), fc.constantFrom(...hostile), fc.boolean(), (orig, field, v, le) => {
        const b = Uint8Array.from(orig);
        const at = 13 + ((field * 4) % Math.max(4, b.length - 16));
        if (at + 4 > b.length) return;
        for (let i = 0; i < 4; i++) b[at + (le ? i : 3 - i)] = (v >>> (8 * i)) & 0xff;
        checkDecode(b);
      }),
      { numRuns: 3000 },
    );
  });
});

// ---- arbitrary messages ----

const u32 = fc.nat({ max: 0xffffffff });
const i32 = fc.integer({ min: -0x80000000, max: 0x7fffffff });
const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
/** Plain objects (fast-check records default to a null prototype, which deepStrictEqual tells apart). */
const rec = { noNullPrototype: true } as const;
const ringId: fc.Arbitrary<RingId> = fc.record({ rep: u32, seq: u64 }, rec);
const trailer = fc.oneof(fc.constant(new Uint8Array(0)), fc.uint8Array({ maxLength: 24 }));

function header(type: MessageType): fc.Arbitrary<TotemHeader> {
  return fc.record({
    littleEndian: fc.boolean(),
    version: fc.constant(3),
    type: fc.constant(type),
    encapsulated: fc.integer({ min: 0, max: 255 }),
    nodeid: u32,
    targetNodeid: u32,
  }, rec);
}

const orfToken: fc.Arbitrary<TotemMessage> = fc
  .record({
    kind: fc.constant('orf_token' as const),
    header: header(0),
    seq: u32,
    tokenSeq: u32,
    aru: u32,
    aruAddr: u32,
    ringId,
    backlog: u32,
    fcc: u32,
    retransFlg: i32,
    rtrList: fc.array(fc.record({ ringId, seq: u32 }, rec), { maxLength: 30 }),
    trailer,
  }, rec)
  // corosync's token buffer: the whole token fits in 1500 bytes
  .filter((m) => 57 + m.rtrList.length * 16 + m.trailer.length <= 1500);

const mcast: fc.Arbitrary<TotemMessage> = fc.record({
  kind: fc.constant('mcast' as const),
  header: header(1),
  systemFrom: u32,
  seq: u32,
  thisSeqno: i32,
  ringId,
  nodeId: u32,
  guarantee: i32,
  payload: fc.uint8Array({ maxLength: 1500 }),
  trailer: fc.constant(new Uint8Array(0)),
}, rec);

const mergeDetect: fc.Arbitrary<TotemMessage> = fc.record({
  kind: fc.constant('memb_merge_detect' as const),
  header: header(2),
  systemFrom: u32,
  ringId,
  trailer,
}, rec);

const membJoin: fc.Arbitrary<TotemMessage> = fc.record({
  kind: fc.constant('memb_join' as const),
  header: header(3),
  systemFrom: u32,
  procList: fc.array(u32, { maxLength: 384 }),
  failedList: fc.array(u32, { maxLength: 384 }),
  ringSeq: u64,
  trailer,
}, rec);

const commitToken: fc.Arbitrary<TotemMessage> = fc.integer({ min: 0, max: 40 }).chain((n) =>
  fc.record({
    kind: fc.constant('memb_commit_token' as const),
    header: header(4),
    tokenSeq: u32,
    ringId,
    retransFlg: u32,
    membIndex: i32,
    addr: fc.array(u32, { minLength: n, maxLength: n }),
    membList: fc.array(fc.record({ ringId, aru: u32, highDelivered: u32, receivedFlg: u32 }, rec), { minLength: n, maxLength: n }),
    trailer,
  }, rec),
);

const tokenHoldCancel: fc.Arbitrary<TotemMessage> = fc.record({
  kind: fc.constant('token_hold_cancel' as const),
  header: header(5),
  ringId,
  trailer,
}, rec);

const anyMessage = fc.oneof(orfToken, mcast, mergeDetect, membJoin, commitToken, tokenHoldCancel);

describe('parse(emit(x)) deep-equals x', () => {
  it('for arbitrary messages of every type, both byte orders', () => {
    fc.assert(
      fc.property(anyMessage, (m) => {
        const bytes = encodeTotem(m);
        assert.equal(bytes.length, encodedLength(m));
        const back = decodeTotem(bytes);
        if (back instanceof WireError) assert.fail(back.toString());
        assert.deepEqual(back, m);
        assert.equal(detectTotem(bytes), m.header.littleEndian ? 'totem-v3' : 'totem-v3-foreign-endian');
      }),
      { numRuns: 2500 },
    );
  });
});
