/**
 * u32 sequence arithmetic as corosync does it (include/corosync/sq.h, wire-format.md §6.3):
 * plain comparison unless either value is above 0x80000000, then both are shifted down by 0x10000
 * (mod 2^32) before comparing. That keeps comparisons right across the 0xffffffff → 0 rollover.
 */
const ADJUST_ROLLOVER_POINT = 0x80000000;
const ADJUST_ROLLOVER_VALUE = 0x10000;

export function u32(x: number): number {
  return x >>> 0;
}

export function sqLt(a: number, b: number): boolean {
  if (a > ADJUST_ROLLOVER_POINT || b > ADJUST_ROLLOVER_POINT) {
    return ((a - ADJUST_ROLLOVER_VALUE) >>> 0) < ((b - ADJUST_ROLLOVER_VALUE) >>> 0);
  }
  return a < b;
}

export function sqLte(a: number, b: number): boolean {
  if (a > ADJUST_ROLLOVER_POINT || b > ADJUST_ROLLOVER_POINT) {
    return ((a - ADJUST_ROLLOVER_VALUE) >>> 0) <= ((b - ADJUST_ROLLOVER_VALUE) >>> 0);
  }
  return a <= b;
}
