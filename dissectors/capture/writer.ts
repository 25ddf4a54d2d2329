/**
 * Encoders for classic pcap and pcapng, the `emit` side of the reader: exact bytes for fixtures,
 * byte-order variants, replicated bench captures and exported frames.
 *
 * Each function returns a fresh Uint8Array; concatenate them to make a file.
 */
import { putU16, putU32 } from '../bytes.ts';
import {
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

export interface PcapFileOptions {
  readonly littleEndian: boolean;
  readonly nano: boolean;
  readonly snaplen: number;
  readonly linkType: number;
}

export function pcapFileHeader(o: PcapFileOptions): Uint8Array {
  const b = new Uint8Array(PCAP_FILE_HEADER_LEN);
  putU32(b, 0, o.nano ? PCAP_MAGIC_NS : PCAP_MAGIC_US, o.littleEndian);
  putU16(b, 4, 2, o.littleEndian);
  putU16(b, 6, 4, o.littleEndian);
  putU32(b, 8, 0, o.littleEndian);
  putU32(b, 12, 0, o.littleEndian);
  putU32(b, 16, o.snaplen, o.littleEndian);
  putU32(b, 20, o.linkType, o.littleEndian);
  return b;
}

export function pcapRecord(o: Pick<PcapFileOptions, 'littleEndian' | 'nano'>, tsSec: number, tsNsec: number, data: Uint8Array, origLen = data.length): Uint8Array {
  const b = new Uint8Array(PCAP_RECORD_HEADER_LEN + data.length);
  putU32(b, 0, tsSec, o.littleEndian);
  putU32(b, 4, o.nano ? tsNsec : Math.floor(tsNsec / 1000), o.littleEndian);
  putU32(b, 8, data.length, o.littleEndian);
  putU32(b, 12, origLen, o.littleEndian);
  b.set(data, PCAP_RECORD_HEADER_LEN);
  return b;
}

export interface PcapngOption {
  readonly code: number;
  readonly value: Uint8Array;
}

function optionsBytes(opts: readonly PcapngOption[], le: boolean): Uint8Array {
  if (opts.length === 0) return new Uint8Array(0);
  let n = 4; // opt_endofopt
  for (const o of opts) n += 4 + ((o.value.length + 3) & ~3);
  const b = new Uint8Array(n);
  let p = 0;
  for (const o of opts) {
    putU16(b, p, o.code, le);
    putU16(b, p + 2, o.value.length, le);
    b.set(o.value, p + 4);
    p += 4 + ((o.value.length + 3) & ~3);
  }
  return b; // the last 4 bytes stay zero: opt_endofopt
}

/** A generic block: type, length, body (padded to 4), trailing length. */
export function pcapngBlock(type: number, body: Uint8Array, le: boolean): Uint8Array {
  const padded = (body.length + 3) & ~3;
  const len = 12 + padded;
  const b = new Uint8Array(len);
  putU32(b, 0, type, le);
  putU32(b, 4, len, le);
  b.set(body, 8);
  putU32(b, len - 4, len, le);
  return b;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function pcapngShb(le: boolean, options: readonly PcapngOption[] = []): Uint8Array {
  const fixed = new Uint8Array(16);
  putU32(fixed, 0, PCAPNG_BYTE_ORDER_MAGIC, le);
  putU16(fixed, 4, 1, le);
  putU16(fixed, 6, 0, le);
  putU32(fixed, 8, 0xffffffff, le); // section length -1: unknown
  putU32(fixed, 12, 0xffffffff, le);
  return pcapngBlock(PCAPNG_SHB, concat([fixed, optionsBytes(options, le)]), le);
}

export interface PcapngInterfaceOptions {
  readonly linkType: number;
  readonly snaplen: number;
  /** if_tsresol byte (default: absent = 6, microseconds). */
  readonly tsresol?: number;
  /** if_tsoffset seconds. */
  readonly tsoffset?: number;
  readonly name?: string;
}

export function pcapngIdb(le: boolean, i: PcapngInterfaceOptions): Uint8Array {
  const fixed = new Uint8Array(8);
  putU16(fixed, 0, i.linkType, le);
  putU32(fixed, 4, i.snaplen, le);
  const opts: PcapngOption[] = [];
  if (i.name !== undefined) opts.push({ code: 2, value: new TextEncoder().encode(i.name) });
  if (i.tsresol !== undefined) opts.push({ code: 9, value: Uint8Array.of(i.tsresol) });
  if (i.tsoffset !== undefined) {
    const v = new Uint8Array(8);
    const big = BigInt.asUintN(64, BigInt(i.tsoffset));
    putU32(v, le ? 0 : 4, Number(big & 0xffffffffn), le);
    putU32(v, le ? 4 : 0, Number(big >> 32n), le);
    opts.push({ code: 14, value: v });
  }
  return pcapngBlock(PCAPNG_IDB, concat([fixed, optionsBytes(opts, le)]), le);
}

/** Units of 1/unitsPerSecond since the epoch for a timestamp, `if_tsresol` byte `tsresol`. */
export function timestampUnits(tsSec: number, tsNsec: number, tsresol = 6, tsoffset = 0): bigint {
  const v = BigInt(tsresol & 0x7f);
  const units = tsresol & 0x80 ? 1n << v : 10n ** v;
  return BigInt(tsSec - tsoffset) * units + (BigInt(tsNsec) * units) / 1_000_000_000n;
}

function packetBody(prefix: Uint8Array, data: Uint8Array): Uint8Array {
  return concat([prefix, data]);
}

export function pcapngEpb(le: boolean, interfaceId: number, units: bigint, data: Uint8Array, origLen = data.length): Uint8Array {
  const f = new Uint8Array(20);
  putU32(f, 0, interfaceId, le);
  putU32(f, 4, Number((units >> 32n) & 0xffffffffn), le);
  putU32(f, 8, Number(units & 0xffffffffn), le);
  putU32(f, 12, data.length, le);
  putU32(f, 16, origLen, le);
  return pcapngBlock(PCAPNG_EPB, packetBody(f, data), le);
}

/** Obsolete Packet Block (interface id u16, drops u16). */
export function pcapngPb(le: boolean, interfaceId: number, units: bigint, data: Uint8Array, origLen = data.length): Uint8Array {
  const f = new Uint8Array(20);
  putU16(f, 0, interfaceId, le);
  putU16(f, 2, 0, le);
  putU32(f, 4, Number((units >> 32n) & 0xffffffffn), le);
  putU32(f, 8, Number(units & 0xffffffffn), le);
  putU32(f, 12, data.length, le);
  putU32(f, 16, origLen, le);
  return pcapngBlock(PCAPNG_PB, packetBody(f, data), le);
}

/** Simple Packet Block: interface 0, no timestamp. */
export function pcapngSpb(le: boolean, data: Uint8Array, origLen = data.length): Uint8Array {
  const f = new Uint8Array(4);
  putU32(f, 0, origLen, le);
  return pcapngBlock(PCAPNG_SPB, packetBody(f, data), le);
}

export { concat as concatBytes };
