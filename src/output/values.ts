/** Turning catalog field values into text and JSON, one rule for every output. */
import type { FieldDef, FieldValue } from '../../dissectors/catalog.ts';
import { toHex } from '../../dissectors/bytes.ts';

/** Text for the `-V` tree and summaries: hex where the field asks, enum names in parentheses. */
export function formatValue(field: FieldDef, v: FieldValue): string {
  if (v instanceof Uint8Array) return v.length > 64 ? `${toHex(v, 0, 64)}… (${v.length} bytes)` : toHex(v);
  if (typeof v === 'number' || typeof v === 'bigint') {
    const base = field.hex ? `0x${v.toString(16)}` : v.toString();
    const name = typeof v === 'number' ? field.values?.[v] : field.values?.[Number(v)];
    return name === undefined ? base : `${base} (${name})`;
  }
  return String(v);
}

/** JSON scalar: bigints that fit stay numbers, larger ones become decimal strings; bytes become hex. */
export function jsonValue(v: FieldValue): string | number | boolean {
  if (v instanceof Uint8Array) return toHex(v);
  if (typeof v === 'bigint') return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  return v;
}
