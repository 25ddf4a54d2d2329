/**
 * Fuzz: random and mutated real totempg/service payloads give values or typed WireErrors, never
 * exceptions; the delivery assembler stays within its bounds on hostile input.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { WireError } from '../../dissectors/errors.ts';
import { decodePackedMessage, decodeServiceMessage, packedMessageTree, serviceSummary, serviceTree } from '../../dissectors/services/index.ts';
import { parseTotempg, totempgSummary, totempgTree, TotempgReassembler } from '../../dissectors/totempg/index.ts';
import { DeliveryAssembler, deliverJson, deliverLine, deliveryEventJson, deliveryEventLine } from '../../src/deliver/index.ts';
import { loadMcastFrames } from '../fixtures/totempg/fixtures.ts';
import { decodeTotem } from '../../dissectors/totemsrp/index.ts';
import { emitMcastBytes, mcast } from '../fixtures/totempg/mcast.ts';
import type { Mcast } from '../../dissectors/totemsrp/types.ts';

const PREFIXES = ['totempg.', 'service.', 'cpg.', 'votequorum.', 'sync.', 'cmap.', 'cfg.', 'pload.', 'totemsrp.', 'deliver.'];
const typed = (e: WireError): boolean => PREFIXES.some((p) => e.code.startsWith(p)) && Number.isInteger(e.offset) && e.offset >= 0;

const payloads = [...loadMcastFrames('udpu'), ...loadMcastFrames('knet-plain'), ...loadMcastFrames('udp')].map((f) => f.bytes.slice(45));
const packed: Uint8Array[] = [];
for (const p of payloads) {
  const t = parseTotempg(p, true);
  if (!(t instanceof WireError)) for (const m of t.messages) packed.push(m.slice());
}

/** Mutations of a real sample: byte flips, truncation, extension, splices of counts and lengths. */
function mutated(samples: readonly Uint8Array[]) {
  return fc
    .record({
      i: fc.nat({ max: samples.length - 1 }),
      flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
      cut: fc.option(fc.nat()),
      extra: fc.uint8Array({ maxLength: 16 }),
    })
    .map(({ i, flips, cut, extra }) => {
      const src = samples[i]!;
      const b = new Uint8Array(src.length + extra.length);
      b.set(src);
      b.set(extra, src.length);
      for (const [pos, v] of flips) if (b.length > 0) b[pos % b.length] = v;
      return cut === null ? b : b.subarray(0, cut % (b.length + 1));
    });
}

function decodeAll(b: Uint8Array, le: boolean): void {
  const t = parseTotempg(b, le);
  if (t instanceof WireError) {
    assert.ok(typed(t), t.code);
    return;
  }
  totempgSummary(t);
  totempgTree(t, (i) => packedMessageTree(t.messages[i]!, le));
  const r = new TotempgReassembler(4096);
  r.feed(1, t, { seq: 1, frame: 1, time: 0 });
  for (const m of t.messages) decodePacked(m, le);
}

function decodePacked(m: Uint8Array, le: boolean): void {
  const d = decodePackedMessage(m, le);
  if (d instanceof WireError) {
    assert.ok(typed(d), d.code);
    return;
  }
  if (d.service instanceof WireError) {
    assert.ok(typed(d.service), d.service.code);
    return;
  }
  serviceTree(d.service, le);
  serviceSummary(d.service, le);
}

describe('totempg/service fuzz', () => {
  it('random bytes: typed errors only', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (b, le) => {
        decodeAll(b, le);
        decodePacked(b, le);
      }),
      { numRuns: 3000 },
    );
  });

  it('mutated real totempg payloads: typed errors only', () => {
    fc.assert(
      fc.property(mutated(payloads), fc.boolean(), (b, le) => decodeAll(b, le)),
      { numRuns: 2000 },
    );
  });

  it('mutated real packed/service messages and every service id and function: typed errors only', () => {
    fc.assert(
      fc.property(mutated(packed), fc.boolean(), (b, le) => decodePacked(b, le)),
      { numRuns: 3000 },
    );
    fc.assert(
      fc.property(
        fc.constantFrom('a', 'sync', 'ykd'),
        fc.integer({ min: 0, max: 8 }),
        fc.integer({ min: 0, max: 7 }),
        fc.uint8Array({ maxLength: 1700 }),
        fc.boolean(),
        (group, service, fn, body, le) => {
          const b = new Uint8Array(Math.max(16, body.length));
          b.set(body);
          b[le ? 0 : 3] = fn;
          b[le ? 2 : 1] = service;
          const r = decodeServiceMessage(group, b, le);
          if (r instanceof WireError) assert.ok(typed(r), r.code);
          else {
            serviceTree(r, le);
            serviceSummary(r, le);
          }
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('delivery assembler: hostile MCAST streams stay typed and bounded', () => {
    const real = loadMcastFrames('udp').map((f) => decodeTotem(f.bytes) as Mcast);
    const window = 16;
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            i: fc.nat({ max: real.length - 1 }),
            seqDelta: fc.integer({ min: -3, max: 40 }),
            ring: fc.integer({ min: 0, max: 3 }),
            enc: fc.constantFrom(1, 2, 2, 2, 0),
            flip: fc.option(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }))),
            wrapInner: fc.boolean(),
          }),
          { maxLength: 80 },
        ),
        (ops) => {
          const a = new DeliveryAssembler({ window, startLookahead: 4, transitionHold: 3, maxOpenRings: 3 });
          let frame = 0;
          const check = (evs: ReturnType<DeliveryAssembler['push']>): void => {
            for (const e of evs) {
              if (e.kind === 'message') {
                deliverJson(e.message);
                deliverLine(e.message);
              } else {
                deliveryEventJson(e);
                deliveryEventLine(e);
                if (e.kind === 'error') assert.ok(typed(e.error.error), e.error.error.code);
              }
            }
          };
          for (const op of ops) {
            const src = real[op.i]!;
            let payload = src.payload.slice();
            if (op.flip !== null && payload.length > 0) payload[op.flip[0] % payload.length] = op.flip[1];
            const ringId = { rep: 1 + (op.ring % 2), seq: BigInt(4 + 4 * op.ring) };
            const seq = Math.max(0, src.seq + op.seqDelta);
            let m = mcast(ringId, seq, src.header.nodeid, payload, op.enc);
            if (op.enc === 1 && op.wrapInner) {
              m = mcast(ringId, seq, src.header.nodeid, emitMcastBytes(mcast({ rep: 1, seq: BigInt(4 * op.ring) }, src.seq, src.header.nodeid, payload)), 1);
            }
            check(a.push(m, { frame: ++frame, time: frame }));
            assert.ok(a.buffered <= 3 * (window + 1), `buffered ${a.buffered}`);
          }
          check(a.finish());
          assert.equal(a.buffered, 0);
        },
      ),
      { numRuns: 800 },
    );
  });
});
