/**
 * Token hold statistics of a member, measured the way corosync 3.1.7 measures its own
 * (`runtime.totem.pg.mrp.srp.avg_token_workload` and `mtt_rx_token`, exec/totemsrp.c
 * totemsrp_stats_token_callback + exec/main.c corosync_totem_stats_updater):
 * - a token's hold starts when a valid ORF token is accepted (TOTEM_CALLBACK_TOKEN_RECEIVED) and
 *   ends after the token was sent and the messages it made deliverable were delivered
 *   (TOTEM_CALLBACK_TOKEN_SENT runs after messages_deliver_to_app);
 * - corosync keeps the last TOTEM_TOKEN_STATS_MAX (100) tokens with millisecond timestamps and
 *   every 1.5 s publishes the integer mean of (tx_ms - rx_ms) over them.
 * Pure: the caller passes times (ms, any monotonic origin).
 */

/** TOTEM_TOKEN_STATS_MAX in corosync's totemstats.h. */
export const TOKEN_STATS_WINDOW = 100;
/** Holds kept for the per-interval figures; beyond this the interval keeps counting but stops sampling. */
const INTERVAL_SAMPLES_MAX = 200_000;

export interface HoldSummary {
  /** Tokens in the summary. */
  readonly count: number;
  readonly medianMs: number;
  readonly meanMs: number;
  readonly p90Ms: number;
  readonly maxMs: number;
}

export interface TokenWindowSummary extends HoldSummary {
  /** corosync's avg_token_workload over the same window: integer mean of ms-floored tx - rx. */
  readonly avgTokenWorkload: number;
  /** corosync's mtt_rx_token: integer mean of ms-floored time between token receptions. */
  readonly mttRxToken: number;
}

function summarize(holds: readonly number[]): HoldSummary {
  if (holds.length === 0) return { count: 0, medianMs: 0, meanMs: 0, p90Ms: 0, maxMs: 0 };
  const sorted = [...holds].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return {
    count: sorted.length,
    medianMs: median,
    meanMs: sorted.reduce((s, h) => s + h, 0) / sorted.length,
    p90Ms: at(0.9),
    maxMs: sorted[sorted.length - 1]!,
  };
}

export class TokenHoldStats {
  private readonly rx = new Float64Array(TOKEN_STATS_WINDOW);
  private readonly tx = new Float64Array(TOKEN_STATS_WINDOW);
  private next = 0;
  private filled = 0;
  private interval: number[] = [];
  private intervalCount = 0;
  /** Every forwarded token since start. */
  total = 0;

  /** One token that this member received and forwarded: accepted at rxMs, done at txMs. */
  record(rxMs: number, txMs: number): void {
    this.rx[this.next] = rxMs;
    this.tx[this.next] = txMs;
    this.next = (this.next + 1) % TOKEN_STATS_WINDOW;
    if (this.filled < TOKEN_STATS_WINDOW) this.filled++;
    this.total++;
    this.intervalCount++;
    if (this.interval.length < INTERVAL_SAMPLES_MAX) this.interval.push(txMs - rxMs);
  }

  /** The last 100 tokens, as corosync's stats updater sees its own. */
  window(): TokenWindowSummary {
    const holds: number[] = [];
    let workload = 0;
    let rotation = 0;
    let rotations = 0;
    let prevRx: number | undefined;
    // Oldest first.
    for (let k = 0; k < this.filled; k++) {
      const i = (this.next - this.filled + k + TOKEN_STATS_WINDOW) % TOKEN_STATS_WINDOW;
      const rx = this.rx[i]!;
      const tx = this.tx[i]!;
      holds.push(tx - rx);
      workload += Math.floor(tx) - Math.floor(rx);
      if (prevRx !== undefined) {
        rotation += Math.floor(rx) - Math.floor(prevRx);
        rotations++;
      }
      prevRx = rx;
    }
    return {
      ...summarize(holds),
      avgTokenWorkload: holds.length > 0 ? Math.floor(workload / holds.length) : 0,
      mttRxToken: rotations > 0 ? Math.floor(rotation / rotations) : 0,
    };
  }

  /** Every token since the previous call (count exact; median etc. over up to 200 000 samples); resets. */
  takeInterval(): HoldSummary {
    const s = summarize(this.interval);
    const out = { ...s, count: this.intervalCount };
    this.interval = [];
    this.intervalCount = 0;
    return out;
  }
}
