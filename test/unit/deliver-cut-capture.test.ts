/**
 * The delivery view of a capture that begins in the middle of things (issue 5: "incomplete
 * messages ... are reported, not dropped silently"), on the real lab samples (samples/): the capture
 * cut at many points, including inside messages split over many mcasts. Whatever the cut, the view
 * is the full capture's view from the first seq captured (same messages, same order on each ring,
 * nothing garbled), and a message whose head went by before the cut is reported once as incomplete
 * (missing-head), however many of its pieces follow. Regression: each middle piece used to be reported as an incomplete message of
 * its own (a 20000-byte message cut by the capture start gave fourteen); and a capture that saw
 * fewer than 32 MCASTs of a ring before the next one started delivered the newer ring's first
 * messages before the older ring's.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { CaptureRecord } from '../../dissectors/capture/index.ts';
import { FramePipeline } from '../../src/decode/pipeline.ts';
import { DeliveryAssembler, deliverFrame, type DeliveryEvent } from '../../src/deliver/index.ts';
import { readCaptureFile } from '../../src/sources/captureFile.ts';
import { WireError } from '../../dissectors/errors.ts';
import { decodeTotem } from '../../dissectors/totemsrp/index.ts';
import { ENCAPSULATED } from '../../dissectors/totemsrp/types.ts';

/** Sample, and cut at every `step`-th frame. */
const SAMPLES: readonly { readonly name: string; readonly step: number; readonly splitMessages: boolean }[] = [
  { name: 'udpu-cpg-load', step: 1, splitMessages: true },
  { name: 'udp-multicast', step: 1, splitMessages: false },
  { name: 'udpu-kill-restart', step: 5, splitMessages: false },
];

const show = (v: unknown): string => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString(16) : x));

interface Seen {
  readonly line: string;
  readonly nodeid: number;
  /** Ring ("rep.seq") and mcast seq of the first and the completing piece. */
  readonly first: readonly [string, number];
  readonly last: readonly [string, number];
}

const ring = (r: { rep: number; seq: bigint }): string => `${r.rep}.${r.seq.toString(16)}`;

function view(records: readonly CaptureRecord[]): { messages: Seen[]; lines: string[]; events: DeliveryEvent[]; lowestSeq: Map<string, number> } {
  const pipeline = new FramePipeline();
  const a = new DeliveryAssembler();
  const events: DeliveryEvent[] = [];
  // The lowest seq of each ring among the captured MCASTs (recovery copies: the old ring's seq inside).
  const lowestSeq = new Map<string, number>();
  const saw = (key: string, seq: number): void => {
    if (seq < (lowestSeq.get(key) ?? Infinity)) lowestSeq.set(key, seq);
  };
  for (const r of records) {
    const f = pipeline.decode(r);
    if (f.totem?.kind === 'mcast') {
      saw(ring(f.totem.ringId), f.totem.seq);
      if (f.totem.header.encapsulated === ENCAPSULATED) {
        const inner = decodeTotem(f.totem.payload);
        if (!(inner instanceof WireError) && inner.kind === 'mcast') saw(ring(inner.ringId), inner.seq);
      }
    }
    events.push(...deliverFrame(a, f));
  }
  events.push(...a.finish());
  const messages = events.flatMap((e): Seen[] => {
    if (e.kind !== 'message') return [];
    const m = e.message;
    return [{ line: `${m.service}/${m.type} ${m.nodeid} ${m.pid} ${m.size} ${Buffer.from(m.body).toString('base64')}`, nodeid: m.nodeid, first: [ring(m.firstRingId), m.firstSeq], last: [ring(m.ringId), m.seq] }];
  });
  return { messages, lines: messages.map((m) => m.line), events, lowestSeq };
}

