/**
 * Hand-built DecodedFrame sequences from Totem message values: tokens, mcasts, joins, commit tokens
 * with times. Used by the analysis tests (one scenario per classification) and handy for demos.
 * Addresses follow udpu: node N is 192.0.2.N, tokens 5405→5405, mcasts one unicast per member.
 */
import type { DecodedFrame, Transport } from '../decode/types.ts';
import type {
  MembCommitTokenMembEntry,
  RingId,
  RtrItem,
  TotemHeader,
  TotemMessage,
} from '../../dissectors/totemsrp/types.ts';

const EMPTY = new Uint8Array(0);

export function nodeAddress(nodeid: number): string {
  return `192.0.2.${nodeid}`;
}

function header(type: TotemHeader['type'], nodeid: number, encapsulated = 0, targetNodeid = 0): TotemHeader {
  return { littleEndian: true, version: 3, type, encapsulated, nodeid, targetNodeid };
}

export class FrameFactory {
  private number = 0;
  readonly transport: Transport;
  /** Source address override per nodeid (address-change scenarios). */
  readonly addressOf = new Map<number, string>();

  constructor(transport: Transport = 'udpu') {
    this.transport = transport;
  }

  private addr(nodeid: number): string {
    return this.addressOf.get(nodeid) ?? nodeAddress(nodeid);
  }

  frame(t: number, from: number, to: number | null, totem: TotemMessage): DecodedFrame {
    const tsSec = Math.floor(t);
    const tsNsec = Math.round((t - tsSec) * 1e9);
    return {
      number: ++this.number,
      tsSec,
      tsNsec,
      capLen: 100,
      origLen: 100,
      linkType: 1,
      data: EMPTY,
      status: 'totem',
      transport: this.transport,
      endpoints: {
        ipVersion: 4,
        src: this.addr(from),
        dst: to === null ? '239.192.77.1' : this.addr(to),
        srcPort: 5405,
        dstPort: 5405,
      },
      totem,
    };
  }

  token(
    t: number,
    from: number,
    to: number,
    f: { ring: RingId; seq: number; tokenSeq: number; aru: number; aruAddr?: number; rtr?: readonly number[] },
  ): DecodedFrame {
    const rtrList: RtrItem[] = (f.rtr ?? []).map((seq) => ({ ringId: f.ring, seq }));
    return this.frame(t, from, to, {
      kind: 'orf_token',
      header: header(0, from, 0, this.transport === 'knet' ? to : 0),
      trailer: EMPTY,
      seq: f.seq,
      tokenSeq: f.tokenSeq,
      aru: f.aru,
      aruAddr: f.aruAddr ?? 0,
      ringId: f.ring,
      backlog: 0,
      fcc: 0,
      retransFlg: 0,
      rtrList,
    });
  }

  /** One MCAST; `to` = one destination (udpu fan-out is one frame per member). */
  mcast(
    t: number,
    from: number,
    to: number | null,
    f: { ring: RingId; seq: number; systemFrom?: number; encapsulated?: number; headerNodeid?: number },
  ): DecodedFrame {
    return this.frame(t, from, to, {
      kind: 'mcast',
      // A retransmission is the stored original: header nodeid stays the originator's.
      header: header(1, f.headerNodeid ?? from, f.encapsulated ?? 2),
      trailer: EMPTY,
      systemFrom: f.systemFrom ?? from,
      seq: f.seq,
      thisSeqno: f.seq,
      ringId: f.ring,
      nodeId: 0,
      guarantee: 0,
      payload: EMPTY,
    });
  }

  join(t: number, from: number, to: number | null, f: { proc: readonly number[]; failed?: readonly number[]; ringSeq: bigint; leave?: boolean }): DecodedFrame {
    return this.frame(t, from, to, {
      kind: 'memb_join',
      header: header(3, f.leave === true ? 0 : from),
      trailer: EMPTY,
      systemFrom: from,
      procList: f.proc,
      failedList: f.failed ?? [],
      ringSeq: f.ringSeq,
    });
  }

  commit(
    t: number,
    from: number,
    to: number,
    f: { ring: RingId; addr: readonly number[]; membIndex: number; tokenSeq: number; oldRings?: ReadonlyMap<number, RingId> },
  ): DecodedFrame {
    const membList: MembCommitTokenMembEntry[] = f.addr.map((a, i) => {
      const old = f.oldRings?.get(a);
      const filled = i < f.membIndex && old !== undefined;
      return {
        ringId: filled ? old : { rep: 0, seq: 0n },
        aru: 0,
        highDelivered: 0,
        receivedFlg: filled ? 1 : 0,
      };
    });
    return this.frame(t, from, to, {
      kind: 'memb_commit_token',
      header: header(4, from),
      trailer: EMPTY,
      tokenSeq: f.tokenSeq,
      ringId: f.ring,
      retransFlg: 0,
      membIndex: f.membIndex,
      addr: f.addr,
      membList,
    });
  }

