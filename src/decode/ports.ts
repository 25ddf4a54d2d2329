/**
 * Which UDP traffic is corosync's, and which transport carries it (wire-format.md §2.1, §2.2).
 *
 * - udp (multicast): every packet leaves the send socket bound to mcastport − 1: 5404 → 5405.
 * - udpu: tokens 5405 → 5405 from the token socket; "multicasts" from an ephemeral port → 5405.
 * - knet: link N uses port 5405 + N on both sides; the payload starts with the knet header
 *   (version 1), or is encrypted (then only the symmetric ports say it is knet).
 */
import { TRANSPORT_KNET, TRANSPORT_UDP, TRANSPORT_UDPU, TRANSPORT_UNKNOWN, TRANSPORTS, type Transport, type TransportCode } from './types.ts';

export interface PortRange {
  readonly min: number;
  readonly max: number;
}

/** 5404 (udp send socket) to 5405 + 7 (knet links 0..7). */
export const DEFAULT_COROSYNC_PORTS: PortRange = { min: 5404, max: 5412 };

export function parsePortRange(spec: string): PortRange {
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(spec.trim());
  if (m === null) throw new Error(`bad port range '${spec}' (expected PORT or MIN-MAX)`);
  const min = Number(m[1]);
  const max = m[2] === undefined ? min : Number(m[2]);
  if (min < 1 || max > 65535 || min > max) throw new Error(`bad port range '${spec}'`);
  return { min, max };
}

export function isCorosyncPort(ports: PortRange, srcPort: number, dstPort: number): boolean {
  return (dstPort >= ports.min && dstPort <= ports.max) || (srcPort >= ports.min && srcPort <= ports.max);
}

const TOTEM_MAGIC_LE_0 = 0x70;
const TOTEM_MAGIC_LE_1 = 0xc0;

/** True when the payload starts with the v3 totem magic in either byte order. */
export function hasTotemMagic(p: Uint8Array): boolean {
  return hasTotemMagicAt(p, 0, p.length);
}

/** hasTotemMagic of the payload b[start, end). */
function hasTotemMagicAt(b: Uint8Array, start: number, end: number): boolean {
  if (end - start < 2) return false;
  const b0 = b[start]!;
  const b1 = b[start + 1]!;
  return (b0 === TOTEM_MAGIC_LE_0 && b1 === TOTEM_MAGIC_LE_1) || (b0 === TOTEM_MAGIC_LE_1 && b1 === TOTEM_MAGIC_LE_0);
}

/** Transport of one corosync datagram, from its ports and first bytes. */
export function classifyTransport(payload: Uint8Array, srcPort: number, dstPort: number): Transport {
  return classifyTransportAt(payload, 0, payload.length, srcPort, dstPort);
}

/** classifyTransport of the payload b[start, end). */
export function classifyTransportAt(b: Uint8Array, start: number, end: number, srcPort: number, dstPort: number): Transport {
  return TRANSPORTS[transportCodeAt(b, start, end, srcPort, dstPort)];
}

/** classifyTransportAt as a number (TRANSPORTS index): what the pipeline counts by. */
export function transportCodeAt(b: Uint8Array, start: number, end: number, srcPort: number, dstPort: number): TransportCode {
  if (hasTotemMagicAt(b, start, end)) return srcPort === dstPort - 1 ? TRANSPORT_UDP : TRANSPORT_UDPU;
  if (srcPort === dstPort) return TRANSPORT_KNET;
  return TRANSPORT_UNKNOWN;
}
