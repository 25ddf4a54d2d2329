/**
 * A simulated network of N Totem engines in one process: virtual time, per-link latency and jitter,
 * loss, duplication, reordering, partitions and heals, crash and restart (the ring seq survives a
 * restart through a simulated state directory), leaves. Everything is drawn from one seed, so a failing
 * seed replays exactly. After the run the protocol guarantees are checked (./checks.ts).
 */
import { decodeTotem, encodeTotem } from '../../dissectors/totemsrp/index.ts';
import { formatRingId, type RingId, type TotemMessage } from '../../dissectors/totemsrp/types.ts';
import { TotemEngine } from '../engine/engine.ts';
import { MembState, corosyncTimers, type EngineTimers } from '../engine/types.ts';
import { checkRun, type NodeEvent, type IncarnationRecord, type Violation } from './checks.ts';
import { EventHeap } from './heap.ts';
import { forkRng, makeRng, randInt } from './rng.ts';

/** Round trip of every frame through an encoder/decoder (by default the real dissectors/totemsrp one). */
export interface WireCodec {
  encode(msg: TotemMessage): Uint8Array;
  decode(bytes: Uint8Array): TotemMessage | { readonly code: string; readonly message: string };
}

/** The project's v3 encoder and decoder (dissectors/totemsrp/codec.ts): frames travel as real bytes. */
export const TOTEM_WIRE_CODEC: WireCodec = { encode: encodeTotem, decode: decodeTotem };

export interface SimOptions {
  readonly nodes: number;
  readonly seed: number;
  /** Length of the faulty phase (submissions, loss, partitions, crashes), virtual ms. */
  readonly durationMs: number;
  /** Healed phase after it; default long enough for token loss + consensus + formation. */
  readonly settleMs?: number;
  /** totem.token; the other timers follow corosync's formulas (wire-format.md §6.9). */
  readonly token?: number;
  /** totem.token_coefficient (650 in corosync; 0 keeps `token` as given for any node count). */
  readonly tokenCoefficient?: number;
  readonly timers?: EngineTimers;
  readonly latencyMs?: number;
  readonly jitterMs?: number;
  /** Probability that a frame to another node is lost (0..1). */
  readonly loss?: number;
  readonly duplicate?: number;
  /** Probability that a frame gets an extra delay (so it overtakes or is overtaken). */
  readonly reorder?: number;
  readonly partitions?: boolean;
  readonly crashes?: boolean;
  /** Mean gap between two application messages of one node, ms (0 = no traffic). */
  readonly submitIntervalMs?: number;
  readonly payloadSize?: number;
  /**
   * Frames go through this codec (encode, then decode at the receivers). Default: the real Totem v3
   * codec; `null` passes the values themselves (faster, skips the wire format).
   */
  readonly codec?: WireCodec | null;
  /** Keep the engines' log lines (membership notices etc.). */
  readonly keepLogs?: boolean;
  /** Also produce corosync's debug-level lines (implies keepLogs). */
  readonly logDebug?: boolean;
  /** Stop after this many events (a run that exceeds it is reported as stalled). */
  readonly maxEvents?: number;
}

export interface RingFormed {
  readonly atMs: number;
  readonly nodeid: number;
  readonly ringId: string;
  readonly members: readonly number[];
  readonly joined: readonly number[];
  readonly left: readonly number[];
}

export interface SimStats {
  readonly virtualMs: number;
  readonly wallMs: number;
  readonly events: number;
  readonly framesSent: number;
  readonly framesLost: number;
  readonly tokenHops: number;
  readonly rotations: number;
  readonly rotationMs: { readonly mean: number; readonly p50: number; readonly p99: number; readonly max: number };
  readonly submitted: number;
  /** Distinct (ring, seq) messages delivered by at least one node. */
  readonly ordered: number;
  readonly orderedPerVirtualSecond: number;
  readonly retransmits: number;
  readonly tokenLosses: number;
  readonly ringsFormed: number;
}

