/**
 * What the frame pipeline produces: one `DecodedFrame` per capture record, whatever happened to it.
 * Nothing is lost silently: a frame is either decoded to a Totem message, held (IP or knet fragment,
 * reported when its message completes or never does), ignored for a stated reason (not UDP, not a
 * corosync port), or failed with a `WireError`.
 *
 * Analysis, metrics and the TUI consume this type; files and live sources produce it through the
 * same `FramePipeline`.
 */
import type { CaptureRecord } from '../../dissectors/capture/reader.ts';
import type { WireError } from '../../dissectors/errors.ts';
import type { UdpDatagram } from '../../dissectors/net.ts';
import type { KnetResult } from '../../dissectors/knet/index.ts';
import type { TotemMessage } from '../../dissectors/totemsrp/types.ts';

export type Transport = 'udp' | 'udpu' | 'knet' | 'unknown';

/** Transports by number (the hot path counts by number; `TRANSPORTS[code]` is the name). */
export const TRANSPORTS = ['udp', 'udpu', 'knet', 'unknown'] as const satisfies readonly Transport[];
export type TransportCode = 0 | 1 | 2 | 3;
export const TRANSPORT_UDP = 0;
export const TRANSPORT_UDPU = 1;
export const TRANSPORT_KNET = 2;
export const TRANSPORT_UNKNOWN = 3;

export interface FrameEndpoints {
  readonly ipVersion: 4 | 6;
  /** Printable addresses (`192.0.2.1`, RFC 5952 IPv6). */
  readonly src: string;
  readonly dst: string;
  readonly srcPort: number;
  readonly dstPort: number;
}

export type FrameStatus =
  /** A totemsrp message was decoded (`totem` set). */
  | 'totem'
  /** A knet control packet (ping/pong/pmtud) or a knet data packet not carrying totem (other channel). */
  | 'knet-control'
  /** Held for reassembly (IP fragment or knet fragment); the frame that completes it carries the message. */
  | 'fragment'
  /** A copy of a message already seen (knet: the same sender seq on another link). */
  | 'duplicate'
  /** Not ours: not IP/UDP or not a corosync port. `ignoredReason` says which. */
  | 'ignored'
  /** Malformed or undecodable: `error` says why and where. */
  | 'error';

export interface DecodedFrame {
  /** 1-based frame number in the capture (across files when several are merged). */
  readonly number: number;
  readonly tsSec: number;
  readonly tsNsec: number;
  readonly capLen: number;
  readonly origLen: number;
  readonly linkType: number;
  /** Captured bytes; only valid while the frame callback runs (copy to keep). */
  readonly data: Uint8Array;
  readonly status: FrameStatus;
  readonly endpoints?: FrameEndpoints | undefined;
  readonly transport?: Transport | undefined;
  readonly totem?: TotemMessage | undefined;
  readonly error?: WireError | undefined;
  readonly ignoredReason?: string | undefined;
  /** The capture record (views valid only while the frame callback runs). */
  readonly record?: CaptureRecord | undefined;
  /** The UDP datagram, when the frame carried (or completed) one. */
  readonly udp?: UdpDatagram | undefined;
  /** The knet layer's view of the datagram (transport knet). */
  readonly knet?: KnetResult | undefined;
}
