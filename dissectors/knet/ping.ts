/**
 * knet PING / PONG (26 bytes) — wire-format.md §7.3 (KN libknet/onwire.h
 * `knet_header_payload_ping`, threads_heartbeat.c, threads_rx.c).
 *
 * The timestamp is the pinger's raw CLOCK_MONOTONIC `struct timespec` in its host order (x86_64:
 * i64 tv_sec, i64 tv_nsec, little-endian); the seq number is big-endian. A PONG echoes the PING's
 * bytes with the type changed and `kh_node` replaced by the responder's id.
 */
import { putU16, putU32, putU8, u16, u32, u8 } from '../bytes.ts';
import { WireError, type Decoded } from '../errors.ts';
import { emitHeader, KnetType, parseHeader, type KnetErrorCode, type KnetHeader } from './header.ts';

export const PING_LINK = 6;
export const PING_TIME_SEC = 7; // i64, sender host order (LE on x86_64)
export const PING_TIME_NSEC = 15; // i64, sender host order
export const PING_SEQ_NUM = 23; // u16 big-endian
export const PING_TIMED = 25;
/** KNET_HEADER_PING_SIZE. */
export const KNET_HEADER_PING_SIZE = 26;

export interface KnetPing {
  /** type is PING or PONG. */
  readonly header: KnetHeader;
  /** The pinger's link id (the responder answers on its link with the same id). */
  readonly link: number;
  /** Pinger's CLOCK_MONOTONIC seconds (i64 LE). */
  readonly timeSec: bigint;
  /** Pinger's CLOCK_MONOTONIC nanoseconds (i64 LE; 0..999999999 on a sane sender). */
  readonly timeNsec: bigint;
  /** The pinger's current transmit data seq number. */
  readonly seqNum: number;
  /** 1 periodic (timed) ping, 0 forced ping (sent every 8191 data packets). */
  readonly timed: number;
}

function i64le(b: Uint8Array, o: number): bigint {
  const lo = u32(b, o, true);
  const hi = u32(b, o + 4, true);
  return BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo));
}

function putI64le(b: Uint8Array, o: number, v: bigint): void {
  const x = BigInt.asUintN(64, v);
  putU32(b, o, Number(x & 0xffffffffn), true);
  putU32(b, o + 4, Number(x >> 32n), true);
}

export function parsePing(b: Uint8Array): Decoded<KnetPing, KnetErrorCode> {
  const header = parseHeader(b);
  if (header instanceof WireError) return header;
  if (header.type !== KnetType.PING && header.type !== KnetType.PONG) {
    return new WireError('knet.bad_type', 1, `expected PING or PONG, got type 0x${header.type.toString(16)}`);
  }
  if (b.length < KNET_HEADER_PING_SIZE) {
    return new WireError('knet.too_short', 0, `knet ${header.type === KnetType.PING ? 'PING' : 'PONG'} of ${b.length} bytes, need ${KNET_HEADER_PING_SIZE}`);
  }
  return {
    header,
    link: u8(b, PING_LINK),
    timeSec: i64le(b, PING_TIME_SEC),
    timeNsec: i64le(b, PING_TIME_NSEC),
    seqNum: u16(b, PING_SEQ_NUM, false),
    timed: u8(b, PING_TIMED),
  };
}

export function emitPing(p: KnetPing): Uint8Array {
  const b = new Uint8Array(KNET_HEADER_PING_SIZE);
  emitHeader(p.header, b);
  putU8(b, PING_LINK, p.link);
  putI64le(b, PING_TIME_SEC, p.timeSec);
  putI64le(b, PING_TIME_NSEC, p.timeNsec);
  putU16(b, PING_SEQ_NUM, p.seqNum, false);
  putU8(b, PING_TIMED, p.timed);
  return b;
}

/** The embedded timestamp in nanoseconds (pinger's monotonic clock). */
export function pingTimeNs(p: Pick<KnetPing, 'timeSec' | 'timeNsec'>): bigint {
  return p.timeSec * 1_000_000_000n + p.timeNsec;
}
