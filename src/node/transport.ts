/**
 * The seam between `totemscope node` (driver.ts: engine, services, timers) and the wire: a
 * transport carries whole totemsrp messages. udpu (udpuTransport.ts, wire-format.md §2.2) sends
 * them bare; knet (knetTransport.ts, §2.1 and §7) wraps, fragments, encrypts and keeps links up.
 */
import type { EffectiveTotem, NodeDirectory } from '../config/index.ts';
import { KnetTransport } from './knetTransport.ts';
import { UdpuTransport } from './udpuTransport.ts';

export interface NodeTransport {
  /** Binds sockets and starts whatever the transport runs by itself (knet heartbeats). */
  start(receive: (message: Uint8Array) => void): Promise<void>;
  /** One line for the log once started, in corosync's words where it has some. */
  readonly description: string;
  /**
   * Sends one totemsrp message to a member, or to every member (this node included) for
   * 'multicast'. Returns the number of datagrams handed to the socket.
   */
  send(to: number | 'multicast', message: Uint8Array): number;
  /** Lets queued datagrams (the leave message) reach the wire, then closes. */
  close(): Promise<void>;
}

export interface TransportOptions {
  readonly nodeid: number;
  readonly totem: EffectiveTotem;
  readonly nodes: NodeDirectory;
  /** The cluster authkey (knet crypto only). Never logged. */
  readonly authkey?: Uint8Array;
  readonly log: (level: string, text: string) => void;
  /** A datagram could not be sent (counted by the driver). */
  readonly onSendError: (to: number | 'multicast', e: Error) => void;
}

/** The transport corosync.conf asks for (totem.transport; corosync 3 defaults to knet). */
export function createTransport(opts: TransportOptions): NodeTransport {
  switch (opts.totem.transport) {
    case 'udpu':
      return new UdpuTransport(opts);
    case 'knet':
      return new KnetTransport(opts);
    default:
      throw new Error(`transport ${opts.totem.transport} is not supported (udpu and knet are)`);
  }
}
