/**
 * A bounded-memory distribution of non-negative samples (milliseconds).
 *
 * Exact quantiles while the sample count is small (the common forensic case: a few thousand token
 * hops); beyond `EXACT_LIMIT` the samples move into log-linear buckets of at most 1.6% relative
 * width (1 µs resolution below 64 µs), so memory stays flat whatever the capture length. `max` and `count` are always exact.
 */

export interface DistributionSummary {
  readonly count: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

const EXACT_LIMIT = 4096;
/**
 * Buckets over integer microseconds, HDR-histogram style: values below 2^SUB_BITS µs exactly, above
 * that 2^SUB_BITS buckets per power of two (relative width 1/64 ≈ 1.6%). The index needs no log:
 * the exponent comes from Math.clz32.
 */
const SUB_BITS = 6;
const SUB = 1 << SUB_BITS;
/** Up to 2^31 µs (~36 min); larger values land in the last bucket (max stays exact). */
const BUCKETS = SUB + (31 - SUB_BITS) * SUB;

function bucketIndex(valueMs: number): number {
  const us = valueMs * 1000;
  if (us >= 2147483647) return BUCKETS - 1;
  const v = us | 0;
  if (v < SUB) return v;
  const e = 31 - Math.clz32(v); // >= SUB_BITS
  return SUB + (e - SUB_BITS) * SUB + ((v >>> (e - SUB_BITS)) & (SUB - 1));
}

/** Midpoint of a bucket, in ms. */
function bucketValue(index: number): number {
  if (index < SUB) return (index + 0.5) / 1000;
  const e = Math.floor((index - SUB) / SUB) + SUB_BITS;
  const mantissa = (index - SUB) % SUB;
  const lo = (SUB + mantissa) * 2 ** (e - SUB_BITS);
  const width = 2 ** (e - SUB_BITS);
  return (lo + width / 2) / 1000;
}

export class Distribution {
  private count = 0;
  private max = 0;
  private exact: Float64Array | null = new Float64Array(64);
  private buckets: Uint32Array | null = null;

  add(value: number): void {
    if (!(value >= 0)) return; // NaN and negatives (clock steps) are not samples
    this.count++;
    if (value > this.max) this.max = value;
    const buckets = this.buckets;
    if (buckets !== null) {
      // The steady state of a long capture: one increment, no call.
      const index = bucketIndex(value);
      buckets[index] = (buckets[index] ?? 0) + 1;
      return;
    }
    const exact = this.exact;
    if (exact !== null) {
      const index = this.count - 1;
      if (index < exact.length) {
        exact[index] = value;
        return;
      }
      if (exact.length < EXACT_LIMIT) {
        const grown = new Float64Array(Math.min(EXACT_LIMIT, exact.length * 2));
        grown.set(exact);
        grown[index] = value;
        this.exact = grown;
        return;
      }
      this.moveToBuckets(exact, index);
    }
    this.addToBucket(value);
  }

  get size(): number {
    return this.count;
  }

  summary(): DistributionSummary {
    return {
      count: this.count,
      p50: round3(this.quantile(0.5)),
      p90: round3(this.quantile(0.9)),
      p99: round3(this.quantile(0.99)),
      max: round3(this.max),
    };
  }

  /** Nearest-rank quantile (exact mode) or the bucket's geometric midpoint (bucket mode, capped at max). */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.count));
    const exact = this.exact;
    if (exact !== null) {
      const sorted = exact.slice(0, this.count).sort();
      return sorted[rank - 1] ?? 0;
    }
    const buckets = this.buckets;
    if (buckets === null) return 0;
    let seen = 0;
    for (let i = 0; i < buckets.length; i++) {
      seen += buckets[i] ?? 0;
      if (seen >= rank) return Math.min(this.max, bucketValue(i));
    }
    return this.max;
  }

  private moveToBuckets(exact: Float64Array, used: number): void {
    this.buckets = new Uint32Array(BUCKETS);
    this.exact = null;
    for (let i = 0; i < used; i++) this.addToBucket(exact[i] ?? 0);
  }

  private addToBucket(value: number): void {
    const buckets = this.buckets;
    if (buckets === null) return;
    const index = bucketIndex(value);
    buckets[index] = (buckets[index] ?? 0) + 1;
  }
}

export function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}

export const EMPTY_SUMMARY: DistributionSummary = { count: 0, p50: 0, p90: 0, p99: 0, max: 0 };
