/**
 * knet's receive-side duplicate filter for one source host, as libknet 1.25 keeps it
 * (KN libknet/host.c `_seq_num_lookup`, `_seq_num_set`, `_clear_cbuffers`; threads_rx.c PING
 * case; wire-format.md §7.2–7.3). Pure: no clocks.
 *
 * A 4096-entry ring of delivered seq numbers around the highest seq seen. A seq up to 4095 behind
 * it is checked against the ring; anything else is accepted and moves the window, and a seq far
 * from it (a restarted sender) empties the ring first. Pings wipe it too: a timed ping carrying
 * seq 0 (a fresh sender that has sent no data yet), or an untimed ping with a new seq and no data
 * since the previous one.
 */
export const KNET_SEQ_MAX = 0xffff;
export const KNET_CBUFFER_SIZE = 4096;

export class KnetSeqFilter {
  private readonly delivered = new Uint8Array(KNET_CBUFFER_SIZE);
  private rxSeq = 0;
  private untimedRxSeq = 0;
  private timedRxSeq = 0;
  private gotData = false;

  /** True when `seq` was not delivered yet (knet `_seq_num_lookup`). */
  lookup(seq: number, clear = false): boolean {
    if (this.rxSeq === 0) this.rxSeq = seq;
    if (clear) this.clear(seq);
    const dist = seq < this.rxSeq ? (KNET_SEQ_MAX - seq + this.rxSeq) & 0xffff : (this.rxSeq - seq) & 0xffff;
    const head = seq % KNET_CBUFFER_SIZE;
    if (dist < KNET_CBUFFER_SIZE) return this.delivered[head] === 0;
    if (dist <= KNET_SEQ_MAX - KNET_CBUFFER_SIZE) {
      this.delivered.fill(0);
      this.rxSeq = seq;
    }
    // Entries between the old and the new window head are forgotten.
    const tail = (this.rxSeq + 1) % KNET_CBUFFER_SIZE;
    if (tail > head) {
      this.delivered.fill(0, tail);
      this.delivered.fill(0, 0, head + 1);
    } else {
      this.delivered.fill(0, tail, head + 1);
    }
    this.rxSeq = seq;
    return true;
  }

  /** `seq` was delivered (knet `_seq_num_set`). */
  set(seq: number): void {
    this.delivered[seq % KNET_CBUFFER_SIZE] = 1;
  }

  /** A data packet arrived (knet's `got_data`, consulted by untimed pings). */
  sawData(): void {
    this.gotData = true;
  }

  /** knet `_clear_cbuffers`: also what a link going down does (with 0). */
  clear(rxSeq = 0): void {
    this.delivered.fill(0);
    this.rxSeq = rxSeq;
  }

  /** The restart detection of threads_rx.c for a PING from this host. */
  onPing(seq: number, timed: boolean): void {
    if (!timed) {
      let wipe = false;
      if (seq !== this.untimedRxSeq) {
        this.untimedRxSeq = seq;
        if (this.gotData) this.gotData = false;
        else wipe = true;
      }
      this.lookup(seq, wipe);
      return;
    }
    if (seq !== this.timedRxSeq) {
      this.timedRxSeq = seq;
      if (seq === 0) this.lookup(0, true);
    }
  }
}
