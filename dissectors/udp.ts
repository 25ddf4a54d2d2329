/**
 * UDP header (RFC 768): 0 src port | 2 dst port | 4 length | 6 checksum | 8 payload.
 *
 * The length field is checked against the IP payload: a shorter UDP length is honoured (the rest
 * is IP-level padding), a longer one is `udp.length_overrun`. The checksum is shown, not verified.
 */
import { defineFields, node, type FieldNode } from './catalog.ts';
import { putU16, u16 } from './bytes.ts';
import { WireError, type Decoded } from './errors.ts';

export const UDP_SRC_PORT = 0;
export const UDP_DST_PORT = 2;
export const UDP_LENGTH = 4;
export const UDP_CHECKSUM = 6;
export const UDP_HEADER_LEN = 8;

export type UdpErrorCode = 'udp.truncated' | 'udp.bad_length' | 'udp.length_overrun';

/** Checks the UDP header at b[off] within b[off, end); returns the UDP length or an error. */
export function udpCheck(b: Uint8Array, off: number, end: number): number | WireError<UdpErrorCode> {
  const avail = end - off;
  if (avail < UDP_HEADER_LEN) return new WireError('udp.truncated', off, `UDP header needs ${UDP_HEADER_LEN} bytes, IP payload has ${avail}`);
  const len = u16(b, off + UDP_LENGTH, false);
  if (len < UDP_HEADER_LEN) return new WireError('udp.bad_length', off + UDP_LENGTH, `UDP length ${len} is less than the 8-byte header`);
  if (len > avail) return new WireError('udp.length_overrun', off + UDP_LENGTH, `UDP length ${len} but the IP payload has ${avail} bytes`);
  return len;
}

export interface UdpHeader {
  readonly srcPort: number;
  readonly dstPort: number;
  readonly length: number;
  readonly checksum: number;
}

export function parseUdp(b: Uint8Array): Decoded<UdpHeader, UdpErrorCode> {
  const len = udpCheck(b, 0, b.length);
  if (len instanceof WireError) return len;
  return { srcPort: u16(b, UDP_SRC_PORT, false), dstPort: u16(b, UDP_DST_PORT, false), length: len, checksum: u16(b, UDP_CHECKSUM, false) };
}

/** Writes the header at b[off] (checksum as given, 0 = none for IPv4); returns 8. */
export function emitUdp(h: UdpHeader, b: Uint8Array, off = 0): number {
  putU16(b, off + UDP_SRC_PORT, h.srcPort, false);
  putU16(b, off + UDP_DST_PORT, h.dstPort, false);
  putU16(b, off + UDP_LENGTH, h.length, false);
  putU16(b, off + UDP_CHECKSUM, h.checksum, false);
  return UDP_HEADER_LEN;
}

export const UDP_FIELDS = defineFields('udp', {
  '': { type: 'none', label: 'User Datagram Protocol', description: 'UDP header (RFC 768).' },
  srcport: { type: 'u16', label: 'Source port', description: 'Source port.' },
  dstport: { type: 'u16', label: 'Destination port', description: 'Destination port.' },
  length: { type: 'u16', label: 'Length', description: 'UDP header plus payload length, as sent.' },
  checksum: { type: 'u16', label: 'Checksum', hex: true, description: 'Checksum as sent (not verified; 0 = none over IPv4).' },
  'payload.length': { type: 'u16', label: 'Payload length', description: 'Bytes of UDP payload (length - 8).' },
});

export function udpTree(h: UdpHeader): FieldNode {
  return node(UDP_FIELDS[''], undefined, [
    node(UDP_FIELDS.srcport, h.srcPort),
    node(UDP_FIELDS.dstport, h.dstPort),
    node(UDP_FIELDS.length, h.length),
    node(UDP_FIELDS.checksum, h.checksum),
    node(UDP_FIELDS['payload.length'], h.length - UDP_HEADER_LEN),
  ]);
}
