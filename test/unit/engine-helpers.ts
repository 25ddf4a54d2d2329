/**
 * Hand-built Totem frames and a lock-step network for the engine unit tests.
 * (Not a test file itself: the runner only picks up *.test.ts.)
 */
import {
  MessageType,
  NOT_ENCAPSULATED,
  type Mcast,
  type MembCommitToken,
  type MembJoin,
  type MembMergeDetect,
  type OrfToken,
  type RingId,
  type RtrItem,
  type TokenHoldCancel,
  type TotemHeader,
  type TotemMessage,
} from '../../dissectors/totemsrp/types.ts';
import { TotemEngine } from '../../src/engine/engine.ts';
import { corosyncTimers, type EngineAction, type EngineTimers, type SendAction } from '../../src/engine/types.ts';

const EMPTY = new Uint8Array(0);

/** Small timers so that tests read easily: token 1000 → retransmit 238, hold 180, consensus 1200. */
export const TIMERS: EngineTimers = corosyncTimers({ token: 1000, nodes: 2 });

export function hdr(type: MessageType, nodeid: number, encapsulated = 0): TotemHeader {
  return { littleEndian: true, version: 3, type, encapsulated, nodeid, targetNodeid: 0 };
}

export function orfToken(p: {
  from: number;
  ringId: RingId;
  seq?: number;
  tokenSeq?: number;
  aru?: number;
  aruAddr?: number;
  fcc?: number;
  backlog?: number;
  retransFlg?: number;
  rtrList?: RtrItem[];
}): OrfToken {
  return {
    kind: 'orf_token',
    header: hdr(MessageType.ORF_TOKEN, p.from),
    trailer: EMPTY,
    seq: p.seq ?? 0,
    tokenSeq: p.tokenSeq ?? 0,
    aru: p.aru ?? p.seq ?? 0,
    aruAddr: p.aruAddr ?? 0,
    ringId: p.ringId,
    backlog: p.backlog ?? 0,
    fcc: p.fcc ?? 0,
    retransFlg: p.retransFlg ?? 0,
    rtrList: p.rtrList ?? [],
  };
}

export function mcast(p: { from: number; ringId: RingId; seq: number; payload?: Uint8Array }): Mcast {
  return {
    kind: 'mcast',
    header: hdr(MessageType.MCAST, p.from, NOT_ENCAPSULATED),
    trailer: EMPTY,
    systemFrom: p.from,
    seq: p.seq,
    thisSeqno: 0,
    ringId: p.ringId,
    nodeId: 0,
    guarantee: 0,
    payload: p.payload ?? new Uint8Array([p.seq & 0xff]),
  };
}

export function join(p: { from: number; proc: number[]; failed?: number[]; ringSeq: bigint; leave?: boolean }): MembJoin {
  return {
    kind: 'memb_join',
    header: hdr(MessageType.MEMB_JOIN, p.leave ? 0 : p.from),
    trailer: EMPTY,
    systemFrom: p.from,
    procList: p.proc,
    failedList: p.failed ?? [],
    ringSeq: p.ringSeq,
  };
}

export function mergeDetect(from: number, ringId: RingId): MembMergeDetect {
  return { kind: 'memb_merge_detect', header: hdr(MessageType.MEMB_MERGE_DETECT, from), trailer: EMPTY, systemFrom: from, ringId };
}

export function holdCancel(from: number, ringId: RingId): TokenHoldCancel {
  return { kind: 'token_hold_cancel', header: hdr(MessageType.TOKEN_HOLD_CANCEL, from), trailer: EMPTY, ringId };
}

export function commitToken(p: { from: number; ringId: RingId; addr: number[]; membIndex: number; tokenSeq?: number }): MembCommitToken {
  return {
    kind: 'memb_commit_token',
    header: hdr(MessageType.MEMB_COMMIT_TOKEN, p.from),
    trailer: EMPTY,
    tokenSeq: p.tokenSeq ?? 1,
    ringId: p.ringId,
    retransFlg: 0,
    membIndex: p.membIndex,
    addr: p.addr,
    membList: p.addr.map((_, i) =>
      i < p.membIndex
        ? { ringId: { rep: p.addr[i]!, seq: 1n }, aru: 0, highDelivered: 0, receivedFlg: 1 }
        : { ringId: { rep: 0, seq: 0n }, aru: 0, highDelivered: 0, receivedFlg: 0 },
    ),
  };
}

