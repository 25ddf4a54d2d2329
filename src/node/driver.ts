/**
 * `totemscope node`: the pure Totem engine (src/engine) and the service layer (./services) driven by
 * real udpu sockets, timers and the monotonic clock. Transport as corosync 3.x udpu
 * (wire-format.md §2.2): the token socket bound to ring0_addr:port receives everything and sends
 * tokens; "multicasts" go as one unicast per nodelist member (this node included) from an
 * ephemeral-port socket. Nothing is sent before `start()`.
 */
import dgram from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { decodeTotem, encodeTotem, formatRingId } from '../../dissectors/totemsrp/index.ts';
import { parseTotempg } from '../../dissectors/totempg/packet.ts';
import { TotempgReassembler } from '../../dissectors/totempg/reassembly.ts';
import { WireError } from '../../dissectors/errors.ts';
import { TotemEngine, type EngineAction, type EngineTimers } from '../engine/index.ts';
import type { EffectiveTotem, NodeDirectory } from '../config/index.ts';
import { ServiceLayer, type ServiceDelivery } from './services/index.ts';
import { TotempgSender } from './framing.ts';
import { loadRingSeq, storeRingSeq } from './stateFile.ts';

/** 2 · sizeof(struct mcast) in v3 (wire-format.md §2.2). */
const MCAST_OVERHEAD = 90;

export interface NodeOptions {
  readonly nodeid: number;
  readonly totem: EffectiveTotem;
  readonly nodes: NodeDirectory;
  readonly stateDir: string;
  /** Log sink (one line each, corosync's words). */
  readonly log: (level: string, text: string) => void;
  readonly onDeliver?: (d: ServiceDelivery) => void;
  readonly logDebug?: boolean;
}

export function engineTimers(t: EffectiveTotem): EngineTimers {
  return {
    token: t.token,
    tokenRetransmit: t.tokenRetransmit,
    hold: t.hold,
    consensus: t.consensus,
    join: t.join,
    merge: t.merge,
    tokenWarning: t.tokenWarningPercent,
    failRecvConst: t.failRecvConst,
    seqnoUnchangedConst: t.seqnoUnchangedConst,
    missCountConst: t.missCountConst,
    windowSize: t.windowSize,
    maxMessages: t.maxMessages,
    cancelTokenHoldOnRetransmit: t.cancelTokenHoldOnRetransmit,
  };
}

export interface NodeCounters {
  framesIn: number;
  framesOut: number;
  undecodable: number;
  delivered: number;
  syncCompleted: number;
  sendErrors: number;
}

export class TotemNode {
  readonly engine: TotemEngine;
  readonly services: ServiceLayer;
  readonly counters: NodeCounters = { framesIn: 0, framesOut: 0, undecodable: 0, delivered: 0, syncCompleted: 0, sendErrors: 0 };
  private readonly addr: string;
  private readonly port: number;
  private readonly peers: { nodeid: number; addr: string; sock: dgram.Socket }[];
  private readonly tokenSock = dgram.createSocket({ type: 'udp4' });
  private readonly reassembler = new TotempgReassembler();
  private readonly sender: TotempgSender;
  private timer: NodeJS.Timeout | null = null;
  private timerAt: number | null = null;
  private pumping = false;
  private closed = false;

  constructor(private readonly opts: NodeOptions) {
    const me = opts.nodes.node(opts.nodeid);
    const ring0 = me?.addresses.get(0);
    if (ring0 === undefined) throw new Error(`nodeid ${opts.nodeid} has no ring0_addr in the nodelist`);
    if (opts.totem.transport !== 'udpu') throw new Error(`transport ${opts.totem.transport} is not supported yet (udpu only)`);
    this.addr = ring0;
    this.port = opts.totem.links[0]?.port ?? 5405;
    this.peers = [];
    // Highest nodeid first: the lowest (the next ring's likely representative) gets each multicast
    // last. For the leave message this keeps the rep in GATHER until every other member has it: the
    // rep can only reach COMMIT after JOINs from all of them, and COMMIT ignores a late leave.
    for (const id of [...opts.nodes.nodeids].reverse()) {
      const a = opts.nodes.addressesOf(id).get(0);
      if (a !== undefined) this.peers.push({ nodeid: id, addr: a, sock: dgram.createSocket({ type: 'udp4' }) });
    }
    const votes = me?.quorumVotes ?? 1;
    const expected = opts.nodes.nodes.reduce((s, n) => s + (n.addresses.has(0) ? n.quorumVotes : 0), 0);
    this.engine = new TotemEngine({
      nodeid: opts.nodeid,
      timers: engineTimers(opts.totem),
      initialRingSeq: loadRingSeq(opts.stateDir, opts.nodeid),
      random: Math.random,
      sendJoin: opts.totem.sendJoin,
      autoTransAck: false,
      logDebug: opts.logDebug ?? false,
    });
    this.services = new ServiceLayer({ nodeid: opts.nodeid, votes, expectedVotes: expected });
    this.sender = new TotempgSender(opts.totem.netmtu - MCAST_OVERHEAD);
  }

  private now(): number {
    return performance.now();
  }

