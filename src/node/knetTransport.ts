/**
 * corosync 3.x knet transport for `totemscope node` (wire-format.md §2.1, §7): what libknet 1.25
 * does for corosync, so that the corosync nodes' knet accepts this node as one of its hosts.
 *
 * - One UDP socket per link, bound to ringN_addr:port (5405 + N). knet finds the link of a DATA
 *   packet by its source address *and port*, so everything for link N leaves from its socket.
 *   Data goes on the links link_mode picks among those up (passive: highest priority, active:
 *   all, rr: in turn); control packets on the link they are about.
 * - Heartbeat (KN threads_heartbeat.c): a timed PING to every host each knet_ping_interval,
 *   carrying the current tx seq (0 until the first data packet); at start also two untimed
 *   PINGs, so receivers that knew an earlier run of this node reset its seq window. PONGs mark
 *   our side of the link up after knet_pong_count of them, and down after knet_ping_timeout
 *   without one. Every PING is answered with a PONG (same bytes, our node id),
 *   every PMTUD probe with a 9-byte PMTUD_REPLY echoing its size: the peers only take a host as
 *   reachable, and accept its data, once their link to it is up and has a valid MTU.
 * - Data (KN threads_tx.c): totemsrp messages on channel 0 with a handle-wide seq (never 0), cut
 *   into fragments of the data MTU (frag_num/frag_seq 1..n; 0/1 when whole), every copy of a
 *   broadcast and every fragment carrying the same seq; an untimed PING to every host every
 *   8191 seqs. Unicast (tokens) sets totem `target_nodeid` to the destination, multicast sets it
 *   to 0 and goes to every host (corosync's dst_host_filter_callback_fn reads that field on both
 *   sides). Our own multicasts and unicasts to ourselves come back through a loopback, as knet's
 *   loopback link does.
 * - Receive: KnetDecoder (crypto → header → reassembly → decompression) per source host, then
 *   knet's own duplicate filter (knetSeq.ts), which also resets when the link goes down.
 * - Crypto: with crypto_cipher/crypto_hash configured every packet is sealed (seal.ts) and only
 *   authenticated packets are accepted (corosync sets KNET_CRYPTO_RX_DISALLOW_CLEAR_TRAFFIC).
 */
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { putU32 } from '../../dissectors/bytes.ts';
import { isKnetCipher, isKnetHash, type KnetCipher, type KnetHash } from '../../dissectors/knet/crypto.ts';
import { emitData, KNET_FRAG_MAX } from '../../dissectors/knet/data.ts';
import { KnetDecoder } from '../../dissectors/knet/decoder.ts';
import { KNET_HEADER_VERSION, KnetType, type KnetHeader } from '../../dissectors/knet/header.ts';
import { emitPing, type KnetPing } from '../../dissectors/knet/ping.ts';
import { emitPmtud } from '../../dissectors/knet/pmtud.ts';
import { knetDataMtu, KnetSealer } from '../../dissectors/knet/seal.ts';
import { KnetSeqFilter, KNET_SEQ_MAX } from './knetSeq.ts';
import { membersForMulticast, ring0Address } from './members.ts';
import type { NodeTransport, TransportOptions } from './transport.ts';

/** corosync's totem data channel (CS3 exec/totemknet.c). */
const TOTEM_CHANNEL = 0;
/** totem_message_header.target_nodeid (wire-format.md §3.1), sender order (LE here). */
const TARGET_NODEID = 9;
const TOTEM_HEADER_SIZE = 13;
/** A forced (untimed) ping goes to every host every SEQ_MAX / 8 data packets (threads_tx.c). */
const UNTIMED_PING_EVERY = Math.floor(KNET_SEQ_MAX / 8);
/** knet's heartbeat thread wakes every KNET_THREADS_TIMERES (200 ms); a finer tick keeps pings on time. */
const HEARTBEAT_TICK_MS = 50;
/**
 * Path MTU assumed when knet_mtu is not set (no PMTUd of our own): Ethernet's, or the interface's
 * when that is smaller. Bigger (jumbo) interfaces still get 1500: the path may not be.
 */
const DEFAULT_PATH_MTU = 1500;

