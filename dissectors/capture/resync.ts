/**
 * Finding a record boundary in the middle of a capture file, so that a big file can be cut into
 * shards decoded in parallel (src/read/shards.ts). Pure functions over a window of bytes.
 *
 * A classic pcap file has no sync marker: a boundary is a position where a chain of plausible
 * record headers starts (captured length within the snap length and the original length,
 * sub-second field in range, timestamps within a day of each other) and runs on for `chain`
 * records or exactly to the end of the file. pcapng blocks repeat their length at the end, which
 * makes the check much stronger. A guess can still be wrong in theory, so callers must verify it:
 * the shard before it has to end exactly there (src/read/shards.ts does, and falls back to one
 * sequential pass otherwise).
 */
import { u32 } from '../bytes.ts';
import {
  DEFAULT_MAX_BLOCK_LENGTH,
  DEFAULT_MAX_RECORD_LENGTH,
  PCAP_FILE_HEADER_LEN,
  PCAP_MAGIC_NS,
  PCAP_MAGIC_US,
  PCAP_RECORD_HEADER_LEN,
  PCAPNG_BYTE_ORDER_MAGIC,
  PCAPNG_EPB,
  PCAPNG_IDB,
  PCAPNG_PB,
  PCAPNG_SHB,
  PCAPNG_SPB,
} from './reader.ts';

/** Records (blocks) that must chain after a candidate boundary, unless the file ends first. */
export const DEFAULT_SYNC_CHAIN = 32;
/**
 * pcap records are written in time order: a chain that steps back more than this, or strays more
 * than MAX_TIME_SPREAD_SEC from the file's first record, is not a run of real record headers
 * (runs of zero bytes in a payload would otherwise chain as empty records).
 */
const MAX_STEP_BACK_SEC = 1;
const MAX_TIME_SPREAD_SEC = 30 * 86_400;
const MAX_ORIGINAL_LENGTH = 1 << 24;

export interface PcapLayout {
  readonly format: 'pcap';
  readonly littleEndian: boolean;
  readonly nano: boolean;
  /** Snap length from the file header (0 read as "no limit"). */
  readonly snaplen: number;
  /** Bytes before the first record. */
  readonly headerLength: number;
  /** ts_sec of the first record (-1: the file has none): records far from it are implausible. */
  readonly firstSec: number;
}

export interface PcapngLayout {
  readonly format: 'pcapng';
  readonly littleEndian: boolean;
  /** Bytes of the section header and every block before the first packet block. */
  readonly headerLength: number;
  /** Interface description blocks in that header. */
  readonly interfaces: number;
}

export type CaptureLayout = PcapLayout | PcapngLayout;

/**
 * The layout from the first bytes of a file, or undefined when they are not a capture whose
 * header fits in `head` (pcapng: SHB and every block up to the first packet block).
 */
export function captureLayout(head: Uint8Array): CaptureLayout | undefined {
  if (head.length < PCAP_FILE_HEADER_LEN) return undefined;
  const magicLe = u32(head, 0, true);
  const magicBe = u32(head, 0, false);
  for (const le of [true, false]) {
    const magic = le ? magicLe : magicBe;
    if (magic === PCAP_MAGIC_US || magic === PCAP_MAGIC_NS) {
      const firstSec = head.length >= PCAP_FILE_HEADER_LEN + 4 ? u32(head, PCAP_FILE_HEADER_LEN, le) : -1;
      return { format: 'pcap', littleEndian: le, nano: magic === PCAP_MAGIC_NS, snaplen: u32(head, 16, le), headerLength: PCAP_FILE_HEADER_LEN, firstSec };
    }
  }
  if (magicLe !== PCAPNG_SHB) return undefined;
  const bom = u32(head, 8, true);
  const le = bom === PCAPNG_BYTE_ORDER_MAGIC;
  if (!le && u32(head, 8, false) !== PCAPNG_BYTE_ORDER_MAGIC) return undefined;
  let o = 0;
  let interfaces = 0;
  for (let first = true; ; first = false) {
    if (o + 12 > head.length) return undefined;
    const type = u32(head, o, le);
    const len = u32(head, o + 4, le);
    if (len < 12 || len % 4 !== 0 || o + len > head.length || u32(head, o + len - 4, le) !== len) return undefined;
    if (first !== (type === PCAPNG_SHB)) return undefined;
    if (type === PCAPNG_EPB || type === PCAPNG_SPB || type === PCAPNG_PB) return { format: 'pcapng', littleEndian: le, headerLength: o, interfaces };
    if (type === PCAPNG_IDB) interfaces++;
    o += len;
  }
}

