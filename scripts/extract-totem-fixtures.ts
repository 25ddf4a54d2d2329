/**
 * Regenerates test/fixtures/totemsrp/<capture>.json: a small, hand-reviewable sample of real
 * totemsrp messages from the reference captures (samples/reference, recorded once and kept as
 * they are), with frame numbers.
 *
 *   npx tsx scripts/extract-totem-fixtures.ts
 *
 * Selection (frames.ts `selectFixtureFrames`) uses raw header bytes only, so the fixtures do not
 * depend on the decoder they test. The tests also run over every frame of every capture in
 * samples/, extracted at test time. test/fixtures/totemsrp/udpu-loss.json (retransmissions,
 * recovery) comes from a lab run: test/fixtures/totemsrp/make-loss-capture.ts.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toHex } from '../dissectors/bytes.ts';
import { REPO_ROOT, TOTEM_CAPTURES, TYPE_NAMES, extractTotemFrames, fixtureName, selectFixtureFrames } from '../test/fixtures/totemsrp/frames.ts';

const OUT_DIR = join(REPO_ROOT, 'test/fixtures/totemsrp');
mkdirSync(OUT_DIR, { recursive: true });
for (const spec of TOTEM_CAPTURES.filter((s) => s.fixture === true)) {
  const frames = extractTotemFrames(spec);
  const chosen = selectFixtureFrames(frames);
  const doc = {
    source: `samples/${spec.file}`,
    transport: spec.transport,
    extractedWith: 'scripts/extract-totem-fixtures.ts (tshark -T fields -e udp.payload)',
    totalMessages: frames.length,
    frames: chosen.map((f) => ({ frame: f.frame, type: TYPE_NAMES[f.bytes[3]!] ?? 'unknown', hex: toHex(f.bytes) })),
  };
  const out = join(OUT_DIR, fixtureName(spec.file));
  writeFileSync(out, JSON.stringify(doc, null, 1) + '\n');
  console.log(`${out}: ${chosen.length} of ${frames.length} messages`);
}
