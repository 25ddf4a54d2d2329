/**
 * Regenerates test/fixtures/totemsrp/<capture>.json: a small, hand-reviewable sample of real
 * totemsrp messages from the reference captures (samples/reference, recorded once and kept as
 * they are), with frame numbers.
 *
 *   npx tsx scripts/extract-totem-fixtures.ts
 *
 * Selection uses raw header bytes only (type @3, encapsulated @4, rtr_list_entries @53), so the
 * fixtures do not depend on the decoder they test. Kept per capture: every JOIN (incl. leaves),
 * COMMIT_TOKEN, encapsulated MCAST and ORF token with rtr entries or retrans_flg set; the first
 * ORF tokens of each ring; a few MERGE_DETECT / TOKEN_HOLD_CANCEL; the first, smallest and
 * largest MCASTs. The tests also run over every frame of every capture, extracted at test time.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toHex } from '../dissectors/bytes.ts';
import { REPO_ROOT, TOTEM_CAPTURES, extractTotemFrames, fixtureName, type TotemFrame } from '../test/fixtures/totemsrp/frames.ts';

const OUT_DIR = join(REPO_ROOT, 'test/fixtures/totemsrp');
const TYPE_NAMES = ['orf_token', 'mcast', 'memb_merge_detect', 'memb_join', 'memb_commit_token', 'token_hold_cancel'];
const ORF_PER_RING = 8;
const FEW = 4;
const MCAST_FIRST = 6;

function ringKey(b: Uint8Array, at: number): string {
  return toHex(b, at, at + 12);
}

function select(frames: readonly TotemFrame[]): TotemFrame[] {
  const keep = new Set<TotemFrame>();
  const orfPerRing = new Map<string, number>();
  const seen = new Map<number, number>();
  const mcasts: TotemFrame[] = [];
  for (const f of frames) {
    const b = f.bytes;
    if (b.length < 13 || b[0] !== 0x70 || b[1] !== 0xc0) {
      keep.add(f); // anything odd is worth keeping
      continue;
    }
    const type = b[3]!;
    const count = (seen.get(type) ?? 0) + 1;
    seen.set(type, count);
    switch (type) {
      case 0: {
        const rtr = b.length >= 57 ? b[53]! | (b[54]! << 8) : 0;
        const retrans = b.length >= 53 ? b[49]! : 0;
        const ring = b.length >= 41 ? ringKey(b, 29) : '';
        const n = (orfPerRing.get(ring) ?? 0) + 1;
        orfPerRing.set(ring, n);
        if (rtr !== 0 || retrans !== 0 || n <= ORF_PER_RING) keep.add(f);
        break;
      }
      case 1:
        mcasts.push(f);
        if (b[4] === 1 || mcasts.length <= MCAST_FIRST) keep.add(f);
        break;
      case 3:
      case 4:
        keep.add(f);
        break;
      default:
        if (count <= FEW) keep.add(f);
    }
  }
  const bySize = [...mcasts].sort((a, b) => a.bytes.length - b.bytes.length);
  for (const f of [...bySize.slice(0, 2), ...bySize.slice(-2)]) keep.add(f);
  return frames.filter((f) => keep.has(f));
}

mkdirSync(OUT_DIR, { recursive: true });
for (const spec of TOTEM_CAPTURES.filter((s) => s.fixture === true)) {
  const frames = extractTotemFrames(spec);
  const chosen = select(frames);
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
