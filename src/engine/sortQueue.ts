/**
 * The retransmit/sort queue of corosync (include/corosync/sq.h): a ring of QUEUE_RTR_ITEMS_SIZE_MAX
 * slots indexed by message seq, with a per-slot "miss count" bumped once per token visit. The window
 * starts at `headSeqid`; everything below it has been released.
 */
import { sqLt as sqLtImported } from './seq.ts';

const sqLt = sqLtImported;

/** QUEUE_RTR_ITEMS_SIZE_MAX (exec/totemsrp.c). A power of two, so slot = seq mod size survives u32 wrap. */
export const SORT_QUEUE_SIZE = 16384;
const MASK = SORT_QUEUE_SIZE - 1;
const ROLLOVER_POINT = 0x80000000;
const ROLLOVER_VALUE = 0x10000;

export class SortQueue<T> {
  private items: (T | undefined)[] = new Array<T | undefined>(SORT_QUEUE_SIZE);
  private inuse = new Uint8Array(SORT_QUEUE_SIZE);
  private miss = new Uint32Array(SORT_QUEUE_SIZE);
  /** Lowest seq the window accepts (sq->head_seqid). */
  headSeqid = 0;
  /** Count of slots in use, for leak checks. */
  private used = 0;
  /** Highest seq ever added since the last reinit: bounds the slots that may be dirty. */
  private highAdded = 0;

  /** Clears the slots from headSeqid to highAdded only (the rest are clean), then moves the window. */
  private clearDirty(): void {
    const span = ((this.highAdded - this.headSeqid) >>> 0) + 1;
    if (span >= SORT_QUEUE_SIZE || sqLt(this.highAdded, this.headSeqid)) {
      if (this.used > 0 || span >= SORT_QUEUE_SIZE) {
        this.items.fill(undefined);
        this.inuse.fill(0);
        this.miss.fill(0);
      }
    } else {
      for (let i = 0; i < span; i++) {
        const pos = (this.headSeqid + i) & MASK;
        this.items[pos] = undefined;
        this.inuse[pos] = 0;
        this.miss[pos] = 0;
      }
    }
    this.used = 0;
  }

  reinit(headSeqid: number): void {
    this.clearDirty();
    this.headSeqid = headSeqid >>> 0;
    this.highAdded = this.headSeqid;
  }

  copyFrom(src: SortQueue<T>): void {
    this.reinit(src.headSeqid);
    const span = ((src.highAdded - src.headSeqid) >>> 0) + 1;
    if (span >= SORT_QUEUE_SIZE) {
      for (let pos = 0; pos < SORT_QUEUE_SIZE; pos++) {
        this.items[pos] = src.items[pos];
        this.inuse[pos] = src.inuse[pos]!;
        this.miss[pos] = src.miss[pos]!;
      }
    } else if (!sqLt(src.highAdded, src.headSeqid)) {
      for (let i = 0; i < span; i++) {
        const pos = (src.headSeqid + i) & MASK;
        this.items[pos] = src.items[pos];
        this.inuse[pos] = src.inuse[pos]!;
        this.miss[pos] = src.miss[pos]!;
      }
    }
    this.used = src.used;
    this.highAdded = src.highAdded;
  }

  /** sq_in_range: headSeqid <= seq < headSeqid + size, with the rollover shift. */
  inRange(seq: number): boolean {
    if (this.headSeqid > ROLLOVER_POINT) {
      const s = (seq - ROLLOVER_VALUE) >>> 0;
      const h = (this.headSeqid - ROLLOVER_VALUE) >>> 0;
      return !(s < h) && !(s >= h + SORT_QUEUE_SIZE);
    }
    return !(seq < this.headSeqid) && !(seq >= this.headSeqid + SORT_QUEUE_SIZE);
  }

  inuseAt(seq: number): boolean {
    return this.inuse[seq & MASK] !== 0;
  }

  get(seq: number): T | undefined {
    const pos = seq & MASK;
    return this.inuse[pos] !== 0 ? this.items[pos] : undefined;
  }

  add(seq: number, item: T): void {
    const pos = seq & MASK;
    if (this.inuse[pos] === 0) this.used++;
    if (sqLt(this.highAdded, seq)) this.highAdded = seq;
    this.items[pos] = item;
    this.inuse[pos] = 1;
    this.miss[pos] = 0;
  }

  /** sq_item_miss_count: increments and returns the miss counter of a slot. */
  bumpMissCount(seq: number): number {
    const pos = seq & MASK;
    if (sqLt(this.highAdded, seq)) this.highAdded = seq;
    const v = (this.miss[pos] ?? 0) + 1;
    this.miss[pos] = v;
    return v;
  }

  /** sq_items_release: drop every slot from headSeqid up to and including seq. */
  releaseTo(seq: number): void {
    if (sqLt(seq, this.headSeqid)) return;
    const count = Math.min(((seq - this.headSeqid) >>> 0) + 1, SORT_QUEUE_SIZE);
    for (let i = 0; i < count; i++) {
      const pos = (this.headSeqid + i) & MASK;
      if (this.inuse[pos] !== 0) {
        this.used--;
        this.inuse[pos] = 0;
        this.items[pos] = undefined;
      }
      this.miss[pos] = 0;
    }
    this.headSeqid = (seq + 1) >>> 0;
    if (sqLt(this.highAdded, this.headSeqid)) this.highAdded = this.headSeqid;
  }

  size(): number {
    return this.used;
  }
}
