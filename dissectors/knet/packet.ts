/**
 * Any cleartext knet packet, dispatched on `kh_type` — wire-format.md §7.
 */
import { WireError, type Decoded } from '../errors.ts';
import { parseData, type KnetData } from './data.ts';
import { KnetType, parseHeader, type KnetErrorCode } from './header.ts';
import { parsePing, type KnetPing } from './ping.ts';
import { parsePmtud, type KnetPmtud } from './pmtud.ts';

export type KnetPacket =
  | { readonly kind: 'data'; readonly data: KnetData }
  | { readonly kind: 'ping' | 'pong'; readonly ping: KnetPing }
  | { readonly kind: 'pmtud' | 'pmtud_reply'; readonly pmtud: KnetPmtud };

export type KnetPacketKind = KnetPacket['kind'];

export function parseKnetPacket(b: Uint8Array): Decoded<KnetPacket, KnetErrorCode> {
  const header = parseHeader(b);
  if (header instanceof WireError) return header;
  switch (header.type) {
    case KnetType.DATA: {
      const data = parseData(b);
      return data instanceof WireError ? data : { kind: 'data', data };
    }
    case KnetType.PING:
    case KnetType.PONG: {
      const ping = parsePing(b);
      if (ping instanceof WireError) return ping;
      return { kind: header.type === KnetType.PING ? 'ping' : 'pong', ping };
    }
    case KnetType.PMTUD:
    case KnetType.PMTUD_REPLY: {
      const pmtud = parsePmtud(b);
      if (pmtud instanceof WireError) return pmtud;
      return { kind: header.type === KnetType.PMTUD ? 'pmtud' : 'pmtud_reply', pmtud };
    }
  }
}

/** Source node of any knet packet. */
export function packetNode(p: KnetPacket): number {
  switch (p.kind) {
    case 'data':
      return p.data.header.node;
    case 'ping':
    case 'pong':
      return p.ping.header.node;
    default:
      return p.pmtud.header.node;
  }
}