export interface SimResult {
  readonly seed: number;
  /** What each node incarnation delivered and installed, for replaying a failing seed. */
  readonly records: readonly IncarnationRecord[];
  readonly violations: readonly Violation[];
  readonly stats: SimStats;
  readonly membership: readonly RingFormed[];
  readonly logs: readonly string[];
}

type Ev =
  | { at: number; order: number; kind: 'frame'; to: number; inc: number; msg: TotemMessage }
  | { at: number; order: number; kind: 'timer'; node: number; inc: number }
  | { at: number; order: number; kind: 'submit'; node: number }
  | { at: number; order: number; kind: 'fault'; apply: () => void };

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

interface SimNode {
  readonly nodeid: number;
  engine: TotemEngine | null;
  record: IncarnationRecord | null;
  inc: number;
  timerAt: number | null;
  counter: number;
}

export function ringKey(r: RingId): string {
  return formatRingId(r);
}

export function defaultSettleMs(t: EngineTimers): number {
  return 2 * t.token + 3 * t.consensus + 8 * t.join + t.merge + 4 * t.hold + 1000;
}

export function runSimulation(opts: SimOptions): SimResult {
  const wallStart = performance.now();
  const rng = makeRng(opts.seed);
  const netRng = forkRng(rng);
  const faultRng = forkRng(rng);
  const trafficRng = forkRng(rng);
  const engineRng = forkRng(rng);
  const n = opts.nodes;
  const timers =
    opts.timers ?? corosyncTimers({ token: opts.token ?? 1000, nodes: n, tokenCoefficient: opts.tokenCoefficient ?? 650 });
  const latency = opts.latencyMs ?? 1;
  const jitter = opts.jitterMs ?? latency / 2;
  const baseLoss = opts.loss ?? 0;
  const duplicate = opts.duplicate ?? 0;
  const reorder = opts.reorder ?? 0;
  const submitGap = opts.submitIntervalMs ?? 20;
  const payloadSize = Math.max(12, opts.payloadSize ?? 16);
  const faultEnd = opts.durationMs;
  const endAt = faultEnd + (opts.settleMs ?? defaultSettleMs(timers));

  const codec = opts.codec === undefined ? TOTEM_WIRE_CODEC : opts.codec;
  const heap = new EventHeap<Ev>();
  let order = 0;
  let now = 0;
  let events = 0;
  let loss = baseLoss;
  let dupNow = duplicate;
  let reorderNow = reorder;
  /** Partition group of each node; frames cross only within a group. */
  const group = new Map<number, number>();
  const store = new Map<number, bigint>();
  const nodes: SimNode[] = [];
  const records: IncarnationRecord[] = [];
  const violations: Violation[] = [];
  const membership: RingFormed[] = [];
  const logs: string[] = [];
  const rotationSamples: number[] = [];
  const lastRepTokenAt = new Map<string, number>();
  let framesSent = 0;
  let framesLost = 0;
  let tokenHops = 0;
  let rotations = 0;
  let submitted = 0;
  let retransmits = 0;
  let tokenLosses = 0;

  for (let id = 1; id <= n; id++) {
    nodes.push({ nodeid: id, engine: null, record: null, inc: 0, timerAt: null, counter: 0 });
    group.set(id, 0);
  }
  const node = (id: number): SimNode => nodes[id - 1]!;
  const push = (ev: DistributiveOmit<Ev, 'order'>): void => {
    (ev as Ev).order = order++;
    heap.push(ev as Ev);
  };

  function fail(kind: Violation['kind'], text: string): void {
    if (violations.length < 50) violations.push({ kind, seed: opts.seed, atMs: now, text });
  }

  function boot(sn: SimNode): void {
    sn.inc++;
    const initialRingSeq = store.get(sn.nodeid) ?? 0n;
    const engine = new TotemEngine({
      nodeid: sn.nodeid,
      timers,
      initialRingSeq,
      random: forkRng(engineRng),
      logDebug: opts.logDebug ?? false,
    });
    sn.engine = engine;
    sn.timerAt = null;
    sn.counter = 0;
    const rec: IncarnationRecord = {
      nodeid: sn.nodeid,
      inc: sn.inc,
      events: [],
      submitted: [],
      aliveAtEnd: false,
      startRingSeq: initialRingSeq,
    };
    sn.record = rec;
    records.push(rec);
    guarded(sn, () => engine.start(now));
  }

  function crash(sn: SimNode, graceful: boolean): void {
    if (sn.engine === null) return;
    if (graceful) guarded(sn, () => sn.engine!.leave(now));
    if (sn.engine !== null) account(sn.engine);
    sn.engine = null;
    sn.record = null;
    sn.timerAt = null;
  }

  function account(e: TotemEngine): void {
    retransmits += e.stats.mcastRetx;
    tokenLosses += e.stats.operationalTokenLost;
  }

  function guarded(sn: SimNode, f: () => void): void {
    const engine = sn.engine;
    if (engine === null) return;
    try {
      f();
      drain(sn, engine);
    } catch (e) {
      fail('exception', `node ${sn.nodeid}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      sn.engine = null;
      sn.record = null;
    }
  }

  function drain(sn: SimNode, engine: TotemEngine): void {
    const rec = sn.record!;
    for (const a of engine.takeActions()) {
      switch (a.type) {
        case 'send':
          route(sn.nodeid, a.to, a.msg);
          break;
        case 'deliver':
          rec.events.push({ k: 'd', ring: ringKey(a.ringId), seq: a.seq, sender: a.sender, id: payloadId(a.payload) });
          break;
        case 'configuration': {
          const ev: NodeEvent = {
            k: a.kind === 'regular' ? 'r' : 't',
            ring: ringKey(a.ringId),
            ringSeq: a.ringId.seq,
            members: a.members.slice(),
          };
          rec.events.push(ev);
          if (a.kind === 'regular') {
            membership.push({
              atMs: now,
              nodeid: sn.nodeid,
              ringId: ev.ring,
              members: a.members.slice(),
              joined: a.joined.slice(),
              left: a.left.slice(),
            });
          }
          break;
        }
        case 'persistRingSeq': {
          const old = store.get(sn.nodeid);
          if (old !== undefined && a.seq <= old) {
            fail('ring-id-growth', `node ${sn.nodeid} persisted ring seq ${a.seq} after ${old}`);
          }
          store.set(sn.nodeid, a.seq);
          break;
        }
        case 'log':
          if (opts.keepLogs || opts.logDebug) logs.push(`${now.toFixed(1)} node${sn.nodeid} [${a.level}] ${a.text}`);
          break;
      }
    }
    if (!engine.isStopped) scheduleTimer(sn, engine);
  }

  function scheduleTimer(sn: SimNode, engine: TotemEngine): void {
    const d = engine.nextTimerDeadline();
    if (d === null) return;
    if (sn.timerAt === null || d < sn.timerAt) {
      sn.timerAt = d;
      push({ at: Math.max(d, now), kind: 'timer', node: sn.nodeid, inc: sn.inc });
    }
  }

  function route(from: number, to: number | 'multicast', msg: TotemMessage): void {
    framesSent++;
    if (msg.kind === 'orf_token') {
      tokenHops++;
      if (msg.ringId.rep === from && to !== from) {
        const key = ringKey(msg.ringId);
        const last = lastRepTokenAt.get(key);
        if (last !== undefined && rotationSamples.length < 100000) rotationSamples.push(now - last);
        lastRepTokenAt.set(key, now);
        rotations++;
      }
    }
    let wire = msg;
    if (codec !== null) {
      const bytes = codec.encode(msg);
      const back = codec.decode(bytes);
      if (!('kind' in back)) {
        fail('exception', `codec could not decode a ${msg.kind} from node ${from}: ${back.code} ${back.message}`);
        return;
      }
      wire = back;
    }
    if (to === 'multicast') {
      for (const dst of nodes) transmit(from, dst.nodeid, wire);
    } else {
      transmit(from, to, wire);
    }
  }

  function transmit(from: number, to: number, msg: TotemMessage): void {
    const dst = node(to);
    if (dst === undefined) return;
    if (from === to) {
      // Loopback: never lost, tiny delay.
      push({ at: now + 0.01, kind: 'frame', to, inc: dst.inc, msg });
      return;
    }
    if (group.get(from) !== group.get(to) || netRng() < loss) {
      framesLost++;
      return;
    }
    const copies = netRng() < dupNow ? 2 : 1;
    for (let c = 0; c < copies; c++) {
      let delay = latency + netRng() * jitter;
      if (netRng() < reorderNow) delay += netRng() * 4 * (latency + jitter + 0.1);
      push({ at: now + delay, kind: 'frame', to, inc: dst.inc, msg });
    }
  }

  // --- scenario: start-up, traffic, faults, heal ---
  for (const sn of nodes) {
    push({ at: faultRng() * timers.token * 0.5, kind: 'fault', apply: () => boot(sn) });
    if (submitGap > 0) push({ at: trafficRng() * submitGap * 2, kind: 'submit', node: sn.nodeid });
  }
  if (opts.partitions || opts.crashes) {
    let t = timers.token * (0.5 + faultRng());
    while (t < faultEnd) {
      const doPartition = opts.partitions && (!opts.crashes || faultRng() < 0.5);
      if (doPartition) {
        const parts = randInt(faultRng, 1, Math.min(3, n));
        const assignment = nodes.map(() => randInt(faultRng, 0, parts - 1));
        push({
          at: t,
          kind: 'fault',
          apply: () => nodes.forEach((sn, i) => group.set(sn.nodeid, assignment[i]!)),
        });
      } else if (opts.crashes) {
        const victim = randInt(faultRng, 1, n);
        const graceful = faultRng() < 0.3;
        const downFor = timers.token * (0.3 + 3 * faultRng());
        push({ at: t, kind: 'fault', apply: () => crash(node(victim), graceful) });
        push({
          at: Math.min(t + downFor, faultEnd),
          kind: 'fault',
          apply: () => {
            if (node(victim).engine === null) boot(node(victim));
          },
        });
      }
      t += timers.token * (0.3 + 2 * faultRng());
    }
  }
  push({
    at: faultEnd,
    kind: 'fault',
    apply: () => {
      loss = 0;
      dupNow = 0;
      reorderNow = 0;
      for (const sn of nodes) {
        group.set(sn.nodeid, 0);
        if (sn.engine === null) boot(sn);
      }
    },
  });

  // --- event loop ---
  const maxEvents = opts.maxEvents ?? 5_000_000;
  while (heap.size > 0) {
    const ev = heap.peek()!;
    if (ev.at > endAt) break;
    heap.pop();
    now = ev.at;
    if (++events > maxEvents) {
      fail('stalled', `more than ${maxEvents} events`);
      break;
    }
    switch (ev.kind) {
      case 'frame': {
        const sn = node(ev.to);
        if (sn.engine === null || sn.inc !== ev.inc) break;
        const engine = sn.engine;
        guarded(sn, () => engine.step(ev.msg, now));
        break;
      }
      case 'timer': {
        const sn = node(ev.node);
        if (sn.engine === null || sn.inc !== ev.inc || sn.timerAt !== ev.at) break;
        sn.timerAt = null;
        const engine = sn.engine;
        guarded(sn, () => engine.tick(now));
        if (sn.engine !== null) scheduleTimer(sn, sn.engine);
        break;
      }
      case 'submit': {
        if (now >= faultEnd) break;
        const sn = node(ev.node);
        if (sn.engine !== null && sn.record !== null) {
          const id = `${sn.nodeid}:${sn.inc}:${sn.counter++}`;
          const payload = makePayload(sn.nodeid, sn.inc, sn.counter - 1, payloadSize);
          const engine = sn.engine;
          const rec = sn.record;
          guarded(sn, () => {
            if (engine.submit(payload, now)) {
              rec.submitted.push(id);
              submitted++;
            }
          });
        }
        push({ at: now + trafficRng() * submitGap * 2, kind: 'submit', node: ev.node });
        break;
      }
      case 'fault':
        ev.apply();
        break;
    }
  }
  now = endAt;

  // --- end of run: state checks, then everybody leaves ---
  const live = nodes.filter((sn) => sn.engine !== null);
  for (const sn of live) sn.record!.aliveAtEnd = true;
  const finalStates = live.map((sn) => {
    const e = sn.engine!;
    return {
      nodeid: sn.nodeid,
      state: e.state,
      ring: ringKey(e.ringId),
      members: e.members.slice().sort((a, b) => a - b),
      pending: e.pendingMessages,
      timers: e.activeTimers(),
      stored: e.storedMessages,
    };
  });
  const liveIds = live.map((sn) => sn.nodeid).sort((a, b) => a - b);
  for (const f of finalStates) {
    if (f.state !== MembState.OPERATIONAL) {
      fail('no-single-ring', `node ${f.nodeid} not OPERATIONAL after heal (state ${f.state}, ring ${f.ring})`);
    } else {
      if (f.ring !== finalStates[0]!.ring || f.members.join(',') !== liveIds.join(',')) {
        fail('no-single-ring', `node ${f.nodeid} in ring ${f.ring} members ${f.members.join(',')}; live ${liveIds.join(',')}`);
      }
      if (f.timers.join !== undefined || f.timers.consensus !== undefined) {
        fail('timer-leak', `node ${f.nodeid} OPERATIONAL with join/consensus timer armed`);
      }
      if (f.pending > 0) fail('self-delivery', `node ${f.nodeid} still has ${f.pending} queued messages after heal`);
    }
    for (const [name, at] of Object.entries(f.timers)) {
      if (at < now - 1e-6) fail('timer-leak', `node ${f.nodeid} timer ${name} overdue (${at} < ${now})`);
    }
    if (f.stored > 4 * timers.windowSize + 64) {
      fail('timer-leak', `node ${f.nodeid} keeps ${f.stored} messages for retransmission in an idle ring`);
    }
  }
  for (const sn of live) {
    const e = sn.engine!;
    try {
      e.leave(now);
      e.takeActions();
      if (e.nextTimerDeadline() !== null) fail('timer-leak', `node ${sn.nodeid} has timers armed after leave`);
    } catch (err) {
      fail('exception', `node ${sn.nodeid} leave: ${String(err)}`);
    }
  }

  violations.push(...checkRun(records, opts.seed, now).slice(0, Math.max(0, 50 - violations.length)));

  const orderedKeys = new Set<string>();
  for (const r of records) for (const ev of r.events) if (ev.k === 'd') orderedKeys.add(`${ev.ring}/${ev.seq}`);
  const rings = new Set(membership.map((m) => m.ringId));
  for (const sn of live) account(sn.engine!);
  const sorted = rotationSamples.slice().sort((a, b) => a - b);
  const pct = (p: number): number => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! : 0);
  return {
    seed: opts.seed,
    records,
    violations,
    membership,
    logs,
    stats: {
      virtualMs: now,
      wallMs: performance.now() - wallStart,
      events,
      framesSent,
      framesLost,
      tokenHops,
      rotations,
      rotationMs: {
        mean: sorted.length ? sorted.reduce((a, b) => a + b, 0) / sorted.length : 0,
        p50: pct(0.5),
        p99: pct(0.99),
        max: sorted.length ? sorted[sorted.length - 1]! : 0,
      },
      submitted,
      ordered: orderedKeys.size,
      orderedPerVirtualSecond: orderedKeys.size / (now / 1000),
      retransmits,
      tokenLosses,
      ringsFormed: rings.size,
    },
  };
}

function makePayload(nodeid: number, inc: number, counter: number, size: number): Uint8Array {
  const b = new Uint8Array(size);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, nodeid, true);
  dv.setUint32(4, inc, true);
  dv.setUint32(8, counter, true);
  return b;
}

function payloadId(p: Uint8Array): string {
  if (p.length < 12) return `raw:${p.length}`;
  const dv = new DataView(p.buffer, p.byteOffset, p.byteLength);
  return `${dv.getUint32(0, true)}:${dv.getUint32(4, true)}:${dv.getUint32(8, true)}`;
}
