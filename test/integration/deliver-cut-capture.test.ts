/**
 * The delivery view of a capture that begins in the middle of things (issue 5: "incomplete
 * messages ... are reported, not dropped silently"), on the real udpu CPG-load sample: the capture
 * cut at many points, including inside messages split over many mcasts. Whatever the cut, the view
 * is the tail of the full capture's view (same messages, same order, nothing garbled), and a message
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

const SAMPLE = fileURLToPath(new URL('../../samples/udpu-cpg-load/capture.pcap', import.meta.url));

const show = (v: unknown): string => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString(16) : x));

function view(records: readonly CaptureRecord[]): { lines: string[]; events: DeliveryEvent[] } {
  const pipeline = new FramePipeline();
  const a = new DeliveryAssembler();
  const events: DeliveryEvent[] = [];
  for (const r of records) events.push(...deliverFrame(a, pipeline.decode(r)));
  events.push(...a.finish());
  const lines = events.flatMap((e) =>
    e.kind === 'message' && e.message.service === 'cpg' && e.message.type === 'mcast'
      ? [`${e.message.nodeid} ${e.message.pid} ${e.message.size} ${Buffer.from(e.message.body).toString('base64')}`]
      : [],
  );
  return { lines, events };
}

describe('read --deliver on a capture cut anywhere (real udpu sample)', async () => {
  const records: CaptureRecord[] = [];
  await readCaptureFile(SAMPLE, (r) => {
    records.push({ number: r.number, tsSec: r.tsSec, tsNsec: r.tsNsec, linkType: r.linkType, interfaceId: r.interfaceId, data: r.data.slice(), origLen: r.origLen, fileOffset: r.fileOffset });
  });
  const full = view(records);

  it('the whole sample has split messages to cut into', () => {
    assert.ok(full.lines.length > 50);
    assert.ok(full.events.some((e) => e.kind === 'message' && e.message.pieces >= 5));
  });

  // Every 7th frame through the CPG load: cuts before, inside and between split messages.
  const cuts: number[] = [];
  for (let k = 1; k < records.length - 1; k += 7) cuts.push(k);

  it(`cut at ${cuts.length} points: the view is the full view's tail, cut messages reported once each`, () => {
    let cutInside = 0;
    for (const k of cuts) {
      const cut = view(records.slice(k));
      const tail = full.lines.slice(full.lines.length - cut.lines.length);
      assert.deepEqual(cut.lines, tail, `cut at frame ${k + 1}: not the tail of the full view`);
      const problems = cut.events.filter((e) => e.kind === 'error' || (e.kind === 'gap' && e.gap.reason !== 'capture-start'));
      assert.deepEqual(problems, [], `cut at frame ${k + 1}`);
      const incomplete = cut.events.flatMap((e) => (e.kind === 'incomplete' ? [e.incomplete] : []));
      for (const i of incomplete) assert.equal(i.reason, 'missing-head', `cut at frame ${k + 1}: ${show(i)}`);
      // A sender has at most one message in flight when the capture starts.
      const senders = incomplete.map((i) => i.nodeid);
      assert.equal(new Set(senders).size, senders.length, `cut at frame ${k + 1}: one cut message per sender, got ${show(incomplete)}`);
      if (incomplete.length > 0) cutInside++;
    }
    assert.ok(cutInside >= 5, `only ${cutInside} cuts fell inside a message`);
  });
});
