/**
 * knet DATA packet: common header + 8-byte data header + user data — wire-format.md §7.2
 * (KN libknet/onwire.h `knet_header_payload_data`, threads_tx.c `_parse_recv_from_sock`).
 */
import { putU16, putU8, u16, u8 } from '../bytes.ts';
import { WireError, type Decoded } from '../errors.ts';
import { emitHeader, KnetType, parseHeader, type KnetErrorCode, type KnetHeader } from './header.ts';

// Offsets from the start of the knet packet.
export const SEQ_NUM = 6; // u16 big-endian
export const COMPRESS = 8;
export const DATA_PAD1 = 9;
export const BCAST = 10;
export const FRAG_NUM = 11;
export const FRAG_SEQ = 12;
export const CHANNEL = 13; // int8
/** KNET_HEADER_DATA_SIZE: where user data starts. */
export const KNET_HEADER_DATA_SIZE = 14;
/** PCKT_FRAG_MAX: frag_num is a u8. */
export const KNET_FRAG_MAX = 255;

export interface KnetData {
  readonly header: KnetHeader;
  /** Per-sender, handle-wide counter; the same for every copy of a broadcast and every fragment. */
  readonly seqNum: number;
  /** 0 = not compressed, else the sender's compression model id (1..7). */
  readonly compress: number;
  readonly pad1: number;
  /** 1 broadcast, 0 unicast. */
  readonly bcast: number;
  /** Total fragments; 0 or 1 = not fragmented. */
  readonly fragNum: number;
  /** 0 when not fragmented, 1..fragNum for fragments. */
  readonly fragSeq: number;
  /** int8: corosync totem uses 0, nozzle 1. */
  readonly channel: number;
  /** The user data (a totemsrp message, one fragment of one, or compressed bytes). A view, not a copy. */
  readonly userData: Uint8Array;
}

export function isFragmented(d: Pick<KnetData, 'fragNum'>): boolean {
  return d.fragNum > 1;
}

export function parseData(b: Uint8Array): Decoded<KnetData, KnetErrorCode> {
  const header = parseHeader(b);
  if (header instanceof WireError) return header;
  if (header.type !== KnetType.DATA) {
    return new WireError('knet.bad_type', 1, `expected a DATA packet, got type 0x${header.type.toString(16)}`);
  }
  if (b.length < KNET_HEADER_DATA_SIZE) {
    return new WireError('knet.too_short', 0, `knet DATA packet of ${b.length} bytes, header needs ${KNET_HEADER_DATA_SIZE}`);
  }
  const fragNum = u8(b, FRAG_NUM);
  const fragSeq = u8(b, FRAG_SEQ);
  // knet itself would write a fragment at offset (frag_seq - 1) * size: 0 or > frag_num is corrupt.
  if (fragNum > 1 && (fragSeq === 0 || fragSeq > fragNum)) {
    return new WireError('knet.bad_frag', FRAG_SEQ, `fragment ${fragSeq} of ${fragNum} is out of range`);
  }
  const channel = u8(b, CHANNEL);
  return {
    header,
    seqNum: u16(b, SEQ_NUM, false),
    compress: u8(b, COMPRESS),
    pad1: u8(b, DATA_PAD1),
    bcast: u8(b, BCAST),
    fragNum,
    fragSeq,
    channel: channel > 127 ? channel - 256 : channel,
    userData: b.subarray(KNET_HEADER_DATA_SIZE),
  };
}

export function emitData(d: KnetData): Uint8Array {
  const b = new Uint8Array(KNET_HEADER_DATA_SIZE + d.userData.length);
  emitHeader(d.header, b);
  putU16(b, SEQ_NUM, d.seqNum, false);
  putU8(b, COMPRESS, d.compress);
  putU8(b, DATA_PAD1, d.pad1);
  putU8(b, BCAST, d.bcast);
  putU8(b, FRAG_NUM, d.fragNum);
  putU8(b, FRAG_SEQ, d.fragSeq);
  putU8(b, CHANNEL, d.channel);
  b.set(d.userData, KNET_HEADER_DATA_SIZE);
  return b;
}
