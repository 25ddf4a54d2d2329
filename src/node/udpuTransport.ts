/**
 * corosync 3.x udpu (wire-format.md §2.2): the token socket bound to ring0_addr:port receives
 * everything and sends tokens; "multicasts" go as one unicast per nodelist member (this node
 * included) from an ephemeral-port socket. Messages are bare totemsrp bytes.
 */
import dgram from 'node:dgram';
import { membersForMulticast, ring0Address } from './members.ts';
import type { NodeTransport, TransportOptions } from './transport.ts';

export class UdpuTransport implements NodeTransport {
  private readonly addr: string;
  private readonly port: number;
  private readonly peers: { nodeid: number; addr: string; sock: dgram.Socket }[];
  private readonly tokenSock = dgram.createSocket({ type: 'udp4' });

  constructor(private readonly opts: TransportOptions) {
    this.addr = ring0Address(opts.nodeid, opts.nodes);
    this.port = opts.totem.links[0]?.port ?? 5405;
    this.peers = membersForMulticast(opts.nodes).map((m) => ({ ...m, sock: dgram.createSocket({ type: 'udp4' }) }));
  }

  get description(): string {
    return `Initializing transport (UDP/IP Unicast). Bound to ${this.addr}:${this.port}, nodeid ${this.opts.nodeid}.`;
  }

  async start(receive: (message: Uint8Array) => void): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.tokenSock.once('error', reject);
      this.tokenSock.bind({ address: this.addr, port: this.port, exclusive: true }, () => {
        this.tokenSock.off('error', reject);
        resolve();
      });
    });
    // One sending socket per member, bound to an ephemeral port and connected (totemudpu_create_sending_socket):
    // a connected send skips the address lookup, so a multicast leaves as back-to-back unicasts. That
    // matters for the leave message: a member that gets it after the others already moved to COMMIT
    // ignores it and logs "Failed to receive the leave message".
    for (const p of this.peers) {
      await new Promise<void>((resolve, reject) => {
        p.sock.once('error', reject);
        p.sock.bind({ address: this.addr, port: 0 }, () => {
          p.sock.connect(this.port, p.addr, () => {
            p.sock.off('error', reject);
            resolve();
          });
        });
      });
    }
    const onMessage = (buf: Buffer): void => receive(new Uint8Array(buf.buffer, buf.byteOffset, buf.length));
    this.tokenSock.on('message', onMessage);
    const onErr = (e: NodeJS.ErrnoException): void => {
      // A member that is down answers each unicast of a "multicast" with ICMP port unreachable, which
      // a connected socket reports as ECONNREFUSED on its next receive: expected while it is down,
      // and non-critical for corosync too (totemudpu.c logs failed sends at debug level only).
      if (e.code === 'ECONNREFUSED') return;
      this.opts.log('warning', `socket error: ${e.message}`);
    };
    this.tokenSock.on('error', onErr);
    for (const p of this.peers) {
      p.sock.on('message', onMessage);
      p.sock.on('error', onErr);
    }
  }

  send(to: number | 'multicast', message: Uint8Array): number {
    const cb = (e: Error | null): void => {
      if (e !== null) this.opts.onSendError(to, e);
    };
    if (to === 'multicast') {
      for (const p of this.peers) p.sock.send(message, cb);
      return this.peers.length;
    }
    const peer = this.peers.find((p) => p.nodeid === to);
    if (peer === undefined) return 0;
    this.tokenSock.send(message, this.port, peer.addr, cb);
    return 1;
  }

  async close(): Promise<void> {
    // dgram sends are queued on the socket; closing after a short flush keeps the leave on the wire.
    await new Promise((r) => setTimeout(r, 50));
    this.tokenSock.close();
    for (const p of this.peers) p.sock.close();
  }
}
