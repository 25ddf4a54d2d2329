/**
 * totempg reassembly per sending node (wire-format.md §4 receiver rules; CS3 exec/totempg.c
 * `totempg_deliver_fn`, `assembly_ref`).
 *
 * Feed packets of one ring in delivery (seq) order. corosync keeps one assembly buffer per sender
 * nodeid; a packet whose `continuation` differs from the sender's last `fragmented` number puts
 * corosync in throw-away mode. A passive observer sees the same mismatch when the capture lost a
 * packet, so instead of throwing silently we report the broken pieces (`incomplete`) and still
 * deliver every whole message the packet carries.
 *
 * Pure: no I/O, no clocks. Buffers are copied (callers' packet bytes may be transient).
 */
import type { TotempgPacket } from './packet.ts';

/** corosync's MESSAGE_SIZE_MAX (1 MiB): no assembled totempg message is larger. */
export const MAX_ASSEMBLED_BYTES = 1024 * 1024;
/** Senders with a message in progress at once; corosync's PROCESSOR_COUNT_MAX is 384. */
export const MAX_SENDERS = 1024;
/** Bytes held in progress over all senders. */
export const MAX_TOTAL_BYTES = 64 * 1024 * 1024;

/** Where a piece came from, carried through to the assembled message. */
export interface PieceOrigin {
  readonly seq: number;
  readonly frame: number;
  readonly time: number;
}

export interface AssembledPiece {
  /** The complete packed message (group header + service message). */
  readonly bytes: Uint8Array;
  /** Index of the message within the packet that completed it. */
  readonly index: number;
  /** Origin of its first and last piece (the same for a message carried whole). */
  readonly first: PieceOrigin;
  readonly last: PieceOrigin;
  /** Number of packets it spanned. */
  readonly pieces: number;
}

export type IncompleteReason =
  /** The next packet from the sender did not continue it (capture loss, or the sender restarted). */
  | 'missing-tail'
  /** A continuation arrived with no matching head (the head was lost or predates the capture). */
  | 'missing-head'
  /** The ring changed before the rest arrived. */
  | 'ring-change'
  /** The capture ended before the rest arrived. */
  | 'end-of-capture'
  /** It grew past MAX_ASSEMBLED_BYTES. */
  | 'too-large'
  /** Too many senders or bytes in progress at once (memory bound); the newest is given up. */
  | 'overflow';

export interface IncompletePiece {
  readonly nodeid: number;
  readonly reason: IncompleteReason;
  /** Bytes held so far. */
  readonly bytes: number;
  readonly pieces: number;
  readonly first: PieceOrigin;
  readonly last: PieceOrigin;
}

export interface ReassemblyResult {
  readonly complete: AssembledPiece[];
  readonly incomplete: IncompletePiece[];
}

interface Pending {
  chunks: Uint8Array[];
  bytes: number;
  /** The `fragmented` number the next packet must carry as `continuation`. */
  fragNum: number;
  first: PieceOrigin;
  last: PieceOrigin;
  pieces: number;
}

