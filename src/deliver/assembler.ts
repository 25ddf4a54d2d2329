/**
 * DeliveryAssembler: reproduces what corosync delivered to its services from a passive capture.
 *
 * Fed decoded MCASTs in capture order, it
 *  - orders each ring's MCASTs by seq in a bounded sort buffer (agreed order; wire-format.md §3.3),
 *  - drops copies of a ring+seq already held or delivered (retransmits; udpu sends one copy per peer),
 *  - unwraps recovery copies (encapsulated = 1: the payload is a whole old-ring MCAST, §6.6) into
 *    the old ring, delivering only old-ring seqs not already seen; the old ring is closed when one
 *    of its senders delivers a regular MCAST on a newer ring (§6.7: recovered messages go first),
 *  - runs totempg reassembly per sender nodeid (§4) the way corosync's receivers do: "trans"
 *    assemblies (per ring) while the ring's sync runs, regular ones (kept across ring changes,
 *    dropped when the sender left) once sync completed, which the sync messages themselves show;
 *  - decodes the service messages (§5) and joins CPG partial_mcast pieces into the message the
 *    CPG client received,
 *  - reports seq gaps (capture loss), incomplete messages (ring change, end, broken fragments)
 *    and decode errors as events instead of dropping anything silently.
 *
 * Pure and I/O free: no clocks, times come from the frames. Memory is bounded by the sort window
 * (MCAST count and bytes per ring), the number of open rings and the reassembly limits.
 */
import { WireError, type Decoded } from '../../dissectors/errors.ts';
import { decodePackedMessage, messageServiceName, serviceSummary } from '../../dissectors/services/index.ts';
import type { ServiceMessage } from '../../dissectors/services/types.ts';
import { printableName } from '../../dissectors/totempg/group.ts';
import { parseTotempg } from '../../dissectors/totempg/packet.ts';
import { TotempgReassembler, type AssembledPiece, type IncompletePiece, type PieceOrigin } from '../../dissectors/totempg/reassembly.ts';
import { decodeTotem as decodeTotemMessage } from '../../dissectors/totemsrp/index.ts';
import { ENCAPSULATED, formatRingId, type Mcast, type RingId, type TotemMessage } from '../../dissectors/totemsrp/types.ts';
import type { DeliveredMessage, DeliveryEvent, DeliveryStats, FrameRef, IncompleteMessage, IncompleteReason } from './types.ts';

export interface DeliveryAssemblerOptions {
  /** Decodes the old-ring MCAST inside a recovery copy. Default: dissectors/totemsrp `decodeTotem`. */
  readonly decodeTotem?: (bytes: Uint8Array) => Decoded<TotemMessage>;
  /** MCASTs held per ring before the oldest missing seq is declared lost. Default 1024. */
  readonly window?: number;
  /** Payload bytes held per ring before the same. Default 64 MiB. */
  readonly windowBytes?: number;
  /** MCASTs looked at before the first ring's starting seq is fixed (capture began mid-ring). Default 32. */
  readonly startLookahead?: number;
  /**
   * MCASTs (capture order) to wait, once a node's first regular MCAST on a newer ring is next in
   * line, before the older ring it left is closed: old-ring frames a merged or reordered capture
   * shows late still get ordered. Default 32.
   */
  readonly transitionHold?: number;
  /** Rings kept open at once (the oldest is closed beyond that). Default 8. */
  readonly maxOpenRings?: number;
  /** Largest CPG message assembled from partial_mcast pieces, and all of them together. Default 64 MiB. */
  readonly maxPartialBytes?: number;
  /** Join CPG partial_mcast pieces into one message (what the CPG client receives). Default true. */
  readonly joinCpgPartials?: boolean;
}

interface Entry {
  readonly mcast: Mcast;
  readonly ref: FrameRef;
  readonly recovered: boolean;
}

