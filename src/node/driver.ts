/**
 * `totemscope node`: the pure Totem engine (src/engine) and the service layer (./services) driven by
 * real sockets, timers and the monotonic clock. The transport (./transport.ts) is corosync 3.x
 * udpu (wire-format.md §2.2) or knet (§2.1, §7), as the cluster's corosync.conf says.
 * Nothing is sent before `start()`.
 */
import { performance } from 'node:perf_hooks';
import { decodeTotem, encodeTotem, formatRingId } from '../../dissectors/totemsrp/index.ts';
import { parseTotempg } from '../../dissectors/totempg/packet.ts';
import { TotempgReassembler } from '../../dissectors/totempg/reassembly.ts';
import { WireError } from '../../dissectors/errors.ts';
import { TotemEngine, type EngineAction, type EngineTimers } from '../engine/index.ts';
import type { EffectiveTotem, NodeDirectory } from '../config/index.ts';
import { ServiceLayer, type ServiceDelivery } from './services/index.ts';
import { TotempgSender } from './framing.ts';
import { createTransport, type NodeTransport } from './transport.ts';
import { loadRingSeq, storeRingSeq } from './stateFile.ts';
import { TokenHoldStats, type HoldSummary, type TokenWindowSummary } from './tokenStats.ts';

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
  /** The cluster authkey (knet with crypto_cipher/crypto_hash set). Never logged. */
  readonly authkey?: Uint8Array;
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

/** One machine-readable statistics record (`totemscope node --stats-file`, one JSON line each). */
export interface NodeStatsRecord {
  readonly time: string;
  readonly nodeid: number;
  readonly ring: string;
  readonly state: string;
  readonly members: readonly number[];
  readonly tokens: { readonly rx: number; readonly tx: number; readonly forwarded: number };
  /** Last 100 forwarded tokens (corosync's avg_token_workload window). */
  readonly tokenHold: TokenWindowSummary;
  /** Every token forwarded since the previous record. */
  readonly tokenHoldInterval: HoldSummary;
  readonly mcast: { readonly tx: number; readonly retx: number; readonly rx: number };
  readonly counters: NodeCounters;
  readonly rssBytes: number;
}

export class TotemNode {
  readonly engine: TotemEngine;
  readonly services: ServiceLayer;
  readonly counters: NodeCounters = { framesIn: 0, framesOut: 0, undecodable: 0, delivered: 0, syncCompleted: 0, sendErrors: 0 };
  readonly tokenHold = new TokenHoldStats();
  readonly transport: NodeTransport;
  /**
   * totempg assembly buffers as corosync keeps them (exec/totempg.c assembly_ref): one set while
   * totemsrp waits for the transitional ack (from the transitional configuration until sync has
   * completed) and one otherwise. A survivor's message in progress outlives a ring change: its
   * first fragments were delivered in the old ring, the rest are sent and completed after sync.
   */
  private readonly regularAssembly = new TotempgReassembler();
  private readonly transAssembly = new TotempgReassembler();
  /** Mirrors the engine's waiting_trans_ack as of the action being applied (true from start, as in totemsrp). */
  private waitingTransAck = true;
  private readonly sender: TotempgSender;
  private timer: NodeJS.Timeout | null = null;
  private timerAt: number | null = null;
  private pumping = false;
  private closed = false;
  /**
   * Deliveries of an operational ring, assembled and handed to the services after the frames at
   * hand (setImmediate): a token that arrived behind a burst of messages is forwarded first, as
   * a corosync member forwards it before it is done delivering. Order is kept: anything that must
   * see the services up to date (a configuration change, sync, stop) drains the queue first.
   */
  private readonly deferred: Array<{ readonly sender: number; readonly seq: number; readonly payload: Uint8Array; readonly time: number }> = [];
  private drainScheduled = false;

  constructor(private readonly opts: NodeOptions) {
    const me = opts.nodes.node(opts.nodeid);
    this.transport = createTransport({
      nodeid: opts.nodeid,
      totem: opts.totem,
      nodes: opts.nodes,
      ...(opts.authkey !== undefined ? { authkey: opts.authkey } : {}),
      log: opts.log,
      onSendError: (to, e) => {
        this.counters.sendErrors++;
        if (this.counters.sendErrors <= 10) this.opts.log('warning', `send to ${to}: ${e.message}`);
      },
    });
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
    await this.transport.start((message) => this.onFrame(message));
    this.opts.log('notice', this.transport.description);
    this.engine.start(this.now());
    this.pump();
  }

  /** Multicasts the leave message, waits for the sends to be flushed, closes. */
  async stop(): Promise<void> {
    if (this.closed) return;
    this.drainDeliveries();
    this.engine.leave(this.now());
    this.pump();
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    await this.transport.close();
  }

  private onFrame(frame: Uint8Array): void {
    if (this.closed) return;
    this.counters.framesIn++;
    const msg = decodeTotem(frame);
    if (!('kind' in msg)) {
      this.counters.undecodable++;
      return;
    }
    if (msg.kind !== 'orf_token') {
      this.engine.step(msg, this.now());
      this.pump();
      return;
    }
    // Hold time as corosync counts it: token accepted → token sent and its deliveries done.
    const rxAt = this.now();
    const forwardedBefore = this.engine.stats.orfTokenTx;
    this.engine.step(msg, rxAt);
    this.pump();
    if (this.engine.stats.orfTokenTx !== forwardedBefore) this.tokenHold.record(rxAt, this.now());
  }