/** MTU of the interface that holds `addr` (Linux sysfs), or undefined. */
function interfaceMtu(addr: string): number | undefined {
  for (const [name, list] of Object.entries(os.networkInterfaces())) {
    if (!(list ?? []).some((a) => a.address === addr)) continue;
    try {
      const mtu = Number(readFileSync(`/sys/class/net/${name}/mtu`, 'utf8').trim());
      return Number.isInteger(mtu) && mtu > 0 ? mtu : undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

interface KnetLinkState {
  readonly linkId: number;
  /** The peer's address on this link (its ringN_addr). */
  readonly addr: string;
  readonly priority: number;
  up: boolean;
  receivedPongs: number;
  /** Monotonic ms of the last ping sent / good pong received (-1: none yet). */
  pingLast: number;
  pongLast: number;
  /** Running mean latency in ms. */
  latency: number;
  latencySamples: number;
}

interface KnetPeer {
  readonly nodeid: number;
  /** Links this node and the peer both have an address on, by link id. */
  readonly links: KnetLinkState[];
  decoder: KnetDecoder;
  readonly seq: KnetSeqFilter;
  /** rr link policy: the next link to use. */
  rrNext: number;
}

interface LocalLink {
  readonly linkId: number;
  readonly addr: string;
  readonly port: number;
  readonly priority: number;
  readonly sock: dgram.Socket;
}

export interface KnetTransportCounters {
  dataTx: number;
  fragmentsTx: number;
  dataRx: number;
  messagesRx: number;
  pingTx: number;
  pongTx: number;
  pingRx: number;
  pongRx: number;
  pmtudRx: number;
  duplicates: number;
  /** Authentication failures, unknown senders, clear packets under crypto, bad headers. */
  dropped: number;
  /** Unicasts addressed to another node (knet: "Packet is not for us"). */
  notForUs: number;
  /** Received messages that were compressed (knet_compression_model on the sender). */
  decompressed: number;
}

function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

export class KnetTransport implements NodeTransport {
  readonly counters: KnetTransportCounters = {
    dataTx: 0,
    fragmentsTx: 0,
    dataRx: 0,
    messagesRx: 0,
    pingTx: 0,
    pongTx: 0,
    pingRx: 0,
    pongRx: 0,
    pmtudRx: 0,
    duplicates: 0,
    dropped: 0,
    notForUs: 0,
    decompressed: 0,
  };
  readonly dataMtu: number;
  private readonly nodeid: number;
  private readonly local: LocalLink[] = [];
  /** Other hosts, highest nodeid first (see membersForMulticast). */
  private readonly peers: KnetPeer[];
  /** A peer's address on a link → the peer and that link (knet's source-address match). */
  private readonly byAddr = new Map<string, { peer: KnetPeer; link: KnetLinkState }>();
  private readonly sealer: KnetSealer;
  private readonly cipher: KnetCipher;
  private readonly hash: KnetHash;
  private readonly linkMode: 'passive' | 'active' | 'rr';
  private readonly pingInterval: number;
  private readonly pongTimeout: number;
  private readonly pongCount: number;
  private txSeq = 0;
  private heartbeat: NodeJS.Timeout | null = null;
  private receive: ((message: Uint8Array) => void) | null = null;
  private closed = false;

  constructor(private readonly opts: TransportOptions) {
    const t = opts.totem;
    if (opts.nodeid < 1 || opts.nodeid > 0xffff) throw new Error(`knet node ids are 1..65535, not ${opts.nodeid}`);
    this.nodeid = opts.nodeid;
    ring0Address(opts.nodeid, opts.nodes); // throws without one: corosync needs link 0 too
    const cipher = t.crypto.cipher;
    const hash = t.crypto.hash;
    if (!isKnetCipher(cipher) || !isKnetHash(hash)) throw new Error(`knet crypto ${cipher}/${hash} is not supported`);
    this.cipher = cipher;
    this.hash = hash;
    const crypto = cipher !== 'none' || hash !== 'none';
    if (crypto && opts.authkey === undefined) throw new Error(`crypto_cipher ${cipher} / crypto_hash ${hash} needs the cluster authkey (--key FILE)`);
    this.sealer = new KnetSealer({ cipher, hash, ...(crypto && opts.authkey !== undefined ? { key: opts.authkey } : {}) });
    const mine = opts.nodes.addressesOf(opts.nodeid);
    for (const l of t.links) {
      const addr = mine.get(l.linknumber);
      if (addr === undefined) continue;
      this.local.push({ linkId: l.linknumber, addr, port: l.port, priority: l.knetLinkPriority, sock: dgram.createSocket({ type: 'udp4' }) });
    }
    if (this.local.length === 0) throw new Error(`nodeid ${opts.nodeid} has no link address in the nodelist`);
    // knet's heartbeat timers are per link; corosync derives the same values for every link.
    const link0 = t.links[0];
    this.pingInterval = link0?.knetPingInterval ?? 750;
    this.pongTimeout = link0?.knetPingTimeout ?? 1500;
    this.pongCount = link0?.knetPongCount ?? 2;
    this.linkMode = t.linkMode === 'active' || t.linkMode === 'rr' ? t.linkMode : 'passive';
    const pathMtu = t.knetMtu > 0 ? t.knetMtu : Math.min(DEFAULT_PATH_MTU, ...this.local.map((l) => interfaceMtu(l.addr) ?? DEFAULT_PATH_MTU));
    this.dataMtu = knetDataMtu(pathMtu, cipher, hash);
    if (this.dataMtu < 64) throw new Error(`knet_mtu ${pathMtu} leaves no room for data`);
    if (t.knetCompressionModel !== 'none') {
      opts.log('warning', `knet_compression_model ${t.knetCompressionModel}: received messages are decompressed, this node sends uncompressed (knet accepts both)`);
    }
    this.peers = [];
    for (const m of membersForMulticast(opts.nodes)) {
      if (m.nodeid === opts.nodeid) continue;
      if (m.nodeid > 0xffff) throw new Error(`knet node ids are 1..65535, not ${m.nodeid}`);
      const theirs = opts.nodes.addressesOf(m.nodeid);
      const links: KnetLinkState[] = [];
      for (const l of this.local) {
        const addr = theirs.get(l.linkId);
        if (addr === undefined) continue;
        links.push({ linkId: l.linkId, addr, priority: l.priority, up: false, receivedPongs: 0, pingLast: -1, pongLast: -1, latency: 0, latencySamples: 0 });
      }
      const peer: KnetPeer = { nodeid: m.nodeid, links, decoder: this.newDecoder(), seq: new KnetSeqFilter(), rrNext: 0 };
      this.peers.push(peer);
      for (const link of links) this.byAddr.set(link.addr, { peer, link });
    }
  }

  get description(): string {
    const bound = this.local.map((l) => `${l.addr}:${l.port} (link ${l.linkId})`).join(', ');
    return (
      `Initializing transport (Kronosnet). Bound to ${bound}, nodeid ${this.nodeid}; link_mode ${this.linkMode}; ` +
      `crypto ${this.cipher}/${this.hash}; data MTU ${this.dataMtu}; ping every ${this.pingInterval} ms, pong timeout ${this.pongTimeout} ms, pong count ${this.pongCount}.`
    );
  }

  /** Hosts with at least one link up on our side (pongs received). */
  get linksUp(): number[] {
    return this.peers.filter((p) => p.links.some((l) => l.up)).map((p) => p.nodeid);
  }

  /** Link ids up towards one host. */
  linksUpTo(nodeid: number): number[] {
    return this.peers.find((p) => p.nodeid === nodeid)?.links.filter((l) => l.up).map((l) => l.linkId) ?? [];
  }

  private newDecoder(): KnetDecoder {
    const crypto = this.cipher !== 'none' || this.hash !== 'none';
    return new KnetDecoder({
      cipher: this.cipher,
      hash: this.hash,
      ...(crypto && this.opts.authkey !== undefined ? { keys: [this.opts.authkey] } : {}),
      basePort: this.local[0]!.port,
      // Duplicates are knet's business here (knetSeq.ts): the decoder's capture-time window is off.
      duplicateWindowNs: -1n,
    });
  }

  async start(receive: (message: Uint8Array) => void): Promise<void> {
    this.receive = receive;
    for (const l of this.local) {
      await new Promise<void>((resolve, reject) => {
        l.sock.once('error', reject);
        l.sock.bind({ address: l.addr, port: l.port, exclusive: true }, () => {
          l.sock.off('error', reject);
          resolve();
        });
      });
      l.sock.on('message', (buf, rinfo) => this.onDatagram(l, buf, rinfo));
      l.sock.on('error', (e) => this.opts.log('warning', `socket error on link ${l.linkId}: ${e.message}`));
    }
    // A fresh sender numbers its data from seq 1 again, which receivers that knew an earlier run
    // of this node would take for duplicates. knet's own cure is the first timed ping carrying
    // seq 0, which works only if the receiver saw a ping of the old run with another seq. Two
    // untimed pings with different seqs and no data in between always make knet wipe this host's
    // buffers (threads_rx.c PING case); 0xffff is never a real untimed ping's seq (those are
    // multiples of 8191), and the second leaves the receiver's window at 0 like a fresh host.
    this.sendPings(true);
    this.sendPings(false, 0xffff);
    this.sendPings(false, 0);
    this.heartbeat = setInterval(() => this.onHeartbeat(), HEARTBEAT_TICK_MS);
  }

  /** One line of knet figures (logged on close). */
  statsText(): string {
    const c = this.counters;
    const links = this.peers.map((p) => `${p.nodeid}:${p.links.filter((l) => l.up).map((l) => l.linkId).join('+') || '-'}`).join(' ');
    return (
      `[KNET  ] stats: data tx ${c.dataTx} (fragments ${c.fragmentsTx}) rx ${c.dataRx} messages ${c.messagesRx} decompressed ${c.decompressed}; ` +
      `ping tx ${c.pingTx} rx ${c.pingRx}; pong tx ${c.pongTx} rx ${c.pongRx}; pmtud rx ${c.pmtudRx}; duplicates ${c.duplicates} dropped ${c.dropped} not for us ${c.notForUs}; links up ${links}`
    );
  }

  async close(): Promise<void> {
    if (this.heartbeat !== null) clearInterval(this.heartbeat);
    this.heartbeat = null;
    this.opts.log('notice', this.statsText());
    // Queued sends (the leave message) reach the wire before the sockets close.
    await new Promise((r) => setTimeout(r, 50));
    this.closed = true;
    for (const l of this.local) l.sock.close();
  }

  // --- sending -------------------------------------------------------------------------------

  send(to: number | 'multicast', message: Uint8Array): number {
    if (this.closed) return 0;
    const bytes = new Uint8Array(message);
    // corosync's dst_host_filter_callback_fn routes on this field (host order, LE on x86_64).
    if (bytes.length >= TOTEM_HEADER_SIZE) putU32(bytes, TARGET_NODEID, to === 'multicast' ? 0 : to, true);
    if (to === 'multicast' || to === this.nodeid) this.loopback(bytes);
    const dests = to === 'multicast' ? this.peers : this.peers.filter((p) => p.nodeid === to);
    if (dests.length === 0) return 0;
    const seq = this.nextSeq();
    if (seq % UNTIMED_PING_EVERY === 0) this.sendPings(false);
    const fragNum = Math.max(1, Math.ceil(bytes.length / this.dataMtu));
    if (fragNum > KNET_FRAG_MAX) {
      this.opts.onSendError(to, new Error(`message of ${bytes.length} bytes needs ${fragNum} knet fragments (max ${KNET_FRAG_MAX})`));
      return 0;
    }
    this.counters.dataTx++;
    // The links each host gets this message on (all its fragments go the same way).
    const routes = dests.map((p) => ({ peer: p, links: this.dataLinks(p) }));
    let sent = 0;
    for (let i = 0; i < fragNum; i++) {
      const userData = fragNum === 1 ? bytes : bytes.subarray(i * this.dataMtu, Math.min(bytes.length, (i + 1) * this.dataMtu));
      const packet = emitData({
        header: this.header(KnetType.DATA),
        seqNum: seq,
        compress: 0,
        pad1: 0,
        bcast: to === 'multicast' ? 1 : 0,
        fragNum,
        fragSeq: fragNum === 1 ? 0 : i + 1,
        channel: TOTEM_CHANNEL,
        userData,
      });
      // One seal per fragment; every host and link gets the same bytes (knet encrypts first).
      const sealed = this.sealer.seal(packet);
      this.counters.fragmentsTx++;
      for (const r of routes) {
        for (const link of r.links) {
          this.sendOn(link.linkId, link.addr, sealed, r.peer.nodeid);
          sent++;
        }
      }
    }
    return sent;
  }

  /**
   * The links a data packet to `p` goes on (KN host.c _host_dstcache_update_sync, threads_tx.c):
   * passive = the up link of highest priority (lowest id among equals), active = every up link,
   * rr = the up links in turn. With no link up yet, the lowest link: the host drops it until its
   * side of the link is up, as it would drop knet's own.
   */
  private dataLinks(p: KnetPeer): KnetLinkState[] {
    const up = p.links.filter((l) => l.up);
    if (up.length === 0) return p.links.slice(0, 1);
    if (this.linkMode === 'active') return up;
    if (this.linkMode === 'rr') {
      const l = up[p.rrNext % up.length]!;
      p.rrNext = (p.rrNext + 1) % up.length;
      return [l];
    }
    let best = up[0]!;
    for (const l of up) if (l.priority > best.priority) best = l;
    return [best];
  }

  private sendOn(linkId: number, addr: string, bytes: Uint8Array, nodeid: number): void {
    const l = this.local.find((x) => x.linkId === linkId);
    if (l === undefined || this.closed) return;
    l.sock.send(bytes, l.port, addr, (e) => {
      if (e !== null) this.opts.onSendError(nodeid, e);
    });
  }

  /** knet's handle-wide tx seq: incremented per message, 0 skipped on wrap. */
  private nextSeq(): number {
    this.txSeq = (this.txSeq + 1) & 0xffff;
    if (this.txSeq === 0) this.txSeq = 1;
    return this.txSeq;
  }

  private loopback(bytes: Uint8Array): void {
    // Asynchronous like a socket: the engine never sees its own message inside the send.
    setImmediate(() => {
      if (!this.closed) this.receive?.(bytes);
    });
  }

  private header(type: KnetType): KnetHeader {
    return { version: KNET_HEADER_VERSION, type, node: this.nodeid, pad1: 0, pad2: 0 };
  }

  private sendControl(p: KnetPeer, link: KnetLinkState, packet: Uint8Array): void {
    this.sendOn(link.linkId, link.addr, this.sealer.seal(packet), p.nodeid);
  }

  private sendPing(p: KnetPeer, link: KnetLinkState, timed: boolean, now: number, seq = this.txSeq): void {
    const ns = process.hrtime.bigint();
    const ping = emitPing({
      header: this.header(KnetType.PING),
      link: link.linkId,
      timeSec: ns / 1_000_000_000n,
      timeNsec: ns % 1_000_000_000n,
      seqNum: seq,
      timed: timed ? 1 : 0,
    });
    link.pingLast = now;
    this.counters.pingTx++;
    this.sendControl(p, link, ping);
  }

  private sendPings(timed: boolean, seq = this.txSeq): void {
    const now = monotonicMs();
    for (const p of this.peers) for (const l of p.links) this.sendPing(p, l, timed, now, seq);
  }

  private onHeartbeat(): void {
    const now = monotonicMs();
    for (const p of this.peers) {
      for (const l of p.links) {
        if (l.pingLast < 0 || now - l.pingLast >= this.pingInterval) this.sendPing(p, l, true, now);
        // pong_timeout_adj = pong_timeout · backoff + 2 · latency (backoff 1 once settled).
        if (l.pongLast >= 0 && now - l.pongLast >= this.pongTimeout + 2 * l.latency) this.linkDown(p, l);
      }
    }
  }

  private linkDown(p: KnetPeer, l: KnetLinkState): void {
    l.receivedPongs = 0;
    l.pongLast = -1;
    if (!l.up) return;
    l.up = false;
    this.opts.log('notice', `[KNET  ] link: host: ${p.nodeid} link: ${l.linkId} is down`);
    if (p.links.some((x) => x.up)) return;
    // No active link left: knet clears the host's buffers (host.c _host_dstcache_update_sync).
    this.opts.log('warning', `[KNET  ] host: host: ${p.nodeid} has no active links`);
    p.seq.clear(0);
    p.decoder = this.newDecoder();
  }

  // --- receiving -----------------------------------------------------------------------------

  private onDatagram(local: LocalLink, buf: Buffer, rinfo: dgram.RemoteInfo): void {
    if (this.closed) return;
    const from = this.byAddr.get(rinfo.address);
    if (from === undefined) {
      this.counters.dropped++;
      return;
    }
    const p = from.peer;
    const payload = new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
    const r = p.decoder.decode(payload, { src: rinfo.address, dst: local.addr, srcPort: rinfo.port, dstPort: local.port, timeNs: process.hrtime.bigint() });
    if (r.kind === 'error') {
      this.counters.dropped++;
      return;
    }
    // Under crypto, clear traffic is refused (KNET_CRYPTO_RX_DISALLOW_CLEAR_TRAFFIC).
    if (!this.sealer.clear && r.crypto.keyIndex < 0) {
      this.counters.dropped++;
      return;
    }
    switch (r.kind) {
      case 'ping': {
        // Control packets name their link (threads_rx.c: src_host->link[khp_ping_link]).
        const link = p.links.find((l) => l.linkId === r.ping.link);
        if (r.ping.header.node !== p.nodeid || link === undefined) break;
        this.counters.pingRx++;
        p.seq.onPing(r.ping.seqNum, r.ping.timed !== 0);
        this.counters.pongTx++;
        this.sendControl(p, link, emitPing({ ...r.ping, header: { ...r.ping.header, type: KnetType.PONG, node: this.nodeid } }));
        return;
      }
      case 'pong': {
        const link = p.links.find((l) => l.linkId === r.ping.link);
        if (r.ping.header.node !== p.nodeid || link === undefined) break;
        this.counters.pongRx++;
        this.onPong(p, link, r.ping);
        return;
      }
      case 'pmtud': {
        const link = p.links.find((l) => l.linkId === r.pmtud.link);
        if (r.pmtud.header.node !== p.nodeid || link === undefined) break;
        this.counters.pmtudRx++;
        this.sendControl(p, link, emitPmtud({ header: this.header(KnetType.PMTUD_REPLY), link: r.pmtud.link, size: r.pmtud.size, paddingLength: 0 }));
        return;
      }
      case 'pmtud_reply':
        // No PMTUd of our own: the data MTU comes from knet_mtu or Ethernet's 1500.
        return;
      case 'data': {
        const d = r.data;
        // knet matches a DATA packet's link by source address and port.
        if (d.header.node !== p.nodeid || rinfo.port !== local.port) break;
        this.counters.dataRx++;
        p.seq.sawData();
        if (r.status !== 'complete' || r.userData === undefined) return;
        if (d.channel !== TOTEM_CHANNEL) return;
        // One filter per host: with link_mode active the same seq arrives on every link.
        if (!p.seq.lookup(d.seqNum)) {
          this.counters.duplicates++;
          return;
        }
        const message = r.userData;
        if (d.bcast === 0 && message.length >= TOTEM_HEADER_SIZE) {
          const target = (message[TARGET_NODEID]! | (message[TARGET_NODEID + 1]! << 8)) & 0xffff;
          if (target !== this.nodeid) {
            this.counters.notForUs++;
            return;
          }
        }
        p.seq.set(d.seqNum);
        this.counters.messagesRx++;
        if (d.compress !== 0) this.counters.decompressed++;
        this.receive?.(message);
        return;
      }
    }
    this.counters.dropped++;
  }

  private onPong(p: KnetPeer, link: KnetLinkState, pong: KnetPing): void {
    const nowNs = process.hrtime.bigint();
    const latency = Number(nowNs - (pong.timeSec * 1_000_000_000n + pong.timeNsec)) / 1e6;
    if (latency < 0 || latency > this.pongTimeout) return;
    link.pongLast = Number(nowNs) / 1e6;
    link.latencySamples = Math.min(link.latencySamples + 1, 2048);
    link.latency = (link.latency * (link.latencySamples - 1) + latency) / link.latencySamples;
    if (link.up) return;
    if (link.receivedPongs >= this.pongCount) {
      link.up = true;
      this.opts.log('notice', `[KNET  ] link: host: ${p.nodeid} link: ${link.linkId} is up`);
    } else {
      link.receivedPongs++;
    }
  }
}