/**
 * Absolute offset of the first record boundary at or after `window`'s start (`windowOffset` in the
 * file), or -1 when none is found in the window. `fileSize` lets a chain end exactly at the end of
 * the file.
 */
export function findRecordBoundary(layout: CaptureLayout, window: Uint8Array, windowOffset: number, fileSize: number, chain = DEFAULT_SYNC_CHAIN): number {
  let first = Math.max(0, layout.headerLength - windowOffset);
  // pcapng blocks start on 4-byte boundaries of the file.
  const step = layout.format === 'pcapng' ? 4 : 1;
  while ((windowOffset + first) % step !== 0) first++;
  for (let p = first; p + 16 <= window.length; p += step) {
    const ok = layout.format === 'pcap' ? pcapChain(layout, window, p, windowOffset, fileSize, chain) : pcapngChain(layout, window, p, windowOffset, fileSize, chain);
    if (ok) return windowOffset + p;
  }
  return -1;
}

function pcapChain(l: PcapLayout, w: Uint8Array, p: number, base: number, fileSize: number, chain: number): boolean {
  const le = l.littleEndian;
  const fracLimit = l.nano ? 1_000_000_000 : 1_000_000;
  const capLimit = Math.min(l.snaplen > 0 ? l.snaplen : DEFAULT_MAX_RECORD_LENGTH, DEFAULT_MAX_RECORD_LENGTH);
  let previousSec = -1;
  for (let n = 0; n < chain; n++) {
    if (base + p === fileSize) return n > 0;
    if (p + PCAP_RECORD_HEADER_LEN > w.length) return false;
    const sec = u32(w, p, le);
    const frac = u32(w, p + 4, le);
    const cap = u32(w, p + 8, le);
    const orig = u32(w, p + 12, le);
    if (frac >= fracLimit || cap === 0 || cap > capLimit || cap > orig || orig > MAX_ORIGINAL_LENGTH) return false;
    if (l.firstSec >= 0 && Math.abs(sec - l.firstSec) > MAX_TIME_SPREAD_SEC) return false;
    if (sec + MAX_STEP_BACK_SEC < previousSec) return false;
    previousSec = sec;
    p += PCAP_RECORD_HEADER_LEN + cap;
  }
  return base + p <= fileSize;
}

function pcapngChain(l: PcapngLayout, w: Uint8Array, p: number, base: number, fileSize: number, chain: number): boolean {
  const le = l.littleEndian;
  for (let n = 0; n < chain; n++) {
    if (base + p === fileSize) return n > 0;
    if (p + 12 > w.length) return false;
    const type = u32(w, p, le);
    const len = u32(w, p + 4, le);
    // Only packet blocks may follow a boundary we cut at: a new section or interface there would
    // change how the rest decodes.
    if (type !== PCAPNG_EPB && type !== PCAPNG_SPB && type !== PCAPNG_PB && (n === 0 || type === PCAPNG_SHB || type === PCAPNG_IDB)) return false;
    if (len < 12 || len % 4 !== 0 || len > DEFAULT_MAX_BLOCK_LENGTH || p + len > w.length) return false;
    if (u32(w, p + len - 4, le) !== len) return false;
    p += len;
  }
  return base + p <= fileSize;
}