  /** Runs the engine's actions and the service layer's output until both are quiet. */
  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (let guard = 0; guard < 10_000; guard++) {
        const actions = this.engine.takeActions();
        for (const a of actions) this.apply(a);
        const serviceWork = this.serviceOutput();
        if (actions.length === 0 && !serviceWork) break;
      }
    } finally {
      this.pumping = false;
    }
    this.schedule();
  }

  /** Acts on the service layer's output; false when there was none. */
  private serviceOutput(): boolean {
    const out = this.services.takeOutput();
    for (const o of out) {
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
          this.waitingTransAck = false;
          break;
        case 'deliver':
          this.counters.delivered++;
          this.opts.onDeliver?.(o.delivery);
          break;
      }
    }
    return out.length > 0;
  }

  private apply(a: EngineAction): void {
    switch (a.type) {
      case 'send':
        this.send(a.to, encodeTotem(a.msg));
        break;
      case 'deliver': {
        if (!this.waitingTransAck) {
          this.deferred.push({ sender: a.sender, seq: a.seq, payload: a.payload, time: this.now() });
          if (!this.drainScheduled) {
            this.drainScheduled = true;
            setImmediate(() => {
              this.drainScheduled = false;
              if (this.closed) return;
              this.drainDeliveries();
              this.pump();
            });
          }
          break;
        }
        // During sync every packet is delivered at once: the last barrier completes sync (trans
        // ack) before the next packet is assembled, as in corosync.
        this.drainDeliveries();
        this.deliver(a.sender, a.seq, a.payload, this.now());
        break;
      }
      case 'configuration':
        this.drainDeliveries();
        // totempg app_confchg_fn: only the assemblies of members that left are dropped.
        for (const left of a.left) {
          this.regularAssembly.flushSender(left, 'ring-change');
          this.transAssembly.flushSender(left, 'ring-change');
        }
        if (a.kind === 'transitional') {
          // totemsrp sets waiting_trans_ack right after the transitional callback; the old ring's
          // remaining messages are then assembled in the transitional set.
          this.waitingTransAck = true;
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

  /** Delivers what was deferred, in order. */
  private drainDeliveries(): void {
    for (let i = 0; i < this.deferred.length; i++) {
      const d = this.deferred[i]!;
      this.deliver(d.sender, d.seq, d.payload, d.time);
    }
    this.deferred.length = 0;
  }

  private deliver(sender: number, seq: number, payload: Uint8Array, time: number): void {
    const p = parseTotempg(payload, true);
    if (p instanceof WireError) {
      this.opts.log('warning', `undecodable totempg packet from ${sender}: ${p.message}`);
      return;
    }
    const assembly = this.waitingTransAck ? this.transAssembly : this.regularAssembly;
    const r = assembly.feed(sender, p, { seq, frame: 0, time });
    for (const c of r.complete) this.services.onMessage(sender, c.bytes);
    // Now, not after the whole batch: the last barrier completes sync (trans ack) before the
    // next packet is assembled, as in corosync, where both happen inside the delivery callback.
    this.serviceOutput();
  }

  private send(to: number | 'multicast', bytes: Uint8Array): void {
    if (this.closed) return;
    this.counters.framesOut += this.transport.send(to, bytes);
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
    const hold = this.tokenHold.window();
    return (
      `stats: ring ${this.ringIdText} ${this.engine.stateName} members ${this.engine.members.join(' ')}; ` +
      `tokens rx ${st.orfTokenRx} tx ${st.orfTokenTx}; mcast tx ${st.mcastTx} retx ${st.mcastRetx} rx ${st.mcastRx}; ` +
      `frames in ${c.framesIn} out ${c.framesOut} send errors ${c.sendErrors} undecodable ${c.undecodable}; delivered ${c.delivered}; syncs ${c.syncCompleted}; ` +
      `token hold (last ${hold.count}) median ${hold.medianMs.toFixed(3)} ms avg_token_workload ${hold.avgTokenWorkload} mtt_rx_token ${hold.mttRxToken}`
    );
  }

  /** Statistics for `--stats-file`; starts a new token-hold interval. */
  statsRecord(): NodeStatsRecord {
    const st = this.engine.stats;
    return {
      time: new Date().toISOString(),
      nodeid: this.opts.nodeid,
      ring: this.ringIdText,
      state: this.engine.stateName,
      members: [...this.engine.members],
      tokens: { rx: st.orfTokenRx, tx: st.orfTokenTx, forwarded: this.tokenHold.total },
      tokenHold: this.tokenHold.window(),
      tokenHoldInterval: this.tokenHold.takeInterval(),
      mcast: { tx: st.mcastTx, retx: st.mcastRetx, rx: st.mcastRx },
      counters: { ...this.counters },
      rssBytes: process.memoryUsage.rss(),
    };
  }

  get ringIdText(): string {
    return formatRingId(this.engine.ringId);
  }
}