interface RingState {
  readonly id: RingId;
  readonly key: string;
  /** Next seq to deliver; undefined until the starting seq is known. */
  next: number | undefined;
  readonly pending: Map<number, Entry>;
  pendingBytes: number;
  /**
   * totempg assemblies used while the ring's sync runs (corosync's "trans" list, selected while
   * waiting_trans_ack is set: from the ring's start until the sync engine completes).
   */
  readonly trans: TotempgReassembler;
  /** Sync completed on this ring: later MCASTs use the regular assemblies. */
  syncDone: boolean;
  /** Senders of service_build for this ring (the sync membership), and the union of their services. */
  readonly syncMembers: Set<number>;
  readonly syncServices: Set<number>;
  /** Barriers for this ring delivered so far; sync completes at members × services. */
  syncBarriers: number;
  /** Created from a regular MCAST (not known only from recovery copies). */
  readonly fromOuter: boolean;
  announced: boolean;
  /** Push count until which delivery waits before closing the older rings a sender left. */
  holdUntil: number | undefined;
  /** Nodeids seen sending on this ring (bounded by MAX_SENDERS). */
  readonly senders: Set<number>;
  /** Nodeids that delivered a regular (not recovered) MCAST on this ring. */
  readonly regularSenders: Set<number>;
}

interface PartialCpg {
  readonly ringId: RingId;
  readonly nodeid: number;
  readonly chunks: Uint8Array[];
  bytes: number;
  pieces: number;
  readonly first: DeliveredMessage;
}

const CLOSED_MEMORY = 64;
/** CPG partial_mcast sequences in progress at once (senders × client processes). */
const MAX_PARTIALS = 4096;
/** PROCESSOR_COUNT_MAX is 384; more distinct senders on one ring is not a real ring. */
const MAX_SENDERS = 1024;

function ringKey(r: RingId): string {
  return `${r.rep}:${r.seq}`;
}

function ringLess(a: RingId, b: RingId): boolean {
  return a.seq < b.seq || (a.seq === b.seq && a.rep < b.rep);
}

export class DeliveryAssembler {
  private readonly decodeTotem: (bytes: Uint8Array) => Decoded<TotemMessage>;
  private readonly window: number;
  private readonly windowBytes: number;
  private readonly startLookahead: number;
  private readonly maxOpenRings: number;
  private readonly maxPartialBytes: number;
  private readonly joinCpgPartials: boolean;
  private readonly transitionHold: number;
  private pushes = 0;
  private finishing = false;
  /** Rings whose delivery waits on a ring transition. */
  private readonly held = new Set<RingState>();
  private lastRing: RingState | undefined;

  private readonly open = new Map<string, RingState>();
  /** Recently closed rings (bounded), with the nodeids seen sending on them. */
  private readonly closed = new Map<string, ReadonlySet<number>>();
  /**
   * corosync's regular totempg assemblies: one per sender nodeid, kept across ring changes (a
   * message begun on the old ring is finished on the new one once sync is over) and dropped only
   * when the sender left. `regularRing` is the ring each message in progress began on.
   */
  private readonly regular = new TotempgReassembler();
  private readonly regularRing = new Map<number, RingId>();
  private sawFirstRing = false;
  private lastAnnounced: RingId | null = null;
  private readonly partials = new Map<string, PartialCpg>();
  private partialBytes = 0;
  private events: DeliveryEvent[] = [];

  readonly stats: DeliveryStats = {
    mcasts: 0,
    duplicates: 0,
    recoveryCopies: 0,
    recoveryDuplicates: 0,
    recoveredMcasts: 0,
    late: 0,
    orderedMcasts: 0,
    gaps: 0,
    missingSeqs: 0,
    messages: 0,
    incomplete: 0,
    errors: 0,
    maxBuffered: 0,
    syncsCompleted: 0,
  };

  constructor(opts: DeliveryAssemblerOptions = {}) {
    this.decodeTotem = opts.decodeTotem ?? decodeTotemMessage;
    this.window = Math.max(1, opts.window ?? 1024);
    this.windowBytes = Math.max(1, opts.windowBytes ?? 64 * 1024 * 1024);
    this.startLookahead = Math.max(1, opts.startLookahead ?? 32);
    this.maxOpenRings = Math.max(2, opts.maxOpenRings ?? 8);
    this.maxPartialBytes = opts.maxPartialBytes ?? 64 * 1024 * 1024;
    this.joinCpgPartials = opts.joinCpgPartials ?? true;
    this.transitionHold = Math.max(0, opts.transitionHold ?? 32);
  }

