/**
 * v3 `struct totem_message_header` (packed, 13 bytes) — include/corosync/totem/totem.h,
 * wire-format.md §3.1:
 *
 *   off 0  u16 magic          0xC070 in sender order (LE bytes 70 C0); 0x70C0 ⇒ foreign byte order
 *   off 2  u8  version        3
 *   off 3  u8  type           0..5 (enum message_type)
 *   off 4  u8  encapsulated   1/2 on MCAST, 0 elsewhere
 *   off 5  u32 nodeid         sender; 0 on a leave JOIN
 *   off 9  u32 target_nodeid  knet routing only; garbage on udp/udpu (§2.2), never converted by corosync
 *
 * Checks follow corosync 3.1.7 `check_message_header_validity` and `main_deliver_fn` in order:
 * length, magic (with the sender guess corosync logs), version, type.
 */
import { putU16, putU32, putU8, u32 } from '../bytes.ts';
import { WireError } from '../errors.ts';
import type { TotemsrpError } from './codes.ts';
import type { MessageType, TotemHeader } from './types.ts';

export const F = { MAGIC: 0, VERSION: 2, TYPE: 3, ENCAPSULATED: 4, NODEID: 5, TARGET_NODEID: 9 } as const;
export const HEADER_LEN = F.TARGET_NODEID + 4;

export const TOTEM_MH_MAGIC = 0xc070;
export const TOTEM_MH_VERSION = 3;
/** Highest valid message type (TOKEN_HOLD_CANCEL). */
export const MESSAGE_TYPE_MAX = 5;

export type TotemDetection =
  | 'totem-v3'
  | 'totem-v3-foreign-endian'
  | 'corosync-2.3+'
  | 'corosync-2.2'
  | 'knet-clear'
  | 'totem-v1-v2'
  | 'unknown';

/**
 * What sent these bytes, from the first bytes only; cheap and never throws. Mirrors the guess
 * corosync logs for a bad magic (exec/totemsrp.c `check_message_header_validity`, wire-format.md
 * §2.3 last bullet), with one refinement: a v1/v2 header (type 0..5, endian detector 0xFF22 at
 * bytes 2..3) is recognised before the "first byte 1 ⇒ knet" rule, which would misread a v1/v2 MCAST.
 */
export function detectTotem(b: Uint8Array): TotemDetection {
  if (b.length < 2) return 'unknown';
  const b0 = b[0]!;
  const b1 = b[1]!;
  if (b0 === 0x70 && b1 === 0xc0) return 'totem-v3';
  if (b0 === 0xc0 && b1 === 0x70) return 'totem-v3-foreign-endian';
  if (b0 === 0xfe && b1 === 0xfe) return 'corosync-2.3+';
  if (b0 === 0xff && b1 === 0xff) return 'corosync-2.2';
  if (b0 <= 5 && b.length >= 4) {
    const d0 = b[2]!;
    const d1 = b[3]!;
    if ((d0 === 0x22 && d1 === 0xff) || (d0 === 0xff && d1 === 0x22)) return 'totem-v1-v2';
  }
  if (b0 === 0x01) return 'knet-clear';
  if (b0 <= 5) return 'totem-v1-v2';
  return 'unknown';
}

const SENDER_GUESS: Readonly<Record<TotemDetection, string>> = {
  'totem-v3': 'Totem v3',
  'totem-v3-foreign-endian': 'Totem v3',
  'corosync-2.3+': 'corosync 2.3+ crypto header',
  'corosync-2.2': 'corosync 2.2 crypto header',
  'knet-clear': 'unencrypted knet',
  'totem-v1-v2': 'unencrypted corosync 2.0/2.1/1.x/OpenAIS',
  unknown: 'encrypted knet/corosync 2.0/2.1/1.x/OpenAIS, or not corosync',
};

/** Human guess for a detection result, as used in `totemsrp.bad_magic` messages. */
export function senderGuess(d: TotemDetection): string {
  return SENDER_GUESS[d];
}

/**
 * Validates and reads the header. On success every later check may rely on `b.length >= 13`,
 * a known type and the byte order in `littleEndian`.
 */
export function parseHeader(b: Uint8Array): TotemHeader | TotemsrpError {
  const c = checkHeader(b);
  if (typeof c !== 'number') return c;
  const le = (c & HEADER_BIG_ENDIAN) === 0;
  return {
    littleEndian: le,
    version: b[F.VERSION]!,
    type: (c & HEADER_TYPE_MASK) as MessageType,
    encapsulated: b[F.ENCAPSULATED]!,
    nodeid: u32(b, F.NODEID, le),
    targetNodeid: u32(b, F.TARGET_NODEID, le),
  };
}

/** checkHeader's result: the message type in the low bits, this flag for a big-endian sender. */
export const HEADER_BIG_ENDIAN = 0x100;
export const HEADER_TYPE_MASK = 0xff;

/**
 * parseHeader's checks on the message at b[base, base + len), without making a value (the
 * counting path, src/decode/pipeline.ts): the type | HEADER_BIG_ENDIAN, or the same error.
 */
export function checkHeader(b: Uint8Array, base = 0, len = b.length - base): number | TotemsrpError {
  if (len < HEADER_LEN) {
    return new WireError('totemsrp.too_short', 0, `message of ${len} bytes is shorter than the ${HEADER_LEN}-byte totem header`);
  }
  const b0 = b[base]!;
  const b1 = b[base + 1]!;
  let big: number;
  if (b0 === 0x70 && b1 === 0xc0) big = 0;
  else if (b0 === 0xc0 && b1 === 0x70) big = HEADER_BIG_ENDIAN;
  else return badMagic(b.subarray(base, base + len));
  const version = b[base + F.VERSION]!;
  if (version !== TOTEM_MH_VERSION) {
    return new WireError('totemsrp.bad_version', F.VERSION, `unsupported totem header version ${version} (only ${TOTEM_MH_VERSION} is known)`);
  }
  const type = b[base + F.TYPE]!;
  if (type > MESSAGE_TYPE_MAX) {
    return new WireError('totemsrp.bad_type', F.TYPE, `unknown message type ${type} (0..${MESSAGE_TYPE_MAX} are valid)`);
  }
  return type | big;
}

function badMagic(b: Uint8Array): TotemsrpError {
  const magic = (b[0]! << 8) | b[1]!;
  const hex = magic.toString(16).padStart(4, '0');
  return new WireError('totemsrp.bad_magic', F.MAGIC, `bad magic bytes ${hex}: not Totem v3; looks like ${senderGuess(detectTotem(b))}`);
}

/**
 * Writes the header with `type` (the message kind decides it, so a value can never be emitted
 * under another type's layout). `version` and `encapsulated` are written raw.
 */
export function emitHeader(h: TotemHeader, type: MessageType, out: Uint8Array, o: number): number {
  const le = h.littleEndian;
  putU16(out, o + F.MAGIC, TOTEM_MH_MAGIC, le);
  putU8(out, o + F.VERSION, h.version);
  putU8(out, o + F.TYPE, type);
  putU8(out, o + F.ENCAPSULATED, h.encapsulated);
  putU32(out, o + F.NODEID, h.nodeid, le);
  putU32(out, o + F.TARGET_NODEID, h.targetNodeid, le);
  return o + HEADER_LEN;
}