function byRing(messages: readonly Seen[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const m of messages) {
    let l = out.get(m.last[0]);
    if (l === undefined) out.set(m.last[0], (l = []));
    l.push(m.line);
  }
  return new Map([...out].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * A node delivers a ring's messages before the next ring's: for two rings with a common sender,
 * every message of the older one comes before any of the newer one. Returns the violations.
 */
function ringOrderViolations(messages: readonly Seen[]): string[] {
  const span = new Map<string, { first: number; last: number; senders: Set<number> }>();
  messages.forEach((m, i) => {
    const s = span.get(m.last[0]) ?? { first: i, last: i, senders: new Set<number>() };
    s.last = i;
    s.senders.add(m.nodeid);
    span.set(m.last[0], s);
  });
  const seqOf = (r: string): [bigint, number] => {
    const [rep, seq] = r.split('.');
    return [BigInt(`0x${seq}`), Number(rep)];
  };
  const out: string[] = [];
  for (const [a, sa] of span) {
    for (const [b, sb] of span) {
      const [qa, ra] = seqOf(a);
      const [qb, rb] = seqOf(b);
      const older = qa < qb || (qa === qb && ra < rb);
      if (older && [...sa.senders].some((n) => sb.senders.has(n)) && sa.last > sb.first) out.push(`${a} after ${b} began`);
    }
  }
  return out;
}

/** A piece at ring+seq is in a cut capture whose rings start at `lowest` (each ring's seqs are contiguous there). */
const inCut = (lowest: ReadonlyMap<string, number>, at: readonly [string, number]): boolean => at[1] >= (lowest.get(at[0]) ?? Infinity);

for (const { name, step, splitMessages } of SAMPLES) describe(`read --deliver on ${name} cut anywhere`, async () => {
  const records: CaptureRecord[] = [];
  await readCaptureFile(fileURLToPath(new URL(`../../samples/${name}/capture.pcap`, import.meta.url)), (r) => {
    records.push({ number: r.number, tsSec: r.tsSec, tsNsec: r.tsNsec, linkType: r.linkType, interfaceId: r.interfaceId, data: r.data.slice(), origLen: r.origLen, fileOffset: r.fileOffset });
  });
  const full = view(records);

  it('the whole view delivers each ring before the next one of the same nodes', () => {
    assert.deepEqual(ringOrderViolations(full.messages), []);
  });

  it('the whole sample has CPG messages (split over several mcasts) to cut into', () => {
    assert.ok(full.lines.filter((l) => l.startsWith('cpg/mcast ')).length > 20);
    if (splitMessages) assert.ok(full.events.some((e) => e.kind === 'message' && e.message.pieces >= 5));
  });

  // Cuts before, inside and between split messages, ring formations and membership changes.
  const cuts: number[] = [];
  for (let k = 1; k < records.length - 1; k += step) cuts.push(k);

  it(`cut at ${cuts.length} points: the view is the full view from the cut, cut messages reported once each`, () => {
    let cutInside = 0;
    for (const k of cuts) {
      const cut = view(records.slice(k));
      // Expected: the full view's messages whose first piece is in the cut capture; those whose
      // first piece is not but whose last one is are the cut ones.
      const expected = full.messages.filter((m) => inCut(cut.lowestSeq, m.first));
      const straddling = full.messages.filter((m) => !inCut(cut.lowestSeq, m.first) && inCut(cut.lowestSeq, m.last));
      // Compared ring by ring: rings of different partitions (a starting node's singleton ring next
      // to the main ring) have no order between them, and the view may interleave them differently.
      assert.deepEqual(byRing(cut.messages), byRing(expected), `cut at frame ${k + 1}: not the full view's messages begun in the cut`);
      assert.deepEqual(ringOrderViolations(cut.messages), [], `cut at frame ${k + 1}: ring order`);
      const problems = cut.events.filter((e) => e.kind === 'error' || (e.kind === 'gap' && e.gap.reason !== 'capture-start'));
      assert.deepEqual(problems, [], `cut at frame ${k + 1}`);
      const incomplete = cut.events.flatMap((e) => (e.kind === 'incomplete' ? [e.incomplete] : []));
      for (const i of incomplete) assert.equal(i.reason, 'missing-head', `cut at frame ${k + 1}: ${show(i)}`);
      // Each cut message reported once, by its sender (a sender has at most one in flight).
      const senders = incomplete.map((i) => i.nodeid).sort();
      assert.deepEqual(senders, straddling.map((m) => m.nodeid).sort(), `cut at frame ${k + 1}: ${show(incomplete)}`);
      if (incomplete.length > 0) cutInside++;
    }
    if (splitMessages) assert.ok(cutInside >= 20, `only ${cutInside} cuts fell inside a message`);
  });
});