  /** Feeds one MCAST in capture order; returns what became deliverable. The payload is copied. */
  push(mcast: Mcast, ref: FrameRef): DeliveryEvent[] {
    this.stats.mcasts++;
    this.pushes++;
    const ring = this.ringFor(mcast.ringId, true);
    if (ring === undefined) {
      this.stats.late++;
    } else if (this.isDuplicate(ring, mcast.seq)) {
      this.stats.duplicates++;
    } else {
      // Copy only what is kept: the caller's bytes may be reused after this call.
      this.insert(ring, { mcast: { ...mcast, payload: mcast.payload.slice() }, ref, recovered: false });
    }
    if (this.held.size > 0) for (const r of [...this.held]) if (this.open.has(r.key)) this.drain(r);
    return this.take();
  }

  /** Ends the capture: delivers what is held (reporting gaps) and reports what stayed incomplete. */
  finish(): DeliveryEvent[] {
    this.finishing = true;
    // Transitions waiting out their hold happen first: the rings they end close as ring changes.
    const held = [...this.held].sort((a, b) => (ringLess(a.id, b.id) ? -1 : 1));
    this.held.clear();
    for (const r of held) if (this.open.has(r.key)) this.drain(r);
    // Closing a ring can open an older one (recovery copies of a ring the capture never saw).
    while (this.open.size > 0) {
      let oldest: RingState | undefined;
      for (const r of this.open.values()) if (oldest === undefined || ringLess(r.id, oldest.id)) oldest = r;
      this.close(oldest!, 'end-of-capture');
    }
    for (const nodeid of this.regular.pendingSenders()) {
      const inc = this.regular.flushSender(nodeid, 'end-of-capture');
      if (inc !== undefined) this.reportPiece(this.regularRing.get(nodeid) ?? { rep: 0, seq: 0n }, inc);
    }
    this.regularRing.clear();
    for (const p of this.partials.values()) this.reportPartial(p, 'end-of-capture');
    this.partials.clear();
    this.partialBytes = 0;
    return this.take();
  }

  /** MCASTs currently held in sort buffers (all rings). */
  get buffered(): number {
    let n = 0;
    for (const r of this.open.values()) n += r.pending.size;
    return n;
  }

  private take(): DeliveryEvent[] {
    const out = this.events;
    this.events = [];
    return out;
  }

  private isClosed(id: RingId): boolean {
    return this.closed.has(ringKey(id));
  }

  /** The open ring state for `id`, created on first sight; undefined when the ring is closed. */
  private ringFor(id: RingId, outer: boolean): RingState | undefined {
    // Nearly every MCAST is on the ring of the one before: skip building the key.
    const last = this.lastRing;
    if (last !== undefined && last.id.rep === id.rep && last.id.seq === id.seq && this.open.has(last.key)) return last;
    const key = ringKey(id);
    const found = this.open.get(key);
    if (found !== undefined) {
      this.lastRing = found;
      return found;
    }
    if (this.isClosed(id)) return undefined;
    // Only the first ring of a capture (or an old ring known only from recovery copies) can
    // start mid-ring; every later ring starts at seq 1 (totemsrp resets seqs on a new ring).
    const anchored = outer && this.sawFirstRing;
    if (outer) this.sawFirstRing = true;
    const ring: RingState = {
      id,
      key,
      next: anchored ? 1 : undefined,
      pending: new Map(),
      pendingBytes: 0,
      trans: new TotempgReassembler(),
      // A ring seen from its first seq starts in sync; one the capture joined late is taken as running.
      syncDone: !anchored,
      syncMembers: new Set(),
      syncServices: new Set(),
      syncBarriers: 0,
      fromOuter: outer,
      announced: false,
      holdUntil: undefined,
      senders: new Set(),
      regularSenders: new Set(),
    };
    this.open.set(key, ring);
    this.lastRing = ring;
    if (anchored) {
      // A later ring started: an older ring still waiting for its start to be fixed (a capture
      // begun shortly before a membership change saw fewer than startLookahead of its MCASTs) is
      // fixed now, so its messages are delivered before the new ring's, as its members did.
      for (const r of [...this.open.values()]) {
        if (r !== ring && r.next === undefined && ringLess(r.id, id) && this.open.has(r.key)) {
          this.anchor(r);
          this.drain(r);
        }
      }
    }
    if (this.open.size > this.maxOpenRings) {
      let oldest: RingState | undefined;
      for (const r of this.open.values()) if (r !== ring && (oldest === undefined || ringLess(r.id, oldest.id))) oldest = r;
      if (oldest !== undefined) this.close(oldest, 'ring-change');
    }
    return ring;
  }

