/**
 * The delivery view: application messages as corosync delivered them, in agreed order
 * (issue 5). Produced by `DeliveryAssembler` from decoded MCAST messages.
 */
import type { WireError } from '../../dissectors/errors.ts';
import type { ServiceMessage } from '../../dissectors/services/types.ts';
import type { RingId } from '../../dissectors/totemsrp/types.ts';

/** The capture frame an MCAST came from. */
export interface FrameRef {
  /** 1-based frame number. */
  readonly frame: number;
  /** Capture time, seconds since the epoch (fractional). */
  readonly time: number;
}

export interface FrameSpan {
  readonly first: number;
  readonly last: number;
}

export interface DeliveredMessage {
  /** Ring the message was ordered on (the old ring for messages recovered on a new one). */
  readonly ringId: RingId;
  /** Seq of the MCAST that completed the message: its position in agreed order. */
  readonly seq: number;
  /** Seq of the MCAST that carried its first piece (differs when totempg fragmented it). */
  readonly firstSeq: number;
  /** Ring of that first piece: an older ring when the message was finished after a ring change. */
  readonly firstRingId: RingId;
  /** Index of the message among the packed messages of the completing MCAST. */
  readonly index: number;
  /** Sender: header.nodeid of the (inner, for recovered copies) MCAST. */
  readonly nodeid: number;
  readonly littleEndian: boolean;
  /** totempg group names ("a", "sync"). */
  readonly groups: readonly string[];
  /** Service name (`cpg`, `votequorum`, `sync`, `cmap`, `quorum`, ...). */
  readonly service: string;
  /** Message type (`mcast`, `procjoin`, `nodeinfo`, `service_build`, `fn-9`, ...). */
  readonly type: string;
  /** Function number (the raw id for sync messages). */
  readonly fn: number;
  /** CPG group name (corosync's printable form), or null for messages without one. */
  readonly group: string | null;
  /** CPG client pid, or null. */
  readonly pid: number | null;
  /** Body: the application message for CPG mcasts (reassembled for partial mcasts), else the whole service message. */
  readonly body: Uint8Array;
  /** body.length */
  readonly size: number;
  readonly summary: string;
  readonly decoded: ServiceMessage;
  readonly frames: FrameSpan;
  /** Capture time of the frame that completed the message. */
  readonly time: number;
  /** Delivered from a recovery copy (an encapsulated MCAST on the next ring). */
  readonly recovered: boolean;
  /** Number of MCASTs the message spanned (totempg fragments, CPG partial pieces). */
  readonly pieces: number;
}

export type IncompleteReason =
  | 'missing-tail'
  | 'missing-head'
  | 'ring-change'
  | 'end-of-capture'
  | 'too-large'
  | 'overflow';

export interface IncompleteMessage {
  readonly ringId: RingId;
  readonly nodeid: number;
  /** `totempg` for a message split by totempg, `cpg-partial` for a CPG partial_mcast sequence. */
  readonly layer: 'totempg' | 'cpg-partial';
  readonly reason: IncompleteReason;
  /** Bytes held when it was given up. */
  readonly bytes: number;
  readonly pieces: number;
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly frames: FrameSpan;
  readonly time: number;
}

export interface SeqGap {
  readonly ringId: RingId;
  readonly fromSeq: number;
  readonly toSeq: number;
  readonly count: number;
  /** `capture-loss`: seqs the ring used that the capture never saw; `capture-start`: the ring began before the capture. */
  readonly reason: 'capture-loss' | 'capture-start';
}

export interface DeliveryError {
  readonly ringId: RingId;
  readonly seq: number;
  readonly nodeid: number;
  readonly frame: number;
  readonly time: number;
  /** Which layer failed: the encapsulated MCAST, the totempg packet, or the packed message / service message. */
  readonly layer: 'encapsulated' | 'totempg' | 'service';
  readonly error: WireError;
}

export type DeliveryEvent =
  | { readonly kind: 'message'; readonly message: DeliveredMessage }
  | { readonly kind: 'incomplete'; readonly incomplete: IncompleteMessage }
  | { readonly kind: 'gap'; readonly gap: SeqGap }
  | { readonly kind: 'error'; readonly error: DeliveryError }
  /** Delivery moved to a ring (the first message delivered on it). */
  | { readonly kind: 'ring'; readonly ringId: RingId; readonly previous: RingId | null; readonly frame: number; readonly time: number };

export interface DeliveryStats {
  /** MCASTs pushed. */
  mcasts: number;
  /** Copies of a ring+seq already held or delivered (retransmits, udpu per-peer copies). */
  duplicates: number;
  /** Encapsulated recovery copies unwrapped. */
  recoveryCopies: number;
  /** Recovery copies whose old-ring message had already been seen (not delivered again). */
  recoveryDuplicates: number;
  /** Messages delivered from recovery copies only. */
  recoveredMcasts: number;
  /** MCASTs for a ring already closed (arrived too late to order). */
  late: number;
  /** MCASTs delivered (ordered) per ring, all rings. */
  orderedMcasts: number;
  /** Gap events and seqs missing in them. */
  gaps: number;
  missingSeqs: number;
  messages: number;
  incomplete: number;
  errors: number;
  /** Largest number of MCASTs held in one ring's sort buffer. */
  maxBuffered: number;
  /** Sync rounds seen to complete (every member's barrier for every service). */
  syncsCompleted: number;
}
