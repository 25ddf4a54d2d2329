/**
 * knet PMTUD probe / PMTUD_REPLY — wire-format.md §7.4 (KN libknet/onwire.h
 * `knet_header_payload_pmtud`, threads_pmtud.c).
 *
 * `size` is in the sender's host order (little-endian on x86_64): the on-wire IP packet length the
 * probe tests. A probe is padded to that size; a reply is header + link + size (9 bytes).
 */
import { putU16, putU8, u16, u8 } from '../bytes.ts';
import { WireError, type Decoded } from '../errors.ts';
import { emitHeader, KnetType, parseHeader, type KnetErrorCode, type KnetHeader } from './header.ts';

export const PMTUD_LINK = 6;
export const PMTUD_SIZE = 7; // u16, sender host order (LE)
/** KNET_HEADER_PMTUD_SIZE: header + link + size. */
export const KNET_HEADER_PMTUD_SIZE = 9;

export interface KnetPmtud {
  /** type is PMTUD or PMTUD_REPLY. */
  readonly header: KnetHeader;
  readonly link: number;
  /** Tested on-wire IP packet size. */
  readonly size: number;
  /** Bytes after the 9-byte header part (probe padding); length only, content is meaningless. */
  readonly paddingLength: number;
}

export function parsePmtud(b: Uint8Array): Decoded<KnetPmtud, KnetErrorCode> {
  const header = parseHeader(b);
  if (header instanceof WireError) return header;
  if (header.type !== KnetType.PMTUD && header.type !== KnetType.PMTUD_REPLY) {
    return new WireError('knet.bad_type', 1, `expected PMTUD or PMTUD_REPLY, got type 0x${header.type.toString(16)}`);
  }
  if (b.length < KNET_HEADER_PMTUD_SIZE) {
    return new WireError('knet.too_short', 0, `knet PMTUD packet of ${b.length} bytes, need ${KNET_HEADER_PMTUD_SIZE}`);
  }
  return {
    header,
    link: u8(b, PMTUD_LINK),
    size: u16(b, PMTUD_SIZE, true),
    paddingLength: b.length - KNET_HEADER_PMTUD_SIZE,
  };
}

/** Emits the packet with `paddingLength` zero bytes of padding (zeros, as observed on the wire). */
export function emitPmtud(p: KnetPmtud): Uint8Array {
  const b = new Uint8Array(KNET_HEADER_PMTUD_SIZE + p.paddingLength);
  emitHeader(p.header, b);
  putU8(b, PMTUD_LINK, p.link);
  putU16(b, PMTUD_SIZE, p.size, true);
  return b;
}
