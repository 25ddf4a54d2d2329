/**
 * The delivery view of a capture that begins in the middle of things (issue 5: "incomplete
 * messages ... are reported, not dropped silently"), on the real udpu CPG-load sample: the capture
 * cut at many points, including inside messages split over many mcasts. Whatever the cut, the view
 * is the full capture's view from the first seq captured (same messages, same order, nothing
 * garbled), and a message
 * whose head went by before the cut is reported once as incomplete (missing-head), however many of
 * its pieces follow. Regression: each middle piece used to be reported as an incomplete message of
 * its own (a 20000-byte message cut by the capture start gave fourteen).
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

const SAMPLE = fileURLToPath(new URL(`../../samples/${process.env['CUT_SAMPLE'] ?? 'udpu-cpg-load'}/capture.pcap`, import.meta.url));
const STEP = Number(process.env['CUT_STEP'] ?? 7);

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

/** A piece at ring+seq is in a cut capture whose rings start at `lowest` (each ring's seqs are contiguous there). */
const inCut = (lowest: ReadonlyMap<string, number>, at: readonly [string, number]): boolean => at[1] >= (lowest.get(at[0]) ?? Infinity);

describe('read --deliver on a capture cut anywhere (real udpu sample)', async () => {
  const records: CaptureRecord[] = [];
  await readCaptureFile(SAMPLE, (r) => {
    records.push({ number: r.number, tsSec: r.tsSec, tsNsec: r.tsNsec, linkType: r.linkType, interfaceId: r.interfaceId, data: r.data.slice(), origLen: r.origLen, fileOffset: r.fileOffset });
  });
  const full = view(records);

  it('the whole sample has split messages to cut into', () => {
    assert.ok(full.lines.filter((l) => l.startsWith('cpg/mcast ')).length > 50);
    assert.ok(full.events.some((e) => e.kind === 'message' && e.message.pieces >= 3));
  });

  // Every 7th frame through the CPG load: cuts before, inside and between split messages.
  const cuts: number[] = [];
  for (let k = 1; k < records.length - 1; k += STEP) cuts.push(k);

  it(`cut at ${cuts.length} points: the view is the full view from the cut, cut messages reported once each`, () => {
    let cutInside = 0;
    for (const k of cuts) {
      const cut = view(records.slice(k));
      // Expected: the full view's messages whose first piece is in the cut capture; those whose
      // first piece is not but whose last one is are the cut ones.
      const expected = full.messages.filter((m) => inCut(cut.lowestSeq, m.first));
      const straddling = full.messages.filter((m) => !inCut(cut.lowestSeq, m.first) && inCut(cut.lowestSeq, m.last));
      assert.deepEqual(cut.lines, expected.map((m) => m.line), `cut at frame ${k + 1}: not the full view's messages begun in the cut`);
      const problems = cut.events.filter((e) => e.kind === 'error' || (e.kind === 'gap' && e.gap.reason !== 'capture-start'));
      assert.deepEqual(problems, [], `cut at frame ${k + 1}`);
      const incomplete = cut.events.flatMap((e) => (e.kind === 'incomplete' ? [e.incomplete] : []));
      for (const i of incomplete) assert.equal(i.reason, 'missing-head', `cut at frame ${k + 1}: ${show(i)}`);
      // Each cut message reported once, by its sender (a sender has at most one in flight).
      const senders = incomplete.map((i) => i.nodeid).sort();
      assert.deepEqual(senders, straddling.map((m) => m.nodeid).sort(), `cut at frame ${k + 1}: ${show(incomplete)}`);
      if (incomplete.length > 0) cutInside++;
    }
    assert.ok(cutInside >= 5, `only ${cutInside} cuts fell inside a message`);
  });
});