  mergeDetect(t: number, from: number, to: number | null, ring: RingId): DecodedFrame {
    return this.frame(t, from, to, { kind: 'memb_merge_detect', header: header(2, from), trailer: EMPTY, systemFrom: from, ringId: ring });
  }
}

/**
 * A small ring simulator producing realistic frame sequences (wire-format.md §6): formation
 * (joins, commit token two rotations, initial ORF), token rotations with mcasts, and silence.
 */
export class RingScenario {
  readonly f: FrameFactory;
  readonly frames: DecodedFrame[] = [];
  t: number;
  ring: RingId = { rep: 0, seq: 0n };
  members: number[] = [];
  seq = 0;
  tokenSeq = 0;
  /** Last ring each node was in (commit token memb_list). */
  readonly oldRing = new Map<number, RingId>();
  hopMs = 0.2;

  constructor(start = 1_700_000_000, transport: Transport = 'udpu') {
    this.t = start;
    this.f = new FrameFactory(transport);
  }

  private next(nodeid: number): number {
    const order = this.members;
    for (const m of order) if (m > nodeid) return m;
    return order[0] ?? nodeid;
  }

  advance(ms: number): this {
    this.t += ms / 1000;
    return this;
  }

  /** Joins from each node (multicast as udpu fan-out), then commit two rotations, then initial ORF. */
  form(
    members: readonly number[],
    ringSeq: bigint,
    opts: { joinRounds?: number; joinFrom?: readonly number[]; failed?: readonly number[]; ringSeqOf?: (nodeid: number) => bigint } = {},
  ): this {
    const sorted = [...members].sort((a, b) => a - b);
    const rep = sorted[0] ?? 1;
    const prevSeq = this.ring.seq;
    for (let round = 0; round < (opts.joinRounds ?? 2); round++) {
      // New nodes (not in the current ring) send first: their JOIN is what starts the gather.
      const order = opts.joinFrom ?? [...sorted.filter((m) => !this.members.includes(m)), ...sorted.filter((m) => this.members.includes(m))];
      for (const m of order) {
        const old = this.oldRing.get(m);
        for (const dst of sorted) {
          if (dst !== m) this.frames.push(this.f.join(this.t, m, dst, { proc: sorted, failed: opts.failed ?? [], ringSeq: opts.ringSeqOf?.(m) ?? old?.seq ?? prevSeq }));
        }
        this.advance(0.05);
      }
      this.advance(50);
    }
    const ring: RingId = { rep, seq: ringSeq };
    let ts = 0;
    const n = sorted.length;
    // Rotation 1 fills memb_list; rotation 2 carries memb_index == n.
    for (let hop = 0; hop < 2 * n; hop++) {
      const from = sorted[hop % n] ?? rep;
      const to = sorted[(hop + 1) % n] ?? rep;
      const idx = Math.min(hop + 1, n);
      this.frames.push(this.f.commit(this.t, from, to, { ring, addr: sorted, membIndex: idx, tokenSeq: ++ts, oldRings: this.oldRing }));
      this.advance(this.hopMs);
    }
    this.ring = ring;
    this.members = sorted;
    for (const m of sorted) this.oldRing.set(m, ring);
    this.seq = 0;
    this.tokenSeq = 0;
    // Initial ORF token from the rep.
    this.frames.push(this.f.token(this.t, rep, this.next(rep), { ring, seq: 0, tokenSeq: 0, aru: 0xffffffff, aruAddr: rep }));
    this.advance(this.hopMs);
    return this;
  }

