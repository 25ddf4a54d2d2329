/**
 * kronosnet 1.x common header (6 bytes) — wire-format.md §7.1 (KN libknet/onwire.h).
 *
 * Mixed byte order: `kh_node` is big-endian (htons); the payload structs decide their own order
 * (data/ping seq numbers big-endian, ping timestamps and PMTUD size in the sender's host order).
 */
import { putU16, putU8, u16, u8 } from '../bytes.ts';
import { WireError, type Decoded } from '../errors.ts';

export const KNET_HEADER_VERSION = 0x01;
/** Bit set on every control packet type (KNET_HEADER_TYPE_PMSK). */
export const KNET_TYPE_CONTROL_MASK = 0x80;

export const KnetType = {
  DATA: 0x00,
  PING: 0x81,
  PONG: 0x82,
  PMTUD: 0x83,
  PMTUD_REPLY: 0x84,
} as const;
export type KnetType = (typeof KnetType)[keyof typeof KnetType];

export const KNET_TYPE_NAMES: Readonly<Record<number, string>> = {
  0x00: 'DATA',
  0x81: 'PING',
  0x82: 'PONG',
  0x83: 'PMTUD',
  0x84: 'PMTUD_REPLY',
};

export function isKnetType(t: number): t is KnetType {
  return t === 0x00 || (t >= 0x81 && t <= 0x84);
}

// Field offsets (struct knet_header, packed).
export const VERSION = 0;
export const TYPE = 1;
export const NODE = 2;
export const PAD1 = 4;
export const PAD2 = 5;
/** KNET_HEADER_SIZE: the common part before the payload union. */
export const KNET_HEADER_SIZE = 6;
/** KNET_HEADER_ALL_SIZE = sizeof(struct knet_header): 6 + largest union member (ping, 20). */
export const KNET_HEADER_ALL_SIZE = 26;
/** knet drops anything shorter than KNET_HEADER_SIZE + 1 (threads_rx.c). */
export const KNET_MIN_PACKET = KNET_HEADER_SIZE + 1;
/** KNET_MAX_PACKET_SIZE: largest knet packet (and largest reassembled message). */
export const KNET_MAX_PACKET_SIZE = 65536;

export type KnetErrorCode =
  | 'knet.too_short'
  | 'knet.bad_version'
  | 'knet.bad_type'
  | 'knet.bad_frag'
  | 'knet.frag_too_large';

export interface KnetHeader {
  readonly version: number;
  readonly type: KnetType;
  /** Source host id (knet_node_id_t, u16). */
  readonly node: number;
  /** Reserved bytes, 0 on knet 1.x; kept raw for exact round trips. */
  readonly pad1: number;
  readonly pad2: number;
}

export function checkHeader(b: Uint8Array): WireError<KnetErrorCode> | undefined {
  if (b.length < KNET_MIN_PACKET) {
    return new WireError('knet.too_short', 0, `knet packet of ${b.length} bytes, need at least ${KNET_MIN_PACKET}`);
  }
  return undefined;
}

export function parseHeader(b: Uint8Array): Decoded<KnetHeader, KnetErrorCode> {
  const short = checkHeader(b);
  if (short) return short;
  const version = u8(b, VERSION);
  if (version !== KNET_HEADER_VERSION) {
    return new WireError('knet.bad_version', VERSION, `knet header version ${version}, only 1 is known`);
  }
  const type = u8(b, TYPE);
  if (!isKnetType(type)) {
    return new WireError('knet.bad_type', TYPE, `unknown knet packet type 0x${type.toString(16).padStart(2, '0')}`);
  }
  return { version, type, node: u16(b, NODE, false), pad1: u8(b, PAD1), pad2: u8(b, PAD2) };
}

export function emitHeader(h: KnetHeader, b: Uint8Array): void {
  putU8(b, VERSION, h.version);
  putU8(b, TYPE, h.type);
  putU16(b, NODE, h.node, false);
  putU8(b, PAD1, h.pad1);
  putU8(b, PAD2, h.pad2);
}

/**
 * A strict "is this a cleartext knet packet" test, used to tell plaintext from ciphertext without
 * a key: version, type, zero pad bytes and the type's exact or minimum length must all hold
 * (random salt bytes pass it with probability ~1e-9).
 */
export function looksLikePlainKnet(b: Uint8Array): boolean {
  if (b.length < KNET_MIN_PACKET || b[VERSION] !== KNET_HEADER_VERSION || b[PAD1] !== 0 || b[PAD2] !== 0) return false;
  const t = b[TYPE]!;
  switch (t) {
    case KnetType.DATA:
      return b.length > 14;
    case KnetType.PING:
    case KnetType.PONG:
      return b.length === 26;
    case KnetType.PMTUD:
      return b.length >= 9;
    case KnetType.PMTUD_REPLY:
      return b.length === 9;
    default:
      return false;
  }
}
