/**
 * Incremental events and several captures of one incident: clock alignment from common token hops,
 * cross-capture de-duplication, one timeline.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RingAnalyzer } from '../../src/analysis/ringAnalyzer.ts';
import { ClockAligner, CrossCaptureDedup, shiftFrame } from '../../src/analysis/merge.ts';
import { RingScenario, nodeAddress } from '../../src/analysis/synthetic.ts';
import type { DecodedFrame } from '../../src/decode/types.ts';

const tsOf = (f: DecodedFrame): number => f.tsSec + f.tsNsec / 1e9;

test('events: queued events drain in order; the same as the onEvent callback', () => {
  const s = new RingScenario();
  s.form([1, 2, 3], 0xdn).rotate(10, { mcastsPerVisit: 2, lossy: { node: 3, every: 10 } }).rotate(2);
  const seen: string[] = [];
  const a = new RingAnalyzer({ queueEvents: true, onEvent: (e) => seen.push(e.type) });
  const drained: string[] = [];
  for (const f of s.frames) {
    a.push(f);
    for (const e of a.drainEvents()) drained.push(e.type);
  }
  a.finish();
  for (const e of a.drainEvents()) drained.push(e.type);
  assert.deepEqual(drained, seen);
  assert.equal(drained[0], 'membership');
  assert.ok(drained.filter((t) => t === 'retransmit_request').length >= 4);
  assert.equal(a.drainEvents().length, 0);
});

/** Capture of node `n`: frames it sent or that were addressed to it (udpu). */
function captureAt(frames: readonly DecodedFrame[], n: number): DecodedFrame[] {
  return frames.filter((f) => f.endpoints?.src === nodeAddress(n) || f.endpoints?.dst === nodeAddress(n));
}

test('two per-node captures with a 2.5 s clock offset: aligned, de-duplicated, one timeline', () => {
  const s = new RingScenario();
  s.form([1, 2, 3], 0xdn).rotate(30, { mcastsPerVisit: 1 });
  const a = captureAt(s.frames, 1);
  const b = captureAt(s.frames, 2).map((f) => shiftFrame(f, -2.5)); // node 2's clock is 2.5 s ahead
  const aligner = new ClockAligner(2);
  for (const f of a) aligner.add(0, f);
  for (const f of b) aligner.add(1, f);
  const offsets = aligner.offsets();
  assert.ok(Math.abs((offsets[1] ?? 0) - 2.5) < 1e-6, `offset ${offsets[1]}`);
  const shifted = b.map((f) => shiftFrame(f, offsets[1] ?? 0));
  const merged = [...a.map((f) => [0, f] as const), ...shifted.map((f) => [1, f] as const)].sort((x, y) => tsOf(x[1]) - tsOf(y[1]));
  const dedup = new CrossCaptureDedup();
  const analyzer = new RingAnalyzer();
  let dropped = 0;
  for (const [cap, f] of merged) {
    if (dedup.isDuplicate(cap, f, tsOf(f))) dropped++;
    else analyzer.push(f);
  }
  // Frames between nodes 1 and 2 are in both captures.
  const common = s.frames.filter((f) => [f.endpoints?.src, f.endpoints?.dst].every((x) => x === nodeAddress(1) || x === nodeAddress(2))).length;
  assert.equal(dropped, common);
  const report = analyzer.finish();
  const m = report.memberships.find((x) => x.ring_id === '1.d');
  assert.ok(m);
  assert.deepEqual([...m.members], [1, 2, 3]);
  assert.equal(report.retransmits.requested, 0);
  assert.equal(report.capture_gaps.missing_mcasts, 0);
  assert.deepEqual(report.token.retransmitted, {});
});

test('shiftFrame on pipeline frames keeps the addresses (a getter there), so merged captures keep address tracking', async () => {
  const { readCaptureFile } = await import('../../src/sources/captureFile.ts');
  const { FramePipeline } = await import('../../src/decode/pipeline.ts');
  const path = new URL('../../samples/udpu-kill-restart/capture.pcap', import.meta.url).pathname;
  const pipeline = new FramePipeline();
  const pairs: [DecodedFrame, DecodedFrame][] = [];
  await readCaptureFile(path, (rec) => {
    const f = pipeline.decode(rec);
    if (f.status === 'totem' && pairs.length < 50) pairs.push([f, shiftFrame(f, 2.5)]);
  });
  assert.equal(pairs.length, 50);
  for (const [f, g] of pairs) {
    assert.ok(f.endpoints !== undefined);
    assert.deepEqual(g.endpoints, f.endpoints);
    assert.ok(Math.abs(tsOf(f) - 2.5 - tsOf(g)) < 1e-6);
  }
});