  private isDuplicate(ring: RingState, seq: number): boolean {
    return (ring.next !== undefined && seq < ring.next) || ring.pending.has(seq);
  }

  private insert(ring: RingState, e: Entry): void {
    const seq = e.mcast.seq;
    if (this.isDuplicate(ring, seq)) {
      if (e.recovered) this.stats.recoveryDuplicates++;
      else this.stats.duplicates++;
      return;
    }
    ring.pending.set(seq, e);
    ring.pendingBytes += e.mcast.payload.length;
    if (ring.senders.size < MAX_SENDERS) ring.senders.add(e.mcast.header.nodeid);
    if (ring.pending.size > this.stats.maxBuffered) this.stats.maxBuffered = ring.pending.size;
    // Seq 1 is the first seq of every ring: nothing can come before it.
    if (ring.next === undefined && (seq === 1 || ring.pending.size >= this.startLookahead)) this.anchor(ring);
    this.drain(ring);
    while (this.open.has(ring.key) && ring.pending.size > 0 && (ring.pending.size > this.window || ring.pendingBytes > this.windowBytes)) {
      this.skipToOldest(ring);
      this.drain(ring);
    }
  }

  /** Fixes the first ring's starting seq at the lowest seq held. */
  private anchor(ring: RingState): void {
    let min = Infinity;
    for (const s of ring.pending.keys()) if (s < min) min = s;
    if (min === Infinity) {
      ring.next = 1;
      return;
    }
    ring.next = min;
    if (min > 1) this.gap(ring, 1, min - 1, 'capture-start');
    // The capture saw this ring start after all: it begins with its sync round.
    else if (ring.fromOuter && !ring.announced) ring.syncDone = false;
  }

  private skipToOldest(ring: RingState): void {
    if (ring.next === undefined) {
      this.anchor(ring);
      return;
    }
    let min = Infinity;
    for (const s of ring.pending.keys()) if (s < min) min = s;
    if (min !== Infinity && min > ring.next) {
      this.gap(ring, ring.next, min - 1, 'capture-loss');
      ring.next = min;
    }
  }

  private gap(ring: RingState, from: number, to: number, reason: 'capture-loss' | 'capture-start'): void {
    const count = to - from + 1;
    if (reason === 'capture-loss') {
      this.stats.gaps++;
      this.stats.missingSeqs += count;
    }
    this.events.push({ kind: 'gap', gap: { ringId: ring.id, fromSeq: from, toSeq: to, count, reason } });
  }

  private drain(ring: RingState): void {
    if (ring.next === undefined) return;
    for (;;) {
      const e = ring.pending.get(ring.next);
      if (e === undefined) return;
      if (this.leavesOlderRing(ring, e)) {
        ring.holdUntil ??= this.pushes + this.transitionHold;
        const overflow = ring.pending.size > this.window || ring.pendingBytes > this.windowBytes;
        if (this.pushes < ring.holdUntil && !this.finishing && !overflow) {
          this.held.add(ring);
          return;
        }
        ring.holdUntil = undefined;
        this.held.delete(ring);
      }
      ring.pending.delete(ring.next);
      ring.pendingBytes -= e.mcast.payload.length;
      ring.next++;
      this.deliverEntry(ring, e);
      if (!this.open.has(ring.key)) return;
    }
  }

  /** Delivers everything held (in seq order, reporting gaps) and ends the ring's assemblies. */
  private close(ring: RingState, reason: IncompleteReason): void {
    if (ring.next === undefined) this.anchor(ring);
    const seqs = [...ring.pending.keys()].sort((a, b) => a - b);
    for (const s of seqs) {
      const e = ring.pending.get(s);
      if (e === undefined) continue;
      const next = ring.next ?? s;
      if (s > next) this.gap(ring, next, s - 1, 'capture-loss');
      ring.pending.delete(s);
      ring.next = s + 1;
      this.deliverEntry(ring, e);
    }
    ring.pending.clear();
    ring.pendingBytes = 0;
    this.open.delete(ring.key);
    this.held.delete(ring);
    this.closed.set(ring.key, ring.senders);
    if (this.closed.size > CLOSED_MEMORY) {
      const oldestKey = this.closed.keys().next().value;
      if (oldestKey !== undefined) this.closed.delete(oldestKey);
    }
    for (const inc of ring.trans.flush(reason)) this.reportPiece(ring.id, inc);
    // CPG partial pieces stay held across a ring change: libcpg assembles in the client.
  }