function concat(chunks: readonly Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

export class TotempgReassembler {
  private readonly pending = new Map<number, Pending>();
  /**
   * Senders whose message in progress was already reported as missing its head (a middle piece
   * came first: the capture began, or lost packets, inside the message), with the `fragmented`
   * number its next piece carries. Its later pieces belong to that one reported message and are
   * absorbed, not reported again each (a 20000-byte message cut by the capture start is one
   * incomplete message, not fourteen).
   */
  private readonly headless = new Map<number, number>();

  private total = 0;

  constructor(
    private readonly maxBytes = MAX_ASSEMBLED_BYTES,
    private readonly maxSenders = MAX_SENDERS,
    private readonly maxTotalBytes = MAX_TOTAL_BYTES,
  ) {}

  /** Number of senders with a message in progress. */
  get inProgress(): number {
    return this.pending.size;
  }

  /** Bytes held in unfinished messages. */
  get heldBytes(): number {
    return this.total;
  }

  private drop(nodeid: number): void {
    const p = this.pending.get(nodeid);
    if (p === undefined) return;
    this.total -= p.bytes;
    this.pending.delete(nodeid);
  }

  feed(nodeid: number, packet: TotempgPacket, origin: PieceOrigin): ReassemblyResult {
    const complete: AssembledPiece[] = [];
    const incomplete: IncompletePiece[] = [];
    const msgs = packet.messages;
    let held = this.pending.get(nodeid);
    let start = 0;

    const headlessFrag = this.headless.get(nodeid);
    if (headlessFrag !== undefined) {
      this.headless.delete(nodeid);
      if (packet.continuation !== 0 && packet.continuation === headlessFrag && msgs.length > 0) {
        if (msgs.length === 1 && packet.fragmented !== 0) {
          // Another middle piece of the message already reported.
          this.headless.set(nodeid, packet.fragmented);
          return { complete, incomplete };
        }
        // Its tail: the rest of the packet is new messages.
        return this.feedAfterTail(nodeid, packet, origin);
      }
    }

    if (packet.continuation !== 0) {
      if (held !== undefined && held.fragNum === packet.continuation && msgs.length > 0) {
        const piece = msgs[0]!;
        if (held.bytes + piece.length > this.maxBytes || this.total + piece.length > this.maxTotalBytes) {
          incomplete.push(this.report(nodeid, held, held.bytes + piece.length > this.maxBytes ? 'too-large' : 'overflow'));
          this.drop(nodeid);
          held = undefined;
        } else {
          held.chunks.push(piece.slice());
          held.bytes += piece.length;
          this.total += piece.length;
          held.last = origin;
          held.pieces++;
        }
        start = 1;
        if (held !== undefined && !(msgs.length === 1 && packet.fragmented !== 0)) {
          complete.push({ bytes: concat(held.chunks, held.bytes), index: 0, first: held.first, last: origin, pieces: held.pieces });
          this.drop(nodeid);
          held = undefined;
        }
        if (held !== undefined) {
          // A middle piece: the message continues in the next packet too.
          held.fragNum = packet.fragmented;
          return { complete, incomplete };
        }
      } else {
        if (held !== undefined) {
          incomplete.push(this.report(nodeid, held, 'missing-tail'));
          this.drop(nodeid);
        }
        held = undefined;
        const piece = msgs[0];
        if (piece !== undefined) {
          const lone = msgs.length === 1 && packet.fragmented !== 0;
          if (!lone) {
            incomplete.push({ nodeid, reason: 'missing-head', bytes: piece.length, pieces: 1, first: origin, last: origin });
            start = 1;
          } else {
            // A middle piece with no head: nothing after it can complete either; report at once,
            // and absorb the message's further pieces (see `headless`).
            incomplete.push({ nodeid, reason: 'missing-head', bytes: piece.length, pieces: 1, first: origin, last: origin });
            if (this.headless.size < this.maxSenders) this.headless.set(nodeid, packet.fragmented);
            return { complete, incomplete };
          }
        }
      }
    } else if (held !== undefined) {
      incomplete.push(this.report(nodeid, held, 'missing-tail'));
      this.drop(nodeid);
    }

    return this.feedWhole(nodeid, packet, origin, start, complete, incomplete);
  }

  /** A packet whose first message ended a message already reported: the rest as usual. */
  private feedAfterTail(nodeid: number, packet: TotempgPacket, origin: PieceOrigin): ReassemblyResult {
    const complete: AssembledPiece[] = [];
    const incomplete: IncompletePiece[] = [];
    const held = this.pending.get(nodeid);
    if (held !== undefined) {
      incomplete.push(this.report(nodeid, held, 'missing-tail'));
      this.drop(nodeid);
    }
    return this.feedWhole(nodeid, packet, origin, 1, complete, incomplete);
  }

  /** Delivers the packet's whole messages from `start` and keeps a trailing head. */
  private feedWhole(nodeid: number, packet: TotempgPacket, origin: PieceOrigin, start: number, complete: AssembledPiece[], incomplete: IncompletePiece[]): ReassemblyResult {
    const msgs = packet.messages;
    const lastWhole = packet.fragmented !== 0 ? msgs.length - 1 : msgs.length;
    for (let i = start; i < lastWhole; i++) {
      complete.push({ bytes: msgs[i]!.slice(), index: i, first: origin, last: origin, pieces: 1 });
    }
    if (packet.fragmented !== 0 && lastWhole >= start) {
      const head = msgs[lastWhole]!;
      const reason = head.length > this.maxBytes ? 'too-large' : this.pending.size >= this.maxSenders || this.total + head.length > this.maxTotalBytes ? 'overflow' : undefined;
      if (reason !== undefined) {
        incomplete.push({ nodeid, reason, bytes: head.length, pieces: 1, first: origin, last: origin });
      } else {
        this.pending.set(nodeid, { chunks: [head.slice()], bytes: head.length, fragNum: packet.fragmented, first: origin, last: origin, pieces: 1 });
        this.total += head.length;
      }
    }
    return { complete, incomplete };
  }

  /** Origin of the first piece of `nodeid`'s message in progress, if any. */
  pendingOrigin(nodeid: number): PieceOrigin | undefined {
    return this.pending.get(nodeid)?.first;
  }

  /** Senders with a message in progress. */
  pendingSenders(): number[] {
    return [...this.pending.keys()];
  }

  /** Ends one sender's message in progress (the sender left) and reports it. */
  flushSender(nodeid: number, reason: IncompleteReason): IncompletePiece | undefined {
    this.headless.delete(nodeid);
    const p = this.pending.get(nodeid);
    if (p === undefined) return undefined;
    this.drop(nodeid);
    return this.report(nodeid, p, reason);
  }

  /** Ends every message in progress (ring change, end of capture) and reports it. */
  flush(reason: IncompleteReason): IncompletePiece[] {
    const out: IncompletePiece[] = [];
    for (const [nodeid, p] of this.pending) out.push(this.report(nodeid, p, reason));
    this.pending.clear();
    this.headless.clear();
    this.total = 0;
    return out;
  }

  private report(nodeid: number, p: Pending, reason: IncompleteReason): IncompletePiece {
    return { nodeid, reason, bytes: p.bytes, pieces: p.pieces, first: p.first, last: p.last };
  }
}
