/**
 * Per-ring tracking of MCAST sequence numbers in a fixed circular window.
 *
 * corosync keeps at most QUEUE_RTR_ITEMS_SIZE_MAX (16384) messages above the token's aru
 * (wire-format.md §6.3), so a window of 2^15 slots holds every seq that can still be requested or
 * repaired; older slots are swept (checked for capture loss) before reuse. Typed arrays, no
 * per-message objects: memory is flat whatever the capture length.
 */

export const WINDOW_BITS = 15;
export const WINDOW_SIZE = 1 << WINDOW_BITS;
const MASK = WINDOW_SIZE - 1;
/** Slots per dirty-tracking block: reset clears only blocks that were claimed in. */
const BLOCK_BITS = 8;

export const SEEN = 1;
export const REQUESTED = 2;
export const REPAIRED = 4;

/** Signed distance a − b on the u32 sequence circle. */
export function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}

export class SeqWindow {
  readonly seqs = new Uint32Array(WINDOW_SIZE);
  readonly flags = new Uint8Array(WINDOW_SIZE);
  readonly senders = new Uint32Array(WINDOW_SIZE);
  readonly firstTs = new Float64Array(WINDOW_SIZE);
  /** Index into the analyzer's retransmit entries (+1; 0 = none). */
  readonly entry = new Int32Array(WINDOW_SIZE);
  /** Blocks of slots claimed since the last reset (a ring usually touches a few of its 128 blocks). */
  private readonly dirty = new Uint8Array(WINDOW_SIZE >>> BLOCK_BITS);

  reset(): void {
    const dirty = this.dirty;
    for (let b = 0; b < dirty.length; b++) {
      if (dirty[b] === 0) continue;
      dirty[b] = 0;
      const from = b << BLOCK_BITS;
      const to = from + (1 << BLOCK_BITS);
      this.flags.fill(0, from, to);
      this.entry.fill(0, from, to);
    }
  }

  /** Slot of `seq` if it currently holds that seq, else -1. */
  find(seq: number): number {
    const slot = seq & MASK;
    return this.flags[slot] !== 0 && this.seqs[slot] === seq >>> 0 ? slot : -1;
  }

  /** Slot for `seq`, claiming it (clearing an older occupant) if needed. */
  claim(seq: number): number {
    const slot = seq & MASK;
    if (this.flags[slot] === 0 || this.seqs[slot] !== seq >>> 0) {
      this.dirty[slot >>> BLOCK_BITS] = 1;
      this.seqs[slot] = seq >>> 0;
      this.flags[slot] = 0;
      this.entry[slot] = 0;
      this.senders[slot] = 0;
      this.firstTs[slot] = 0;
    }
    return slot;
  }

  release(slot: number): void {
    this.flags[slot] = 0;
    this.entry[slot] = 0;
  }
}

/** A small pool so that ring after ring does not allocate a new window. */
export class SeqWindowPool {
  private readonly free: SeqWindow[] = [];
  take(): SeqWindow {
    const w = this.free.pop();
    if (w !== undefined) {
      w.reset();
      return w;
    }
    return new SeqWindow();
  }
  give(w: SeqWindow): void {
    if (this.free.length < 4) this.free.push(w);
  }
}
