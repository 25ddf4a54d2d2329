/**
 * The counting path (`read --stats`: FramePipeline.count, checkTotem, NetDecoder.locate) must
 * give exactly the statistics of the decoding path (FramePipeline.decode) on real captures, and
 * checkTotem must say what decodeTotem says (type, or the same error code, offset and text) on
 * real messages, their truncations and mutations.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { WireError } from '../../dissectors/errors.ts';
import { checkTotem, decodeTotem } from '../../dissectors/totemsrp/index.ts';
import type { CaptureRecord } from '../../dissectors/capture/index.ts';
import { FrameBatcher, FramePipeline } from '../../src/decode/pipeline.ts';
import { readCaptureFile } from '../../src/sources/captureFile.ts';
import { readUdpCapture } from '../fixtures/knet/capture.ts';

const SAMPLES = new URL('../../samples/', import.meta.url).pathname;

function captures(): string[] {
  const out: string[] = [];
  for (const dir of readdirSync(SAMPLES, { withFileTypes: true })) {
    if (!dir.isDirectory()) continue;
    for (const f of readdirSync(join(SAMPLES, dir.name))) if (f.endsWith('.pcap') || f.endsWith('.pcapng')) out.push(join(SAMPLES, dir.name, f));
  }
  return out.sort();
}

test('count() gives the same stats as decode() on every sample capture (keys given where the sample has one)', async () => {
  const files = captures();
  assert.ok(files.length >= 10, `${files.length} sample captures`);
  for (const path of files) {
    const keys = path.includes('knet-aes256') ? [readFileSync(path.includes('reference') ? join(SAMPLES, 'reference/authkey-knet-aes256-hashonly.bin') : join(SAMPLES, 'knet-aes256/authkey'))] : [];
    const decoding = new FramePipeline({ knet: { keys } });
    const counting = new FramePipeline({ knet: { keys } });
    await readCaptureFile(path, (rec) => {
      decoding.decode(rec);
      counting.count(rec);
    });
    assert.ok(decoding.stats.frames > 0, path);
    assert.deepEqual(counting.stats.snapshot(), decoding.stats.snapshot(), path);
  }
});

test('countBatch() gives the same stats as decodeBatch() with knet keys (what read --stats -k runs)', async () => {
  const cases = [
    ['reference/knet-aes256.pcap', 'reference/authkey-knet-aes256-hashonly.bin'],
    ['knet-aes256/capture.pcap', 'knet-aes256/authkey'],
  ] as const;
  for (const [capture, key] of cases) {
    const keys = [readFileSync(join(SAMPLES, key))];
    const decoding = new FramePipeline({ knet: { keys } });
    const counting = new FramePipeline({ knet: { keys } });
    const batch: CaptureRecord[] = [];
    let totem = 0;
    await readCaptureFile(join(SAMPLES, capture), (rec) => batch.push(rec));
    decoding.decodeBatch(batch, (f) => {
      if (f.status === 'totem') totem++;
    });
    counting.countBatch(batch);
    assert.ok(totem > 100, `${capture}: ${totem} decrypted totem frames`);
    assert.deepEqual(counting.stats.snapshot(), decoding.stats.snapshot(), capture);
    // And through the batcher, as the CLI feeds it.
    const viaBatcher = new FramePipeline({ knet: { keys } });
    const batcher = new FrameBatcher(viaBatcher, undefined, true);
    for (const rec of batch) batcher.push(rec);
    batcher.drain();
    assert.deepEqual(viaBatcher.stats.snapshot(), decoding.stats.snapshot(), `${capture} through FrameBatcher`);
  }
});

function sameAnswer(b: Uint8Array, what: string): void {
  const d = decodeTotem(b);
  // checkTotem on the same bytes placed inside a bigger buffer, at an offset.
  const padded = new Uint8Array(b.length + 7);
  padded.fill(0xa5);
  padded.set(b, 3);
  const c = checkTotem(padded, 3, b.length);
  if (d instanceof WireError) {
    assert.ok(c instanceof WireError, `${what}: decodeTotem says ${d.code}, checkTotem says type ${String(c)}`);
    assert.deepEqual([c.code, c.offset, c.message], [d.code, d.offset, d.message], what);
  } else {
    assert.equal(c, d.header.type, what);
  }
}

test('checkTotem = decodeTotem on every real udpu/udp message, each truncation of a token and a join, and mutations', () => {
  const messages: Uint8Array[] = [];
  for (const f of ['reference/udpu.pcap', 'reference/udp.pcap', 'udpu-kill-restart/capture.pcap']) {
    for (const p of readUdpCapture(join(SAMPLES, f))) messages.push(p.payload);
  }
  assert.ok(messages.length > 500);
  const types = new Set<number>();
  for (const [i, m] of messages.entries()) {
    sameAnswer(m, `message ${i}`);
    const d = decodeTotem(m);
    if (!(d instanceof WireError)) types.add(d.header.type);
  }
  assert.deepEqual([...types].sort(), [0, 1, 2, 3, 4, 5], 'every message type is among the real messages');
  for (const type of [0, 3, 4]) {
    const m = messages.find((x) => x[3] === type)!;
    for (let len = 0; len <= m.length; len++) sameAnswer(m.subarray(0, len), `type ${type} cut to ${len}`);
  }
  fc.assert(
    fc.property(fc.integer({ min: 0, max: messages.length - 1 }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }), fc.nat(), (i, flips, cut) => {
      const m = Uint8Array.from(messages[i]!);
      for (const [at, v] of flips) m[at % m.length] = v;
      sameAnswer(m.subarray(0, m.length - (cut % 4 === 0 ? cut % m.length : 0)), `mutated message ${i}`);
    }),
    { numRuns: 5000, seed: 20261122 },
  );
});