  /** Binds the sockets, then starts the engine (GATHER: JOINs go out). */
  async start(): Promise<void> {
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
    this.tokenSock.on('message', (buf) => this.onFrame(buf));
    const onErr = (e: Error): void => this.opts.log('warning', `socket error: ${e.message}`);
    this.tokenSock.on('error', onErr);
    for (const p of this.peers) {
      p.sock.on('message', (buf) => this.onFrame(buf));
      p.sock.on('error', onErr);
    }
    this.opts.log('notice', `Initializing transport (UDP/IP Unicast). Bound to ${this.addr}:${this.port}, nodeid ${this.opts.nodeid}.`);
    this.engine.start(this.now());
    this.pump();
  }

  /** Multicasts the leave message, waits for the sends to be flushed, closes. */
  async stop(): Promise<void> {
    if (this.closed) return;
    this.engine.leave(this.now());
    this.pump();
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    // dgram sends are queued on the socket; closing after a short flush keeps the leave on the wire.
    await new Promise((r) => setTimeout(r, 50));
    this.tokenSock.close();
    for (const p of this.peers) p.sock.close();
  }

  private onFrame(buf: Buffer): void {
    if (this.closed) return;
    this.counters.framesIn++;
    const msg = decodeTotem(new Uint8Array(buf.buffer, buf.byteOffset, buf.length));
    if (!('kind' in msg)) {
      this.counters.undecodable++;
      return;
    }
    this.engine.step(msg, this.now());
    this.pump();
  }

  /** Runs the engine's actions and the service layer's output until both are quiet. */
  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (let guard = 0; guard < 10_000; guard++) {
        const actions = this.engine.takeActions();
        let serviceWork = false;
        for (const a of actions) this.apply(a);
        for (const o of this.services.takeOutput()) {
          serviceWork = true;
          switch (o.type) {
            case 'mcast':
              for (const p of this.sender.packets(o.bytes)) {
                if (!this.engine.submit(p, this.now())) this.opts.log('warning', 'new message queue full, message dropped');
              }
              break;
            case 'log':
              if (o.level !== 'debug' || this.opts.logDebug === true) this.opts.log(o.level, o.text);
              break;
            case 'syncCompleted':
              this.counters.syncCompleted++;
              this.engine.transAck();
              break;
            case 'deliver':
              this.counters.delivered++;
              this.opts.onDeliver?.(o.delivery);
              break;
          }
        }
        if (actions.length === 0 && !serviceWork) break;
      }
    } finally {
      this.pumping = false;
    }
    this.schedule();
  }

  private apply(a: EngineAction): void {
    switch (a.type) {
      case 'send':
        this.send(a.to, encodeTotem(a.msg));
        break;
      case 'deliver': {
        const p = parseTotempg(a.payload, true);
        if (p instanceof WireError) {
          this.opts.log('warning', `undecodable totempg packet from ${a.sender}: ${p.message}`);
          break;
        }
        const r = this.reassembler.feed(a.sender, p, { seq: a.seq, frame: 0, time: this.now() });
        for (const c of r.complete) this.services.onMessage(a.sender, c.bytes);
        break;
      }
      case 'configuration':
        if (a.kind === 'transitional') {
          this.reassembler.flush('ring-change');
          this.services.resetPartial();
        }
        this.services.onConfiguration(a.kind, a.members, a.ringId);
        break;
      case 'persistRingSeq':
        storeRingSeq(this.opts.stateDir, this.opts.nodeid, a.seq);
        break;
      case 'log':
        if (a.level !== 'debug' || this.opts.logDebug === true) this.opts.log(a.level, a.text);
        break;
    }
  }

  private send(to: number | 'multicast', bytes: Uint8Array): void {
    if (this.closed) return;
    const cb = (e: Error | null): void => {
      if (e === null) return;
      this.counters.sendErrors++;
      if (this.counters.sendErrors <= 10) this.opts.log('warning', `send to ${to}: ${e.message}`);
    };
    if (to === 'multicast') {
      for (const p of this.peers) {
        this.counters.framesOut++;
        p.sock.send(bytes, cb);
      }
      return;
    }
    const peer = this.peers.find((p) => p.nodeid === to);
    if (peer === undefined) return;
    this.counters.framesOut++;
    this.tokenSock.send(bytes, this.port, peer.addr, cb);
  }

  private schedule(): void {
    if (this.closed) return;
    const at = this.engine.nextTimerDeadline();
    if (at === this.timerAt) return;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.timerAt = at;
    if (at === null) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.timerAt = null;
      this.engine.tick(this.now());
      this.pump();
    }, Math.max(0, Math.ceil(at - this.now())));
  }

  /** One line of token and delivery figures (`totemscope node` prints it periodically). */
  statsLine(): string {
    const st = this.engine.stats;
    const c = this.counters;
    return (
      `stats: ring ${this.ringIdText} ${this.engine.stateName} members ${this.engine.members.join(' ')}; ` +
      `tokens rx ${st.orfTokenRx} tx ${st.orfTokenTx}; mcast tx ${st.mcastTx} retx ${st.mcastRetx} rx ${st.mcastRx}; ` +
      `frames in ${c.framesIn} out ${c.framesOut} send errors ${c.sendErrors} undecodable ${c.undecodable}; delivered ${c.delivered}; syncs ${c.syncCompleted}`
    );
  }

  get ringIdText(): string {
    return formatRingId(this.engine.ringId);
  }
}
