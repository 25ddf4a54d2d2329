/**
 * BSD loopback encapsulation: a 4-byte address family, then the IP packet.
 *
 * LINKTYPE_NULL (0): the family in the *capturing host's* byte order; LINKTYPE_LOOP (108, OpenBSD):
 * in network order. Writers disagree in practice, so both are read the same way: a family value
 * is small, so if the top half of the big-endian read is non-zero the word is little-endian.
 * AF_INET is 2 everywhere; AF_INET6 is 10 (Linux), 24 (NetBSD/OpenBSD/BSD/OS), 28 (FreeBSD,
 * DragonFly), 30 (Darwin).
 */
import { defineFields, node, type FieldNode } from '../catalog.ts';
import { putU32, u32 } from '../bytes.ts';
import { WireError, type Decoded } from '../errors.ts';
import { ETHERTYPE_IPV4, ETHERTYPE_IPV6 } from './ethernet.ts';

export const LINKTYPE_NULL = 0;
export const LINKTYPE_LOOP = 108;
export const NULL_FAMILY = 0;
export const NULL_HEADER_LEN = 4;

export const BSD_AF_INET = 2;
export const BSD_AF_INET6_VALUES: readonly number[] = [10, 24, 28, 30];

export const NULL_FAMILY_NAMES: Readonly<Record<number, string>> = {
  2: 'IP',
  10: 'IPv6 (Linux)',
  24: 'IPv6 (NetBSD/OpenBSD)',
  28: 'IPv6 (FreeBSD)',
  30: 'IPv6 (Darwin)',
};

export type NullErrorCode = 'null.truncated';

export interface NullHeader {
  /** The family value after byte-order detection. */
  readonly family: number;
  readonly littleEndian: boolean;
}

export function nullFamily(b: Uint8Array): { family: number; littleEndian: boolean } {
  const be = u32(b, NULL_FAMILY, false);
  return be > 0xffff ? { family: u32(b, NULL_FAMILY, true), littleEndian: true } : { family: be, littleEndian: false };
}

export function familyToEtherType(family: number): number {
  if (family === BSD_AF_INET) return ETHERTYPE_IPV4;
  return family === 10 || family === 24 || family === 28 || family === 30 ? ETHERTYPE_IPV6 : -1;
}

export function nullPayload(b: Uint8Array, start: number, end: number, out: { etherType: number; offset: number }): WireError<NullErrorCode> | undefined {
  if (end - start < NULL_HEADER_LEN) return new WireError('null.truncated', start, `loopback header needs ${NULL_HEADER_LEN} bytes, frame has ${end - start}`);
  const be = u32(b, start + NULL_FAMILY, false);
  out.etherType = familyToEtherType(be > 0xffff ? u32(b, start + NULL_FAMILY, true) : be);
  out.offset = start + NULL_HEADER_LEN;
  return undefined;
}

export function parseNull(b: Uint8Array): Decoded<NullHeader, NullErrorCode> {
  if (b.length < NULL_HEADER_LEN) return new WireError('null.truncated', 0, `loopback header needs ${NULL_HEADER_LEN} bytes, frame has ${b.length}`);
  return nullFamily(b);
}

export function emitNull(h: NullHeader, b: Uint8Array): number {
  putU32(b, NULL_FAMILY, h.family, h.littleEndian);
  return NULL_HEADER_LEN;
}

export const NULL_FIELDS = defineFields('null', {
  '': { type: 'none', label: 'Null/Loopback', description: 'BSD loopback encapsulation (LINKTYPE_NULL / LINKTYPE_LOOP).' },
  family: { type: 'u32', label: 'Family', values: NULL_FAMILY_NAMES, description: 'Address family of the payload, read in whichever byte order gives a small value.' },
});

export function nullTree(h: NullHeader): FieldNode {
  return node(NULL_FIELDS[''], undefined, [node(NULL_FIELDS.family, h.family)]);
}