  /** `e` is the first regular MCAST of its sender on `ring` and that sender is still on an older open ring. */
  private leavesOlderRing(ring: RingState, e: Entry): boolean {
    if (e.recovered || e.mcast.header.encapsulated === ENCAPSULATED) return false;
    const sender = e.mcast.header.nodeid;
    if (ring.regularSenders.has(sender)) return false;
    for (const r of this.open.values()) if (r !== ring && ringLess(r.id, ring.id) && r.senders.has(sender)) return true;
    return false;
  }

  /**
   * A node is on one ring at a time, and a ring never continues once any member moved on: the first
   * regular MCAST of `sender` on `ring` ends every older open ring `sender` was seen on. Rings
   * the sender was never on (a starting node's singleton ring, another partition) stay open.
   * Recovery copies sit below the first regular MCAST in seq order, so they are all in by now.
   */
  private closeRingsLeftBy(sender: number, ring: RingState): void {
    const older = [...this.open.values()]
      .filter((r) => r !== ring && ringLess(r.id, ring.id) && r.senders.has(sender))
      .sort((a, b) => (ringLess(a.id, b.id) ? -1 : 1));
    for (const r of older) if (this.open.has(r.key)) this.close(r, 'ring-change');
  }

  private deliverEntry(ring: RingState, e: Entry): void {
    const m = e.mcast;
    this.stats.orderedMcasts++;
    if (m.header.encapsulated === ENCAPSULATED) {
      this.stats.recoveryCopies++;
      const inner = this.decodeTotem(m.payload);
      if (inner instanceof WireError || inner.kind !== 'mcast') {
        const error = inner instanceof WireError ? inner : new WireError('deliver.encapsulated_not_mcast', 0, `recovery copy carries a ${inner.kind}, not an mcast`);
        this.error(ring.id, e, 'encapsulated', error);
        return;
      }
      if (ringKey(inner.ringId) === ring.key) {
        // Recovery copies carry old-ring messages; a copy of the ring's own message is malformed.
        this.error(ring.id, e, 'encapsulated', new WireError('deliver.encapsulated_same_ring', 25, `recovery copy on ring ${formatRingId(ring.id)} wraps a message of the same ring`));
        return;
      }
      const innerRing = this.ringFor(inner.ringId, false);
      if (innerRing === undefined) {
        this.stats.recoveryDuplicates++;
        return;
      }
      this.insert(innerRing, { mcast: inner, ref: e.ref, recovered: true });
      return;
    }
    if (!e.recovered && !ring.regularSenders.has(m.header.nodeid)) {
      if (ring.regularSenders.size < MAX_SENDERS) ring.regularSenders.add(m.header.nodeid);
      this.closeRingsLeftBy(m.header.nodeid, ring);
    }
    if (!ring.announced) {
      ring.announced = true;
      this.events.push({ kind: 'ring', ringId: ring.id, previous: this.lastAnnounced, frame: e.ref.frame, time: e.ref.time });
      this.lastAnnounced = ring.id;
    }
    if (e.recovered) this.stats.recoveredMcasts++;
    const le = m.header.littleEndian;
    const packet = parseTotempg(m.payload, le);
    if (packet instanceof WireError) {
      this.error(ring.id, e, 'totempg', packet);
      return;
    }
    const origin: PieceOrigin = { seq: m.seq, frame: e.ref.frame, time: e.ref.time };
    const sender = m.header.nodeid;
    // The assembly list is chosen once per MCAST, as totempg_deliver_fn does.
    if (!ring.syncDone) {
      const res = ring.trans.feed(sender, packet, origin);
      for (const inc of res.incomplete) this.reportPiece(ring.id, inc);
      for (const piece of res.complete) this.deliverPiece(ring, e, piece);
    } else {
      const headRing = this.regularRing.get(sender) ?? ring.id;
      const res = this.regular.feed(sender, packet, origin);
      for (const inc of res.incomplete) this.reportPiece(inc.first === origin ? ring.id : headRing, inc);
      const started = this.regular.pendingOrigin(sender);
      if (started === undefined) this.regularRing.delete(sender);
      else if (started === origin) this.regularRing.set(sender, ring.id);
      for (const piece of res.complete) this.deliverPiece(ring, e, piece, piece.first === origin ? ring.id : headRing);
    }
    if (!ring.syncDone) this.checkSyncDone(ring);
  }