export function newEngine(nodeid: number, extra: Partial<{ initialRingSeq: bigint; timers: EngineTimers }> = {}): TotemEngine {
  return new TotemEngine({
    nodeid,
    timers: extra.timers ?? TIMERS,
    initialRingSeq: extra.initialRingSeq ?? 0n,
    random: () => 0.5,
  });
}

export function sends(actions: readonly EngineAction[]): SendAction[] {
  return actions.filter((a): a is SendAction => a.type === 'send');
}

export function sentOfKind<K extends TotemMessage['kind']>(
  actions: readonly EngineAction[],
  kind: K,
): { to: number | 'multicast'; msg: Extract<TotemMessage, { kind: K }> }[] {
  return sends(actions)
    .filter((s) => s.msg.kind === kind)
    .map((s) => ({ to: s.to, msg: s.msg as Extract<TotemMessage, { kind: K }> }));
}

export function logs(actions: readonly EngineAction[]): string[] {
  return actions.flatMap((a) => (a.type === 'log' ? [a.text] : []));
}

/**
 * Zero-latency lock-step network: frames are delivered in FIFO order; when none is in flight, time
 * jumps to the earliest timer. `drop` lets a test lose chosen frames.
 */
export class LockstepNet {
  readonly engines = new Map<number, TotemEngine>();
  readonly actions = new Map<number, EngineAction[]>();
  readonly trace: { from: number; to: number | 'multicast'; msg: TotemMessage; at: number }[] = [];
  private queue: { to: number; msg: TotemMessage; from: number }[] = [];
  now = 0;
  drop: (from: number, to: number, msg: TotemMessage) => boolean = () => false;

  add(engine: TotemEngine): void {
    this.engines.set(engine.nodeid, engine);
    this.actions.set(engine.nodeid, []);
  }

  start(): void {
    for (const e of this.engines.values()) {
      e.start(this.now);
      this.collect(e);
    }
  }

  collect(e: TotemEngine): void {
    for (const a of e.takeActions()) {
      this.actions.get(e.nodeid)!.push(a);
      if (a.type !== 'send') continue;
      this.trace.push({ from: e.nodeid, to: a.to, msg: a.msg, at: this.now });
      const targets = a.to === 'multicast' ? [...this.engines.keys()] : [a.to];
      for (const to of targets) {
        if (to !== e.nodeid && this.drop(e.nodeid, to, a.msg)) continue;
        this.queue.push({ to, msg: a.msg, from: e.nodeid });
      }
    }
  }

  /** Deliver frames (and timers) until `done()` holds. */
  runUntil(done: () => boolean, maxSteps = 200000): void {
    for (let i = 0; i < maxSteps && !done(); i++) {
      if (!this.stepOnce(Infinity)) break;
    }
    if (!done()) throw new Error('condition not reached');
  }

  /** Run until `untilMs` of virtual time (frames take no time; timers advance it). */
  run(untilMs: number, maxSteps = 200000): void {
    for (let steps = 0; steps < maxSteps; steps++) {
      if (!this.stepOnce(untilMs)) return;
    }
    throw new Error('lock-step network did not settle');
  }

  /** One frame, or one timer instant; false when nothing happens before `untilMs`. */
  stepOnce(untilMs: number): boolean {
    const f = this.queue.shift();
    if (f !== undefined) {
      const e = this.engines.get(f.to);
      if (e !== undefined) {
        e.step(f.msg, this.now);
        this.collect(e);
      }
      return true;
    }
    let next = Infinity;
    for (const e of this.engines.values()) {
      const d = e.nextTimerDeadline();
      if (d !== null && d < next) next = d;
    }
    if (next > untilMs) {
      if (untilMs !== Infinity) this.now = untilMs;
      return false;
    }
    this.now = Math.max(this.now, next);
    for (const e of this.engines.values()) {
      e.tick(this.now);
      this.collect(e);
    }
    return true;
  }

  of(nodeid: number): EngineAction[] {
    return this.actions.get(nodeid)!;
  }
}