  /** Token hops; `sendAt` map: nodeid → number of mcasts it sends on each visit. */
  rotate(
    rotations: number,
    o: {
      mcastsPerVisit?: number;
      holdMs?: number | ((from: number) => number);
      /** Receiver that misses every mcast from others with seq % lossEvery === 0 (until requested). */
      lossy?: { node: number; every: number };
      dropFromCapture?: (kind: 'mcast' | 'token', seq: number) => boolean;
    } = {},
  ): this {
    const hopsTotal = rotations * this.members.length;
    let holder = this.frames.length > 0 ? this.lastHolder() : (this.members[0] ?? 1);
    const missing = this.missing;
    const rtr = this.rtr;
    for (let h = 0; h < hopsTotal; h++) {
      const hold = typeof o.holdMs === 'function' ? o.holdMs(holder) : (o.holdMs ?? this.hopMs);
      this.advance(hold);
      // Retransmit requested seqs this holder has.
      for (let i = rtr.length - 1; i >= 0; i--) {
        const seq = rtr[i] ?? 0;
        if (missing.get(holder)?.has(seq) === true) continue;
        for (const dst of this.members) if (dst !== holder) {
          const origin = this.senderOf.get(seq) ?? holder;
          this.frames.push(this.f.mcast(this.t, holder, dst, { ring: this.ring, seq, systemFrom: origin, headerNodeid: origin }));
        }
        for (const set of missing.values()) set.delete(seq);
        rtr.splice(i, 1);
      }
      for (let k = 0; k < (o.mcastsPerVisit ?? 0); k++) {
        const seq = ++this.seq;
        this.senderOf.set(seq, holder);
        for (const dst of this.members) {
          if (dst === holder) continue;
          if (o.dropFromCapture?.('mcast', seq) === true) continue;
          this.frames.push(this.f.mcast(this.t, holder, dst, { ring: this.ring, seq }));
        }
        if (o.lossy !== undefined && o.lossy.node !== holder && seq % o.lossy.every === 0) {
          let set = missing.get(o.lossy.node);
          if (set === undefined) missing.set(o.lossy.node, (set = new Set()));
          set.add(seq);
        }
        this.advance(0.01);
      }
      // The holder adds what it misses to the rtr list.
      for (const seq of missing.get(holder) ?? []) if (!rtr.includes(seq)) rtr.push(seq);
      let aru = this.seq;
      let aruAddr = 0;
      for (const [node, set] of missing) {
        if (set.size > 0) {
          aru = Math.min(aru, Math.min(...set) - 1);
          aruAddr = node;
        }
      }
      const to = this.next(holder);
      this.tokenSeq++;
      if (o.dropFromCapture?.('token', this.tokenSeq) !== true) {
        this.frames.push(this.f.token(this.t, holder, to, { ring: this.ring, seq: this.seq, tokenSeq: this.tokenSeq, aru, aruAddr, rtr: [...rtr] }));
      }
      holder = to;
    }
    return this;
  }

  readonly senderOf = new Map<number, number>();
  /** node → seqs it has not received yet; the token's rtr list. Persist across rotate() calls. */
  readonly missing = new Map<number, Set<number>>();
  readonly rtr: number[] = [];

  /** A second scenario at the same time sharing the factory and history (the other side of a partition). */
  fork(): RingScenario {
    const s = new RingScenario(this.t, this.f.transport);
    (s as { f: FrameFactory }).f = this.f;
    for (const [k, v] of this.oldRing) s.oldRing.set(k, v);
    s.ring = this.ring;
    s.members = [...this.members];
    s.hopMs = this.hopMs;
    return s;
  }

  /** Take the other scenario's frames (merged by time) and continue from the later clock. */
  absorb(other: RingScenario): this {
    this.frames.push(...other.frames);
    this.frames.sort((a, b) => a.tsSec - b.tsSec || a.tsNsec - b.tsNsec);
    other.frames.length = 0;
    this.t = Math.max(this.t, other.t);
    for (const m of other.members) {
      const v = other.oldRing.get(m);
      if (v !== undefined) this.oldRing.set(m, v);
    }
    return this;
  }

  private lastHolder(): number {
    for (let i = this.frames.length - 1; i >= 0; i--) {
      const fr = this.frames[i];
      const m = fr?.totem;
      if (m?.kind === 'orf_token') return this.next(m.header.nodeid);
    }
    return this.members[0] ?? 1;
  }

  /** The holder sends the token again (token retransmit timer) `times` times without an answer. */
  resendLastToken(times: number, everyMs: number): this {
    for (let i = this.frames.length - 1; i >= 0; i--) {
      const fr = this.frames[i];
      if (fr?.totem?.kind === 'orf_token') {
        const tok = fr.totem;
        const to = this.next(tok.header.nodeid);
        for (let k = 0; k < times; k++) {
          this.advance(everyMs);
          this.frames.push(this.f.token(this.t, tok.header.nodeid, to, { ring: tok.ringId, seq: tok.seq, tokenSeq: tok.tokenSeq, aru: tok.aru, aruAddr: tok.aruAddr }));
        }
        return this;
      }
    }
    return this;
  }

  leave(nodeid: number): this {
    for (const dst of this.members) {
      if (dst !== nodeid) this.frames.push(this.f.join(this.t, nodeid, dst, { proc: this.members.filter((m) => m !== nodeid), failed: [nodeid], ringSeq: this.ring.seq, leave: true }));
    }
    this.advance(1);
    return this;
  }
}