  /**
   * Sync completes (and corosync switches back to the regular assemblies) once every member sent a
   * barrier for every service in the union of the service_build lists (wire-format.md §5.3).
   * Regular messages in progress from nodes that were on an older ring with these members but
   * are not members now are ended: corosync drops a left node's assembly.
   */
  private checkSyncDone(ring: RingState): void {
    const members = ring.syncMembers.size;
    if (members === 0 || ring.syncBarriers < members * ring.syncServices.size) return;
    ring.syncDone = true;
    this.stats.syncsCompleted++;
    for (const nodeid of this.regular.pendingSenders()) {
      if (ring.syncMembers.has(nodeid)) continue;
      const head = this.regularRing.get(nodeid);
      const onHead = head === undefined ? undefined : this.closed.get(ringKey(head));
      if (head === undefined || onHead === undefined || !ringLess(head, ring.id)) continue;
      if (![...ring.syncMembers].some((n) => onHead.has(n))) continue;
      const inc = this.regular.flushSender(nodeid, 'ring-change');
      this.regularRing.delete(nodeid);
      if (inc !== undefined) this.reportPiece(head, inc);
    }
  }

  /** Counts sync messages of `ring` for checkSyncDone. */
  private trackSync(ring: RingState, nodeid: number, svc: ServiceMessage): void {
    if (svc.service !== 'sync' || ring.syncDone) return;
    if (svc.ringId.rep !== ring.id.rep || svc.ringId.seq !== ring.id.seq) return; // "barrier for old ring - discarding"
    if (svc.type === 'service_build') {
      if (ring.syncMembers.size < MAX_SENDERS) ring.syncMembers.add(nodeid);
      for (const id of svc.services) if (ring.syncServices.size < 128) ring.syncServices.add(id);
    } else {
      ring.syncBarriers++;
    }
  }

  private deliverPiece(ring: RingState, e: Entry, piece: AssembledPiece, firstRingId: RingId = ring.id): void {
    const m = e.mcast;
    const le = m.header.littleEndian;
    const packed = decodePackedMessage(piece.bytes, le);
    const svc = packed instanceof WireError ? packed : packed.service;
    if (svc instanceof WireError) {
      this.error(ring.id, e, 'service', svc);
      return;
    }
    if (packed instanceof WireError) return;
    this.trackSync(ring, m.header.nodeid, svc);
    const msg = this.message(ring.id, firstRingId, m, e, piece, packed.groups, packed.grouped.body, svc);
    if (svc.service === 'cpg' && svc.type === 'partial_mcast' && this.joinCpgPartials) {
      this.joinPartial(msg, svc.partialType);
      return;
    }
    this.emit(msg);
  }

  private message(
    ringId: RingId,
    firstRingId: RingId,
    m: Mcast,
    e: Entry,
    piece: AssembledPiece,
    groups: readonly string[],
    serviceBytes: Uint8Array,
    svc: ServiceMessage,
  ): DeliveredMessage {
    const le = m.header.littleEndian;
    let group: string | null = null;
    let pid: number | null = null;
    // Default body: the whole service message (request header included), as the service got it.
    let body = serviceBytes;
    if (svc.service === 'cpg') {
      if (svc.type === 'mcast' || svc.type === 'partial_mcast') {
        body = svc.message;
      }
      if (svc.type !== 'joinlist' && svc.type !== 'downlist' && svc.type !== 'downlist_old') {
        group = printableName(svc.groupName);
        pid = svc.pid;
      }
    }
    return {
      ringId,
      seq: piece.last.seq,
      firstSeq: piece.first.seq,
      firstRingId,
      index: piece.index,
      nodeid: m.header.nodeid,
      littleEndian: le,
      groups,
      service: messageServiceName(svc),
      type: svc.type,
      fn: svc.header.fn,
      group,
      pid,
      body,
      size: body.length,
      summary: serviceSummary(svc, le),
      decoded: svc,
      frames: { first: piece.first.frame, last: piece.last.frame },
      time: piece.last.time,
      recovered: e.recovered,
      pieces: piece.pieces,
    };
  }

