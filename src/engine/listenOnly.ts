/**
 * Listen-only mode (replay of a capture): consumes every frame a bridge or span port saw, never sends,
 * and reconstructs the rings and the delivery order from what the members said to each other:
 *  - a ring is formed when its first ORF token travels after the commit token's two rotations (§6.5);
 *    its members are the commit token's addr list;
 *  - the commit token's memb entries name each member's previous ring, so rings that never appeared on
 *    the wire (a singleton's token goes through loopback) are still known with their members;
 *  - MCASTs are delivered per ring in seq order; at a ring change the rest of the old ring is delivered
 *    across gaps, recovered (encapsulated) copies included (§6.6, §6.7).
 */
import { ENCAPSULATED, formatRingId, type Mcast, type RingId, type TotemMessage } from '../../dissectors/totemsrp/types.ts';
import { decodeInnerMcast } from './encapsulation.ts';
import type { EngineAction } from './types.ts';

export interface ObservedRing {
  readonly ringId: RingId;
  readonly members: readonly number[];
  /** 'formed': its token was seen; 'previous': only known from a later commit token's memb entries. */
  readonly source: 'formed' | 'previous';
  /** Capture time (ms) when it was seen. */
  readonly atMs: number;
}

interface RingMessages {
  readonly ringId: RingId;
  readonly bySeq: Map<number, Mcast>;
  delivered: number;
}

export class ListenOnlyObserver {
  private readonly pendingCommit = new Map<string, { ringId: RingId; addr: number[] }>();
  private readonly formed = new Map<string, ObservedRing>();
  private readonly previous = new Map<string, { ringId: RingId; members: Set<number>; atMs: number }>();
  private readonly messages = new Map<string, RingMessages>();
  private current: ObservedRing | null = null;

  constructor(private readonly emit: (a: EngineAction) => void) {}

  step(msg: TotemMessage, nowMs: number): void {
    switch (msg.kind) {
      case 'memb_commit_token': {
        const key = formatRingId(msg.ringId);
        if (!this.formed.has(key)) this.pendingCommit.set(key, { ringId: msg.ringId, addr: [...msg.addr].sort((a, b) => a - b) });
        msg.membList.forEach((e, i) => {
          if (e.ringId.rep === 0) return;
          const k = formatRingId(e.ringId);
          if (this.formed.has(k)) return;
          const p = this.previous.get(k) ?? { ringId: e.ringId, members: new Set<number>(), atMs: nowMs };
          const member = msg.addr[i];
          if (member !== undefined) p.members.add(member);
          this.previous.set(k, p);
        });
        break;
      }
      case 'orf_token': {
        const key = formatRingId(msg.ringId);
        const pending = this.pendingCommit.get(key);
        if (pending !== undefined && !this.formed.has(key)) this.install(pending.ringId, pending.addr, nowMs);
        break;
      }
      case 'mcast':
        this.onMcast(msg);
        break;
      default:
        break;
    }
  }

  /** Every ring seen or inferred, ordered by ring seq then rep. */
  rings(): ObservedRing[] {
    const out: ObservedRing[] = [...this.formed.values()];
    for (const [k, p] of this.previous) {
      if (this.formed.has(k) || p.ringId.seq === 0n) continue;
      out.push({ ringId: p.ringId, members: [...p.members].sort((a, b) => a - b), source: 'previous', atMs: p.atMs });
    }
    return out.sort((a, b) => (a.ringId.seq === b.ringId.seq ? a.ringId.rep - b.ringId.rep : a.ringId.seq < b.ringId.seq ? -1 : 1));
  }

  private install(ringId: RingId, members: number[], nowMs: number): void {
    const prev = this.current;
    if (prev !== null) this.flush(prev.ringId);
    const prevMembers = prev?.members ?? [];
    const trans = members.filter((m) => prevMembers.includes(m));
    const joined = members.filter((m) => !prevMembers.includes(m));
    const left = prevMembers.filter((m) => !members.includes(m));
    const ring: ObservedRing = { ringId, members, source: 'formed', atMs: nowMs };
    this.formed.set(formatRingId(ringId), ring);
    this.pendingCommit.delete(formatRingId(ringId));
    this.current = ring;
    this.emit({ type: 'configuration', kind: 'transitional', ringId, members: trans, joined: [], left });
    this.emit({ type: 'configuration', kind: 'regular', ringId, members, joined, left: [] });
    const j = joined.length ? ` joined: ${joined.join(' ')}` : '';
    const l = left.length ? ` left: ${left.join(' ')}` : '';
    this.emit({ type: 'log', level: 'notice', text: `A new membership (${formatRingId(ringId)}) was formed. Members${j}${l}` });
  }

  private ringMessages(ringId: RingId): RingMessages {
    const key = formatRingId(ringId);
    let r = this.messages.get(key);
    if (r === undefined) {
      r = { ringId, bySeq: new Map(), delivered: 0 };
      this.messages.set(key, r);
    }
    return r;
  }

  private onMcast(m: Mcast): void {
    let msg = m;
    if (m.header.encapsulated === ENCAPSULATED) {
      const inner = decodeInnerMcast(m.payload);
      if (inner === null) return;
      msg = inner;
    }
    const r = this.ringMessages(msg.ringId);
    if (msg.seq <= r.delivered || r.bySeq.has(msg.seq)) return;
    r.bySeq.set(msg.seq, msg);
    // Deliver in order without gaps while the ring is current.
    if (this.current !== null && formatRingId(this.current.ringId) === formatRingId(msg.ringId)) this.deliverContiguous(r);
  }

  private deliverContiguous(r: RingMessages): void {
    for (;;) {
      const next = r.bySeq.get(r.delivered + 1);
      if (next === undefined) return;
      r.bySeq.delete(r.delivered + 1);
      r.delivered++;
      this.emit({ type: 'deliver', ringId: r.ringId, seq: next.seq, sender: next.header.nodeid, payload: next.payload });
    }
  }

  /** At a ring change: what is left of the old ring, in seq order across gaps. */
  private flush(ringId: RingId): void {
    const r = this.messages.get(formatRingId(ringId));
    if (r === undefined) return;
    this.deliverContiguous(r);
    const rest = [...r.bySeq.keys()].sort((a, b) => a - b);
    for (const seq of rest) {
      const m = r.bySeq.get(seq)!;
      r.bySeq.delete(seq);
      r.delivered = seq;
      this.emit({ type: 'deliver', ringId: r.ringId, seq, sender: m.header.nodeid, payload: m.payload });
    }
  }
}
