/**
 * Exact conversion of a 64-bit pcapng timestamp (two u32 halves, in units of 1/`unitsPerSecond`)
 * to integer seconds and nanoseconds, without a BigInt on the hot path.
 *
 * Nanosecond timestamps (~1.7e18) do not fit a double exactly, so the common resolutions (10^-k,
 * k <= 9) divide by long division over 16-bit limbs: every intermediate stays below 2^47, hence
 * exact. Other resolutions (power of 2, or finer than 1 ns) take a BigInt path.
 */

/** Result slots of the last `splitTimestamp` call (module scratch: no allocation per record). */
export const tsOut = { sec: 0, nsec: 0 };

/** floor(t / d) for integer t < 2^53 and d < 2^31, with the float quotient corrected. */
function divStep(t: number, d: number): number {
  let q = Math.floor(t / d);
  const r = t - q * d;
  if (r < 0) q--;
  else if (r >= d) q++;
  return q;
}

/**
 * Splits `hi*2^32 + lo` units into seconds and nanoseconds.
 * `unitsPerSecond` must be 10^k (k <= 9) with `nsPerUnit = 10^(9-k)`; see `splitTimestampBig` otherwise.
 */
export function splitTimestamp(hi: number, lo: number, unitsPerSecond: number, nsPerUnit: number): void {
  if (hi < 0x200000) {
    // below 2^53 (microsecond captures until year 2255): plain arithmetic is exact
    const t = hi * 0x100000000 + lo;
    const sec = divStep(t, unitsPerSecond);
    tsOut.sec = sec;
    tsOut.nsec = (t - sec * unitsPerSecond) * nsPerUnit;
    return;
  }
  const d = unitsPerSecond;
  let t = hi >>> 16;
  const q3 = divStep(t, d);
  t = (t - q3 * d) * 0x10000 + (hi & 0xffff);
  const q2 = divStep(t, d);
  t = (t - q2 * d) * 0x10000 + (lo >>> 16);
  const q1 = divStep(t, d);
  t = (t - q1 * d) * 0x10000 + (lo & 0xffff);
  const q0 = divStep(t, d);
  const rem = t - q0 * d;
  tsOut.sec = ((q3 * 0x10000 + q2) * 0x10000 + q1) * 0x10000 + q0;
  tsOut.nsec = rem * nsPerUnit;
}

/** Any resolution: `unitsPerSecond` as a BigInt (2^k, or 10^k with k > 9). */
export function splitTimestampBig(hi: number, lo: number, unitsPerSecond: bigint): void {
  const t = (BigInt(hi) << 32n) | BigInt(lo);
  const sec = t / unitsPerSecond;
  const rem = t - sec * unitsPerSecond;
  tsOut.sec = Number(sec);
  tsOut.nsec = Number((rem * 1_000_000_000n) / unitsPerSecond);
}

/** A pcapng if_tsresol byte decoded: MSB clear = 10^-v, set = 2^-(v & 0x7f). */
export interface TsResolution {
  /** The raw option byte (6 = microseconds, 9 = nanoseconds). */
  readonly raw: number;
  /** Units per second as a number when exact (10^k, k <= 9), else 0. */
  readonly unitsPerSecond: number;
  /** Nanoseconds per unit for the exact path, else 0. */
  readonly nsPerUnit: number;
  /** Units per second as a BigInt (always set). */
  readonly unitsPerSecondBig: bigint;
}

export function tsResolution(raw: number): TsResolution {
  const v = raw & 0x7f;
  const big = raw & 0x80 ? 1n << BigInt(v) : 10n ** BigInt(v);
  if (!(raw & 0x80) && v <= 9) {
    return { raw, unitsPerSecond: 10 ** v, nsPerUnit: 10 ** (9 - v), unitsPerSecondBig: big };
  }
  return { raw, unitsPerSecond: 0, nsPerUnit: 0, unitsPerSecondBig: big };
}

export const TS_MICROSECONDS = tsResolution(6);