  private emit(message: DeliveredMessage): void {
    this.stats.messages++;
    this.events.push({ kind: 'message', message });
  }

  /** CPG partial_mcast: libcpg hands the client one message once the LAST piece arrives. */
  private joinPartial(msg: DeliveredMessage, partialType: number): void {
    const key = `${msg.nodeid}/${msg.pid ?? 0}/${msg.group ?? ''}`;
    const held = this.partials.get(key);
    const lone = (reason: IncompleteReason): void =>
      this.reportPartial({ ringId: msg.ringId, nodeid: msg.nodeid, chunks: [], bytes: msg.size, pieces: msg.pieces, first: msg }, reason);
    if (partialType === 1) {
      if (held !== undefined) {
        this.dropPartial(key, held);
        this.reportPartial(held, 'missing-tail');
      }
      if (msg.size > this.maxPartialBytes) return lone('too-large');
      if (this.partials.size >= MAX_PARTIALS || this.partialBytes + msg.size > this.maxPartialBytes) return lone('overflow');
      this.partials.set(key, { ringId: msg.ringId, nodeid: msg.nodeid, chunks: [msg.body], bytes: msg.size, pieces: msg.pieces, first: msg });
      this.partialBytes += msg.size;
      return;
    }
    if (held === undefined) return lone('missing-head');
    if (held.bytes + msg.size > this.maxPartialBytes || this.partialBytes + msg.size > this.maxPartialBytes) {
      this.dropPartial(key, held);
      this.reportPartial(held, held.bytes + msg.size > this.maxPartialBytes ? 'too-large' : 'overflow');
      return;
    }
    held.chunks.push(msg.body);
    held.bytes += msg.size;
    this.partialBytes += msg.size;
    held.pieces += msg.pieces;
    if (partialType !== 3) return;
    this.dropPartial(key, held);
    const body = new Uint8Array(held.bytes);
    let off = 0;
    for (const c of held.chunks) {
      body.set(c, off);
      off += c.length;
    }
    const first = held.first;
    this.emit({
      ...msg,
      type: 'mcast',
      firstSeq: first.firstSeq,
      firstRingId: first.firstRingId,
      body,
      size: body.length,
      summary: `CPG mcast group ${msg.group ?? ''} pid ${msg.pid ?? 0} from ${sourceOf(msg.decoded)} len ${body.length} (${held.pieces} partial pieces)`,
      frames: { first: first.frames.first, last: msg.frames.last },
      pieces: held.pieces,
    });
  }

  private dropPartial(key: string, p: PartialCpg): void {
    this.partials.delete(key);
    this.partialBytes -= p.bytes;
  }

  private reportPartial(p: PartialCpg, reason: IncompleteReason): void {
    this.incomplete({
      ringId: p.ringId,
      nodeid: p.nodeid,
      layer: 'cpg-partial',
      reason,
      bytes: p.bytes,
      pieces: p.pieces,
      firstSeq: p.first.firstSeq,
      lastSeq: p.first.seq,
      frames: p.first.frames,
      time: p.first.time,
    });
  }

  private reportPiece(ringId: RingId, inc: IncompletePiece): void {
    this.incomplete({
      ringId,
      nodeid: inc.nodeid,
      layer: 'totempg',
      reason: inc.reason,
      bytes: inc.bytes,
      pieces: inc.pieces,
      firstSeq: inc.first.seq,
      lastSeq: inc.last.seq,
      frames: { first: inc.first.frame, last: inc.last.frame },
      time: inc.last.time,
    });
  }

  private incomplete(i: IncompleteMessage): void {
    this.stats.incomplete++;
    this.events.push({ kind: 'incomplete', incomplete: i });
  }

  private error(ringId: RingId, e: Entry, layer: 'encapsulated' | 'totempg' | 'service', error: WireError): void {
    this.stats.errors++;
    this.events.push({
      kind: 'error',
      error: { ringId, seq: e.mcast.seq, nodeid: e.mcast.header.nodeid, frame: e.ref.frame, time: e.ref.time, layer, error },
    });
  }
}

function sourceOf(m: ServiceMessage): number {
  return m.service === 'cpg' && (m.type === 'mcast' || m.type === 'partial_mcast') ? m.sourceNodeid : 0;
}
