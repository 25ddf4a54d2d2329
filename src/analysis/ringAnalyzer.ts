/**
 * Ring reconstruction from decoded frames: membership timeline, token rotation and hold times,
 * retransmissions, token loss classification, capture gaps and address changes.
 *
 * Pure and I/O-free: `push(frame)` one decoded frame at a time (files and live sources alike), time
 * comes only from frame timestamps, `finish()` builds the report. Memory is bounded: per node and per
 * active ring state, a fixed circular seq window per active ring (seqWindow.ts), fixed-size
 * distributions, and capped lists (retransmit entries, gap ranges, address changes).
 *
 * Protocol behaviour relied on (shared/reference/wire-format.md):
 * - §6.3: the token's token_seq grows by one per hop, so the hop with token_seq T+1 was sent by the node
 *   that received hop T; a copy with the same token_seq is a retransmitted token; the rep holds the
 *   token when seq is unchanged for seqno_unchanged_const (30) visits; rtr_list entries are appended by
 *   the holder missing them and removed by the holder that re-multicasts them.
 * - §6.4/6.5: JOIN (header nodeid 0 = leave), commit token with addr[] (ring order) and memb_list old
 *   ring ids, two rotations; §6.7: the initial ORF token (seq 0, token_seq 0, aru 0xFFFFFFFF) starts
 *   the new ring.
 * - §2.1/2.2: token destination = knet target_nodeid, udp/udpu the unicast destination address.
 */
import type { DecodedFrame } from '../decode/types.ts';
import type {
  MembCommitToken,
  MembJoin,
  Mcast,
  MembMergeDetect,
  OrfToken,
  RingId,
  TokenHoldCancel,
} from '../../dissectors/totemsrp/types.ts';
import { MESSAGE_TYPE_NAMES, formatRingId, type MessageType } from '../../dissectors/totemsrp/types.ts';
import { Distribution, round3 } from './distribution.ts';
import type { DistributionSummary } from './distribution.ts';
import { REPAIRED, REQUESTED, SEEN, SeqWindow, SeqWindowPool, WINDOW_SIZE, seqDiff } from './seqWindow.ts';
import {
  REPORT_SCHEMA,
  type AddressChangeJson,
  type AnalysisEvent,
  type AnalysisReport,
  type AnalyzerOptions,
  type CaptureGapJson,
  type ChangeClassification,
  type GatherJson,
  type KnetLinksJson,
  type MembershipJson,
  type NearMissJson,
  type PinnedAruJson,
  type RetransmitEntryJson,
  type StormJson,
  type TokenLossJson,
} from './types.ts';
import { buildVerdict } from './verdict.ts';
import { KnetLinkAnalyzer, type KnetLinkOptions, type KnetLinksReport } from './knetLinks.ts';

const INITIAL_ARU = 0xffffffff;
const DEFAULT_SEQNO_UNCHANGED = 30;
/** Without a known token timeout, a token silence this long before the JOINs counts as a loss. */
const DEFAULT_LOSS_THRESHOLD_S = 0.9;
/** A foreign JOIN/ring seen this shortly before the first member JOIN explains the gather. */
const STIMULUS_WINDOW_S = 0.5;
/** After the first ring that follows a loss, wait this long for the other side(s) to form theirs. */
const SETTLE_S = 3;
/** A pinned aru is reported after this many rotations. */
const PIN_ROTATIONS = 10;
const FAIL_RECV_CONST = 2500;
/** Storm: seconds with at least this many new rtr requests. */
const STORM_PER_S = 20;
const MAX_GAP_RANGES = 1000;
const MAX_ADDRESS_CHANGES = 200;
const MAX_MEMBERSHIPS = 10000;
const MAX_TIMELINE = 100000;
const MAX_EVENTS_QUEUED = 10000;
/** Rings with a live seq window at once (each window ~700 KB). */
const MAX_WINDOWS = 8;
/** Delay the capture-loss sweep so reordered frames (merged captures) are not reported missing. */
const SWEEP_LAG_S = 1;
const SWEEP_STEP_S = 0.05;

interface JoinInfo {
  at: number;
  proc: readonly number[];
  failed: readonly number[];
  ringSeq: bigint;
  leave: boolean;
}

interface NodeState {
  readonly nodeid: number;
  readonly addresses: string[];
  /** Current source address per link key (knet: the destination port; udp/udpu: one, key -1). */
  readonly current: Map<number, string>;
  firstSeen: number;
  lastSeen: number;
  frames: number;
  /** Last ring this node was seen in (or became a member of). */
  ring: Ring | null;
  lastJoin: JoinInfo | null;
  lastJoinAt: number;
  leaveAt: number;
  /** The last few leave times (bounded), oldest first: a later clean stop must not explain an earlier failure. */
  leaveTimes: number[];
  /** JOINs since the node last became a member of a formed ring (the gather phase). */
  joinsSinceRing: number;
  leavesSinceRing: number;
  firstJoinSinceRing: number;
  addressFlips: number;
  // Hot-path state kept on the node (no per-frame map lookups).
  holdDist: Distribution | null;
  gapDist: Distribution | null;
  lastForwardTs: number;
  lastForwardRing: Ring | null;
  /** Last source address seen (fast path of the address check). */
  lastSrc: string;
  /** Token destination cache: address → nodeid. */
  lastDstAddr: string;
  lastDstNode: number;
  /** The ring whose `senders` already holds this node (saves a Set insert per token). */
  senderIn: Ring | null;
  /** `nextIn.next(nodeid)`, cached for a ring with a commit token (its order never changes). */
  nextIn: Ring | null;
  nextNode: number;
}

interface PendingSweep {
  ts: number;
  aru: number;
}

interface PinState {
  aru: number;
  addr: number;
  since: number;
  lastAt: number;
  tokens: number;
  reported: boolean;
}

interface LossState {
  readonly ring: Ring;
  readonly at: number;
  readonly detectedAt: number;
  readonly lastSender: number;
  readonly lastTokenSeq: number;
  readonly lastSeq: number;
  readonly lastAru: number;
  readonly copies: number;
  readonly lastHolder: number | null;
  readonly heard: Set<number>;
  joins: number;
  deadline: number;
  readonly successors: Ring[];
  result: TokenLossJson | null;
}

class Ring {
  readonly key: string;
  /** Creation order (the lookup map's insertion order). */
  serial = 0;
  /** Still in the analyzer's lookup map. */
  inMap = false;
  /** Still in activeRings. */
  inActive = false;
  readonly rep: number;
  readonly seq: bigint;
  readonly members = new Set<number>();
  inferred = true;
  commitAddr: readonly number[] | null = null;
  readonly oldRingOf = new Map<number, string>();
  commitFirstAt: number | null = null;
  commitSecondAt: number | null = null;
  commitHops = 0;
  formedAt: number | null = null;
  firstSeen: number;
  lastSeen: number;
  operational = false;
  /** The analyzer's latest frame time when this ring entered `memberships` (>= firstSeen; non-decreasing in list order). */
  listedBound = -Infinity;
  ended = false;
  emitted = false;
  listed = false;
  encapsulated = 0;
  classification: ChangeClassification = 'unknown';
  explanation = '';
  previous: string[] = [];
  gather: GatherJson | null = null;
  /** Ancestor ring keys (bounded), to recognise a merge of two sides of a partition. */
  lineage: string[] = [];
  loss: LossState | null = null;
  /** Loss of a predecessor that this ring resolves. */
  resolves: LossState | null = null;
  gatherAt: number | null = null;
  successors: Ring[] = [];
  joinedList: number[] = [];
  leftList: number[] = [];

  // token
  tokenSeen = false;
  lastTokenTs = 0;
  lastTokenSeq = 0;
  lastTokenSender = 0;
  lastTokenDst = -1;
  lastTokenSeqField = 0;
  lastTokenAru = 0;
  lastTokenCopies = 0;
  readonly senders = new Set<number>();
  refNode = -1;
  refLastTs = -1;
  refLastTokenSeq = 0;
  idleSinceRef = false;
  repLastSeq = -1;
  repUnchanged = 0;
  repVisits = 0;
  prevRtr: number[] = [];
  pin: PinState | null = null;
  pinSpare: PinState | null = null;
  holdCancelAt = -1;
  young = false;
  lossClassified = false;
  /** A member that came back with a fresh ring seq (restarted) and so started the gather. */
  restartedNode = -1;

  // mcast seq window
  window: SeqWindow | null = null;
  sweptTo = 0;
  baselineSet = false;
  maxAru = -1;
  readonly sweeps: PendingSweep[] = [];

  constructor(id: RingId, ts: number) {
    this.key = formatRingId(id);
    this.rep = id.rep;
    this.seq = id.seq;
    this.firstSeen = ts;
    this.lastSeen = ts;
  }

  sortedMembers(): number[] {
    return [...this.members].sort((a, b) => a - b);
  }

  /** Next node after `nodeid` in ring order (ascending nodeid, wrapping). */
  next(nodeid: number): number | null {
    const order = this.commitAddr ?? this.sortedMembers();
    if (order.length === 0) return null;
    for (let i = 0; i < order.length; i++) {
      const m = order[i] as number;
      if (m > nodeid) return m;
    }
    return order[0] ?? null;
  }

  size(): number {
    return this.commitAddr?.length ?? this.members.size;
  }
}

interface EntryState {
  ringKey: string;
  seq: number;
  sender: number | null;
  requestedBy: number;
  requestedAt: number;
  retransmittedBy: number | null;
  repairedAt: number | null;
  inferred: boolean;
}

/** Nodeids below this are looked up in an array (corosync nodelists usually number nodes 1..N). */
const NODE_INDEX_LIMIT = 1024;

/** Leave times kept per node. */
const MAX_LEAVE_TIMES = 8;

export class RingAnalyzer {
  private readonly opts: AnalyzerOptions;
  private readonly tokenMs: number | null;
  private readonly warningMs: number | null;
  private readonly holdMs: number | null;
  private readonly consensusMs: number | null;
  private readonly seqnoUnchanged: number;
  private readonly maxEntries: number;

  private readonly nodes = new Map<number, NodeState>();
  /** `nodes` again, indexed by nodeid for nodeids below NODE_INDEX_LIMIT (the hot path's lookup). */
  private readonly nodeIndex: (NodeState | undefined)[] = new Array<NodeState | undefined>(NODE_INDEX_LIMIT).fill(undefined);
  private readonly ipToNode = new Map<string, number>();
  private readonly rings = new Map<string, Ring>();
  private ringSerial = 0;
  /** Rings in `rings` that pruning may remove (ended, no token loss), in no particular order. */
  private prunable: Ring[] = [];
  private readonly activeRings: Ring[] = [];
  private readonly memberships: Ring[] = [];
  private membershipsDropped = 0;
  private readonly pool = new SeqWindowPool();
  /** Rings in activeRings that hold a seq window. */
  private windowsHeld = 0;
  private lastRing: Ring | null = null;
  /** The RingId object `lastRing` was last looked up with. */
  private lastRingId: RingId | null = null;
  private readonly pendingLosses: LossState[] = [];
  /** Earliest deadline among pendingLosses (Infinity: none due). */
  private nextLossDeadline = Infinity;
  private readonly losses: LossState[] = [];

  /** First frame's time and the latest frame time so far (valid once frameCounts.total > 0). */
  private firstTs = 0;
  private lastTs = -Infinity;
  private readonly frameCounts = { total: 0, totem: 0, knet_control: 0, fragment: 0, duplicate: 0, ignored: 0, error: 0 };
  private readonly messageCounts = new Float64Array(8);
  private readonly transports = new Set<string>();
  private lastTransport: string | undefined = undefined;

  private readonly rotationDist = new Distribution();
  private readonly rotationActiveDist = new Distribution();
  private readonly idleHoldDist = new Distribution();
  private readonly rotationRefs = new Set<number>();
  private lastRotationRef = -1;
  private maxGap: { at: number; node: number; gap_ms: number } | null = null;
  /** maxGap.gap_ms (-Infinity while none). */
  private maxGapMs = -Infinity;
  private readonly tokenRetransmits = new Map<number, number>();
  private readonly nearMisses: NearMissJson[] = [];

  private readonly entries: EntryState[] = [];
  private entriesTruncated = 0;
  private requested = 0;
  private repaired = 0;
  private readonly repairDist = new Distribution();
  private readonly pairs = new Map<string, { sender: number | null; receiver: number; count: number }>();
  private readonly byRequester = new Map<number, number>();
  private readonly timeline = new Map<number, { requested: number; repaired: number }>();
  private readonly pinned: PinnedAruJson[] = [];

  private missingMcasts = 0;
  private missingTokenHops = 0;
  private readonly gapRanges: CaptureGapJson[] = [];
  private gapRangesTruncated = 0;

  private readonly addressChanges: AddressChangeJson[] = [];
  private readonly events: AnalysisEvent[] = [];
  /** knet link statistics (knetLinks.ts), created on the first knet frame. */
  private knetLinks: KnetLinkAnalyzer | null = null;

  constructor(options: AnalyzerOptions = {}) {
    this.opts = options;
    this.tokenMs = options.tokenMs ?? null;
    const pct = options.tokenWarningPercent ?? 75;
    this.warningMs = this.tokenMs !== null && pct > 0 ? (this.tokenMs * pct) / 100 : null;
    // wire-format.md §6.9: token_retransmit = token/(4+0.2), hold = token_retransmit·0.8 − 10.
    this.holdMs =
      options.holdMs ?? (this.tokenMs !== null ? Math.max(30, Math.floor(Math.floor(this.tokenMs / 4.2) * 0.8 - 10)) : null);
    this.consensusMs = options.consensusMs ?? (this.tokenMs !== null ? Math.floor(this.tokenMs * 1.2) : null);
    this.seqnoUnchanged = options.seqnoUnchangedConst ?? DEFAULT_SEQNO_UNCHANGED;
    this.maxEntries = options.maxRetransmitEntries ?? 100000;
  }

  /** knet ping timers from the token timeout (wire-format.md §6.9: ping_timeout = token / pong_count). */
  private knetOptions(): KnetLinkOptions {
    if (this.tokenMs === null) return {};
    const pongCount = 2;
    return {
      pongTimeoutNs: BigInt(Math.round((this.tokenMs / pongCount) * 1e6)),
      pingIntervalNs: BigInt(Math.round((this.tokenMs / (2 * pongCount)) * 1e6)),
      pongCount,
    };
  }

  /** Events since the last drain (only when `queueEvents` is set). */
  drainEvents(): AnalysisEvent[] {
    return this.events.splice(0, this.events.length);
  }

  push(frame: DecodedFrame): void {
    const counts = this.frameCounts;
    counts.total++;
    const ts = frame.tsSec + frame.tsNsec / 1e9;
    if (counts.total === 1) this.firstTs = ts;
    if (ts > this.lastTs) this.lastTs = ts;
    const knet = frame.knet;
    if (knet !== undefined) {
      const ep = frame.endpoints;
      if (ep !== undefined) {
        this.knetLinks ??= new KnetLinkAnalyzer(this.knetOptions());
        this.knetLinks.add({ timeNs: knet.timeNs, src: ep.src, dst: ep.dst, result: knet });
      }
    }
    switch (frame.status) {
      case 'totem':
        break;
      case 'knet-control':
        counts.knet_control++;
        return;
      case 'fragment':
        counts.fragment++;
        return;
      case 'duplicate':
        counts.duplicate++;
        return;
      case 'ignored':
        counts.ignored++;
        return;
      case 'error':
        counts.error++;
        return;
    }
    const msg = frame.totem;
    if (msg === undefined) return;
    counts.totem++;
    const transport = frame.transport;
    if (transport !== this.lastTransport) {
      this.lastTransport = transport;
      if (transport !== undefined) this.transports.add(transport);
    }

    if (ts > this.nextLossDeadline) this.checkPendingLosses(ts);

    // Counted by kind (the decoder picks the kind from the header's type, §3.1): one property read of
    // the message here, where every kind passes.
    const byType = this.messageCounts;
    switch (msg.kind) {
      case 'orf_token':
        byType[0] = (byType[0] ?? 0) + 1;
        this.onToken(frame, msg, ts);
        break;
      case 'mcast':
        byType[1] = (byType[1] ?? 0) + 1;
        this.onMcast(frame, msg, ts);
        break;
      case 'memb_merge_detect':
        byType[2] = (byType[2] ?? 0) + 1;
        this.onMergeDetect(frame, msg, ts);
        break;
      case 'memb_join':
        byType[3] = (byType[3] ?? 0) + 1;
        this.onJoin(frame, msg, ts);
        break;
      case 'memb_commit_token':
        byType[4] = (byType[4] ?? 0) + 1;
        this.onCommit(frame, msg, ts);
        break;
      case 'token_hold_cancel':
        byType[5] = (byType[5] ?? 0) + 1;
        this.onHoldCancel(frame, msg, ts);
        break;
    }
  }

  // ---------------------------------------------------------------- nodes and addresses

  private node(nodeid: number, ts: number): NodeState {
    let n = nodeid < NODE_INDEX_LIMIT && nodeid >= 0 ? this.nodeIndex[nodeid] : this.nodes.get(nodeid);
    if (n === undefined) {
      n = {
        nodeid,
        addresses: [],
        current: new Map(),
        firstSeen: ts,
        lastSeen: ts,
        frames: 0,
        ring: null,
        lastJoin: null,
        lastJoinAt: -Infinity,
        leaveAt: -Infinity,
        leaveTimes: [],
        joinsSinceRing: 0,
        leavesSinceRing: 0,
        firstJoinSinceRing: -Infinity,
        addressFlips: 0,
        holdDist: null,
        gapDist: null,
        lastForwardTs: 0,
        lastForwardRing: null,
        lastSrc: '',
        lastDstAddr: '',
        lastDstNode: -1,
        senderIn: null,
        nextIn: null,
        nextNode: -1,
      };
      this.nodes.set(nodeid, n);
      if (nodeid < NODE_INDEX_LIMIT && nodeid >= 0) this.nodeIndex[nodeid] = n;
    }
    return n;
  }

  /** A frame sent by `nodeid`: liveness, address tracking (§2.2 udpu/udp source address = node). */
  private heard(frame: DecodedFrame, nodeid: number, ts: number, trackAddress = true): NodeState {
    const n = this.node(nodeid, ts);
    n.frames++;
    if (ts > n.lastSeen) n.lastSeen = ts;
    if (ts < n.firstSeen) n.firstSeen = ts;
    if (!trackAddress || nodeid === 0) return n;
    const src = sourceAddress(frame);
    if (src === undefined) return n;
    const knet = frame.transport === 'knet';
    if (src !== n.lastSrc || knet) {
      n.lastSrc = src;
      // knet sends each link from its own address and port; udp/udpu have one address per node.
      const linkKey = knet ? destinationPort(frame) : -1;
      const cur = n.current.get(linkKey);
      if (cur !== src) {
        if (cur === undefined) {
          n.current.set(linkKey, src);
          if (!n.addresses.includes(src)) n.addresses.push(src);
          if (!this.ipToNode.has(src)) this.ipToNode.set(src, nodeid);
        } else {
          this.addressChange(n, linkKey, cur, src, ts);
        }
      }
    }
    return n;
  }

  private addressChange(n: NodeState, linkKey: number, oldAddr: string, newAddr: string, ts: number): void {
    n.current.set(linkKey, newAddr);
    const seenBefore = n.addresses.includes(newAddr);
    if (!seenBefore) n.addresses.push(newAddr);
    const otherOwner = this.ipToNode.get(newAddr);
    this.ipToNode.set(newAddr, n.nodeid);
    if (seenBefore) n.addressFlips++;
    const configured = this.opts.nodeAddresses?.get(n.nodeid);
    let cause: string;
    if (seenBefore && n.addressFlips > 1) {
      cause = `node ${n.nodeid} alternates between ${oldAddr} and ${newAddr}: two hosts configured with the same nodeid, or a floating address moving back and forth`;
    } else if (otherOwner !== undefined && otherOwner !== n.nodeid) {
      cause = `${newAddr} was used by node ${otherOwner} before: a floating address that moved, or a nodeid clash`;
    } else if (configured !== undefined && configured.includes(newAddr)) {
      cause = `back to its configured ring address ${newAddr} (was sending from ${oldAddr})`;
    } else if (configured !== undefined) {
      cause = `${newAddr} is not a configured ring address of node ${n.nodeid} (${configured.join(', ')}): most likely a floating/virtual IP on the interface corosync binds to, picked as source address, or the host was re-addressed`;
    } else {
      cause = `node ${n.nodeid} now sends from ${newAddr} instead of ${oldAddr}: most likely a floating/virtual IP added on the interface corosync binds to (picked as source address), DHCP renumbering, or a second host with the same nodeid`;
    }
    if (this.addressChanges.length >= MAX_ADDRESS_CHANGES) return;
    const change: AddressChangeJson = { at: t6(ts), nodeid: n.nodeid, old_address: oldAddr, new_address: newAddr, likely_cause: cause };
    this.addressChanges.push(change);
    this.emit({ type: 'address_change', at: change.at, change });
  }

  private tokenDestination(frame: DecodedFrame, targetNodeid: number, from: NodeState): number {
    if (frame.transport === 'knet') return targetNodeid !== 0 ? targetNodeid : -1;
    const dst = destinationAddress(frame);
    if (dst === undefined) return -1;
    if (dst === from.lastDstAddr && from.lastDstNode > 0) return from.lastDstNode;
    const node = this.ipToNode.get(dst) ?? -1;
    from.lastDstAddr = dst;
    from.lastDstNode = node;
    return node;
  }

  // ---------------------------------------------------------------- rings

  private ring(id: RingId, ts: number): Ring {
    const last = this.lastRing;
    // The decoder hands out one RingId object while the id repeats: identity first, then the value.
    if (last !== null && (id === this.lastRingId || (last.rep === id.rep && last.seq === id.seq))) {
      this.lastRingId = id;
      if (ts > last.lastSeen) last.lastSeen = ts;
      return last;
    }
    this.lastRingId = id;
    const key = formatRingId(id);
    let r = this.rings.get(key);
    if (r === undefined) {
      r = new Ring(id, ts);
      r.serial = this.ringSerial++;
      r.inMap = true;
      this.rings.set(key, r);
      this.activeRings.push(r);
      r.inActive = true;
      this.pruneRings();
    }
    if (ts > r.lastSeen) r.lastSeen = ts;
    this.lastRing = r;
    return r;
  }

  /** Ended rings that are no longer referenced leave the lookup map (they stay in `memberships`). */
  private pruneRings(): void {
    if (this.rings.size < 256) return;
    // The prunable rings in map order, removed while the map holds more than 128 (a scan of the map
    // in insertion order would remove the same ones).
    if (this.prunable.length > 0) {
      const candidates = this.prunable.sort((a, b) => a.serial - b.serial);
      const kept: Ring[] = [];
      for (const r of candidates) {
        if (!r.inMap || !r.ended || r.loss !== null) continue;
        if (this.rings.size > 128) {
          this.rings.delete(r.key);
          r.inMap = false;
        } else {
          kept.push(r);
        }
      }
      this.prunable = kept;
    }
    for (let i = this.activeRings.length - 1; i >= 0; i--) {
      const r = this.activeRings[i];
      if (r?.ended === true) {
        this.activeRings.splice(i, 1);
        r.inActive = false;
        if (r.window !== null) this.windowsHeld--;
      }
    }
  }

  private becomeOperational(r: Ring, ts: number, firstSeq: number): void {
    if (r.operational) return;
    r.operational = true;
    // Seqs restart at 1 in every ring: a low first seq means the ring had just formed.
    r.young = firstSeq >= 0 && firstSeq <= 16;
    if (!r.listed) {
      r.listed = true;
      r.listedBound = this.lastTs;
      if (this.memberships.length < MAX_MEMBERSHIPS) this.memberships.push(r);
      else this.membershipsDropped++;
    }
    void ts;
  }

  private addMember(r: Ring, nodeid: number, ts: number): void {
    if (nodeid === 0 || !r.inferred || r.members.has(nodeid)) return;
    r.members.add(nodeid);
    const n = this.node(nodeid, ts);
    const before = n.ring;
    if (before !== null && before !== r && before.seq < r.seq) {
      // A ring formed without a commit token on the wire (singleton): inherit the member's lineage.
      if (!r.lineage.includes(before.key)) r.lineage.push(before.key, ...before.lineage.slice(-16));
      if (!r.previous.includes(before.key)) r.previous.push(before.key);
    }
    if (before === null || (before !== r && before.seq < r.seq)) n.ring = r;
  }

  private ensureWindow(r: Ring): SeqWindow {
    if (r.window === null) {
      // Bounded memory: at most MAX_WINDOWS rings track seqs; the longest-silent one is ended.
      if (this.windowsHeld >= MAX_WINDOWS) {
        let oldest: Ring | null = null;
        for (const x of this.activeRings) {
          if (x.window !== null && x !== r && (oldest === null || x.lastSeen < oldest.lastSeen)) oldest = x;
        }
        if (oldest !== null) this.endRing(oldest, oldest.lastSeen);
      }
      r.window = this.pool.take();
      if (r.inActive) this.windowsHeld++;
    }
    return r.window;
  }

  /** `r.next(node) ?? -1` for a ring whose order came from its commit token. */
  private nextInRing(r: Ring, node: NodeState): number {
    if (node.nextIn === r) return node.nextNode;
    const next = r.next(node.nodeid) ?? -1;
    if (r.commitAddr !== null) {
      node.nextIn = r;
      node.nextNode = next;
    }
    return next;
  }

  // ---------------------------------------------------------------- ORF token

  private onToken(frame: DecodedFrame, t: OrfToken, ts: number): void {
    const sender = t.header.nodeid;
    const senderNode = this.heard(frame, sender, ts);
    const r = this.ring(t.ringId, ts);
    const initial = t.tokenSeq === 0 && t.seq === 0 && t.aru === INITIAL_ARU;
    if (initial && r.formedAt === null && !r.tokenSeen) {
      r.formedAt = ts;
      if (!r.baselineSet) {
        r.baselineSet = true;
        r.sweptTo = 0;
      }
    } else if (!r.tokenSeen && r.formedAt === null && r.commitAddr !== null) {
      // The ring formed in the capture but its initial ORF token was not captured.
      r.formedAt = ts;
    }
    this.becomeOperational(r, ts, t.seq);
    if (r.commitAddr !== null && !r.emitted && r.formedAt !== null) this.ringFormed(r, ts);
    this.addMember(r, sender, ts);
    // The next node in ring order once the commit token gave it; the destination address otherwise.
    const dst = r.inferred ? this.tokenDestination(frame, t.header.targetNodeid, senderNode) : this.nextInRing(r, senderNode);
    if (dst > 0) this.addMember(r, dst, ts);
    if (senderNode.ring !== r && (senderNode.ring === null || senderNode.ring.seq <= r.seq)) senderNode.ring = r;

    if (r.tokenSeen) {
      const d = seqDiff(t.tokenSeq, r.lastTokenSeq);
      if (d === 0) {
        // The same hop again: the sender's token retransmit (or the rep's hold retransmit) timer.
        r.lastTokenCopies++;
        if (sender === r.lastTokenSender) this.tokenRetransmits.set(sender, (this.tokenRetransmits.get(sender) ?? 0) + 1);
        return;
      }
      if (d < 0) return; // an older copy, out of order
      if (d === 1) {
        this.hop(r, senderNode, ts, t);
      } else {
        this.tokenJump(r, d - 1, ts);
      }
    } else {
      if (!r.baselineSet) {
        r.baselineSet = true;
        r.sweptTo = t.seq;
      }
    }
    // Per-node forward gaps (what the node's token timer sees) and rotations at the reference node.
    this.forwardGap(r, senderNode, ts);
    this.rotation(r, sender, ts, t);

    this.rtr(r, t, sender, ts);
    this.aru(r, t, ts);

    r.tokenSeen = true;
    r.lastTokenTs = ts;
    r.lastTokenSeq = t.tokenSeq;
    r.lastTokenSender = sender;
    r.lastTokenDst = dst;
    r.lastTokenSeqField = t.seq;
    r.lastTokenAru = t.aru;
    r.lastTokenCopies = 1;
    if (senderNode.senderIn !== r) {
      senderNode.senderIn = r;
      r.senders.add(sender);
    }
    if (r.rep === sender) {
      r.repVisits++;
      if (r.repLastSeq === t.seq) r.repUnchanged++;
      else r.repUnchanged = 0;
      r.repLastSeq = t.seq;
    }
  }

  /** Hop T → T+1 both captured: the sender held the token for ts − arrival. */
  private hop(r: Ring, node: NodeState, ts: number, t: OrfToken): void {
    const sender = node.nodeid;
    const holdMs = (ts - r.lastTokenTs) * 1000;
    // §6.3 step 4: the rep holds the token once seq was unchanged for seqno_unchanged_const visits.
    // When the capture began less than that many visits ago, an unchanged seq on every visit so far
    // counts too.
    if (sender === r.rep && t.seq === r.repLastSeq && t.rtrList.length === 0) {
      const cancelled = r.holdCancelAt >= r.lastTokenTs;
      const enoughIdle =
        r.repUnchanged + 1 >= this.seqnoUnchanged ||
        (r.commitAddr === null && r.repVisits >= 1 && r.repUnchanged + 1 >= r.repVisits);
      const idleFloor = this.holdMs !== null ? this.holdMs * 0.5 : 20;
      if (enoughIdle && (holdMs >= idleFloor || cancelled)) {
        this.idleHoldDist.add(holdMs);
        r.idleSinceRef = true;
        return;
      }
    }
    if (node.holdDist === null) node.holdDist = new Distribution();
    node.holdDist.add(holdMs);
  }

  private forwardGap(r: Ring, node: NodeState, ts: number): void {
    const sender = node.nodeid;
    const prev = node.lastForwardRing === r ? node.lastForwardTs : -1;
    node.lastForwardRing = r;
    node.lastForwardTs = ts;
    if (prev < 0) return;
    const gapMs = (ts - prev) * 1000;
    if (node.gapDist === null) node.gapDist = new Distribution();
    node.gapDist.add(gapMs);
    if (gapMs > this.maxGapMs) {
      this.maxGap = { at: t6(ts), node: sender, gap_ms: round3(gapMs) };
      this.maxGapMs = this.maxGap.gap_ms;
    }
    if (this.warningMs !== null && this.tokenMs !== null && gapMs > this.warningMs) {
      const nm: NearMissJson = {
        at: t6(ts),
        node: sender,
        ring_id: r.key,
        gap_ms: round3(gapMs),
        ratio: Math.round((gapMs / this.tokenMs) * 1000) / 1000,
      };
      if (this.nearMisses.length < 10000) this.nearMisses.push(nm);
      this.emit({ type: 'near_miss', at: nm.at, nearMiss: nm });
    }
  }

  private rotation(r: Ring, sender: number, ts: number, t: OrfToken): void {
    if (r.refNode < 0) {
      // Measure at the rep; fall back to the first sender if the rep's forwards are not captured.
      if (sender === r.rep) r.refNode = sender;
      else if (r.senders.size >= Math.max(2, r.size()) && !r.senders.has(r.rep)) r.refNode = Math.min(...r.senders);
      if (r.refNode < 0) return;
    }
    if (sender !== r.refNode) return;
    const n = r.size();
    if (r.refLastTs >= 0) {
      const hops = seqDiff(t.tokenSeq, r.refLastTokenSeq);
      if (hops > 0 && (n === 0 || hops === n)) {
        const ms = (ts - r.refLastTs) * 1000;
        this.rotationDist.add(ms);
        if (!r.idleSinceRef) this.rotationActiveDist.add(ms);
        if (sender !== this.lastRotationRef) {
          this.lastRotationRef = sender;
          this.rotationRefs.add(sender);
        }
        if (!r.emitted && r.commitAddr === null) this.emitMembership(r, ts);
      }
    }
    r.refLastTs = ts;
    r.refLastTokenSeq = t.tokenSeq;
    r.idleSinceRef = false;
  }

  /** token_seq jumped: hops whose senders the capture otherwise sees are capture loss. */
  private tokenJump(r: Ring, missingHops: number, ts: number): void {
    let sender = r.lastTokenDst > 0 ? r.lastTokenDst : r.next(r.lastTokenSender);
    let lost = 0;
    const limit = Math.min(missingHops, 4096);
    for (let i = 0; i < limit && sender !== null; i++) {
      if (r.senders.has(sender)) lost++;
      sender = r.next(sender);
    }
    if (lost === 0) return;
    this.missingTokenHops += lost;
    this.addGapRange({
      kind: 'token',
      ring_id: r.key,
      from_seq: (r.lastTokenSeq + 1) >>> 0,
      to_seq: (r.lastTokenSeq + missingHops) >>> 0,
      count: lost,
      at: t6(ts),
    });
  }

  // ---------------------------------------------------------------- retransmissions

  private rtr(r: Ring, t: OrfToken, sender: number, ts: number): void {
    const list = t.rtrList;
    const prev = r.prevRtr;
    // Entries that left the list were re-multicast by this holder (§6.3 step 8).
    if (prev.length > 0 && r.window !== null) {
      for (const seq of prev) {
        let still = false;
        for (const item of list) {
          if (item.seq === seq && item.ringId.rep === r.rep && item.ringId.seq === r.seq) {
            still = true;
            break;
          }
        }
        if (!still) this.markRepaired(r, seq, sender, ts, true);
      }
    }
    if (list.length === 0) {
      if (prev.length > 0) r.prevRtr = [];
      return;
    }
    const current: number[] = [];
    for (const item of list) {
      const ir = item.ringId.rep === r.rep && item.ringId.seq === r.seq ? r : this.rings.get(formatRingId(item.ringId));
      if (ir === undefined || (ir !== r && ir.ended)) continue;
      if (ir === r) current.push(item.seq);
      const w = this.ensureWindow(ir);
      const slot = w.claim(item.seq);
      const flags = w.flags[slot] ?? 0;
      if ((flags & REQUESTED) !== 0) continue;
      w.flags[slot] = flags | REQUESTED;
      this.requested++;
      const origin = (flags & SEEN) !== 0 ? (w.senders[slot] ?? 0) : null;
      if (this.entries.length < this.maxEntries) {
        this.entries.push({
          ringKey: ir.key,
          seq: item.seq,
          sender: origin,
          requestedBy: sender,
          requestedAt: ts,
          retransmittedBy: null,
          repairedAt: null,
          inferred: false,
        });
        w.entry[slot] = this.entries.length;
      } else {
        this.entriesTruncated++;
        w.entry[slot] = 0;
      }
      this.byRequester.set(sender, (this.byRequester.get(sender) ?? 0) + 1);
      this.countPair(origin, sender);
      const sec = Math.floor(ts);
      const bucket = this.timeline.get(sec);
      if (bucket !== undefined) bucket.requested++;
      else if (this.timeline.size < MAX_TIMELINE) this.timeline.set(sec, { requested: 1, repaired: 0 });
      this.emit({ type: 'retransmit_request', at: t6(ts), ring_id: ir.key, seq: item.seq, requested_by: sender });
    }
    r.prevRtr = current;
  }

  private countPair(sender: number | null, receiver: number): void {
    const key = `${sender ?? '?'}>${receiver}`;
    const p = this.pairs.get(key);
    if (p !== undefined) p.count++;
    else this.pairs.set(key, { sender, receiver, count: 1 });
  }

  private markRepaired(r: Ring, seq: number, by: number, ts: number, inferred: boolean): void {
    const w = r.window;
    if (w === null) return;
    const slot = w.find(seq);
    if (slot < 0) return;
    const flags = w.flags[slot] ?? 0;
    if ((flags & REQUESTED) === 0 || (flags & REPAIRED) !== 0) return;
    w.flags[slot] = flags | REPAIRED;
    this.repaired++;
    const idx = w.entry[slot] ?? 0;
    const e = idx > 0 ? this.entries[idx - 1] : undefined;
    if (e !== undefined) {
      e.retransmittedBy = by;
      e.repairedAt = ts;
      e.inferred = inferred;
      this.repairDist.add((ts - e.requestedAt) * 1000);
    }
    const bucket = this.timeline.get(Math.floor(ts));
    if (bucket !== undefined) bucket.repaired++;
    else if (this.timeline.size < MAX_TIMELINE) this.timeline.set(Math.floor(ts), { requested: 0, repaired: 1 });
  }

  // ---------------------------------------------------------------- aru: pinned aru, capture loss sweep

  private aru(r: Ring, t: OrfToken, ts: number): void {
    if (t.aru === INITIAL_ARU) return;
    // Pinned aru (§6.3 step 11): the same aru_addr keeps aru below seq rotation after rotation.
    if (t.aruAddr !== 0 && t.aru !== t.seq) {
      const p = r.pin;
      if (p !== null && p.aru === t.aru && p.addr === t.aruAddr) {
        p.tokens++;
        p.lastAt = ts;
        const rotations = Math.floor(p.tokens / Math.max(1, r.size()));
        if (!p.reported && rotations >= PIN_ROTATIONS) {
          p.reported = true;
          this.emit({ type: 'pinned_aru', at: t6(ts), pinned: this.pinJson(r, p) });
        }
      } else {
        this.closePin(r);
        // Reuse the state object: under load aru moves on nearly every token.
        const q = r.pinSpare ?? { aru: 0, addr: 0, since: 0, lastAt: 0, tokens: 0, reported: false };
        q.aru = t.aru;
        q.addr = t.aruAddr;
        q.since = ts;
        q.lastAt = ts;
        q.tokens = 1;
        q.reported = false;
        r.pin = q;
      }
    } else if (r.pin !== null) {
      this.closePin(r);
    }
    // Capture-loss sweep of seqs at or below aru, delayed by SWEEP_LAG_S.
    if (r.maxAru < 0 || seqDiff(t.aru, r.maxAru) > 0) {
      r.maxAru = t.aru;
      // Checkpoints coalesced per SWEEP_STEP_S: the queue stays a few dozen entries long.
      const lastCheckpoint = r.sweeps[r.sweeps.length - 1];
      if (lastCheckpoint !== undefined && ts - lastCheckpoint.ts < SWEEP_STEP_S) lastCheckpoint.aru = t.aru;
      else r.sweeps.push({ ts, aru: t.aru });
    }
    while (r.sweeps.length > 0) {
      const s = r.sweeps[0];
      if (s === undefined || ts - s.ts < SWEEP_LAG_S) break;
      r.sweeps.shift();
      this.sweep(r, s.aru, ts);
    }
  }

  private pinJson(r: Ring, p: PinState): PinnedAruJson {
    const missing = (p.aru + 1) >>> 0;
    let missingSender: number | null = null;
    const w = r.window;
    if (w !== null) {
      const slot = w.find(missing);
      if (slot >= 0 && ((w.flags[slot] ?? 0) & SEEN) !== 0) missingSender = w.senders[slot] ?? null;
    }
    const rotations = Math.floor(p.tokens / Math.max(1, r.size()));
    return {
      ring_id: r.key,
      node: p.addr,
      aru: p.aru,
      missing_seq: missing,
      missing_sender: missingSender,
      from: t6(p.since),
      to: t6(p.lastAt),
      tokens: p.tokens,
      rotations,
      failed_to_receive: p.tokens >= FAIL_RECV_CONST,
    };
  }

  private closePin(r: Ring): void {
    const p = r.pin;
    r.pin = null;
    if (p !== null) r.pinSpare = p;
    if (p === null || !p.reported) return;
    if (this.pinned.length < 1000) this.pinned.push(this.pinJson(r, p));
  }

  /** Seqs in (sweptTo, to] that never appeared although a token's aru passed them: capture loss. */
  private sweep(r: Ring, to: number, ts: number, count = true): void {
    if (!r.baselineSet) {
      r.baselineSet = true;
      r.sweptTo = to;
      return;
    }
    let span = seqDiff(to, r.sweptTo);
    if (span <= 0) return;
    const w = r.window;
    if (span > WINDOW_SIZE) {
      // More than a window behind (should not happen with corosync's 16384-slot queues): skip ahead.
      r.sweptTo = (to - WINDOW_SIZE) >>> 0;
      span = WINDOW_SIZE;
    }
    let runStart = -1;
    let runLen = 0;
    for (let i = 1; i <= span; i++) {
      const seq = (r.sweptTo + i) >>> 0;
      const slot = w === null ? -1 : w.find(seq);
      const seen = slot >= 0 && w !== null && ((w.flags[slot] ?? 0) & SEEN) !== 0;
      if (!seen && count) {
        if (runLen === 0) runStart = seq;
        runLen++;
      } else if (runLen > 0) {
        this.captureGap(r, runStart, runLen, ts);
        runLen = 0;
      }
      if (slot >= 0 && w !== null) w.release(slot);
    }
    if (runLen > 0) this.captureGap(r, runStart, runLen, ts);
    r.sweptTo = to >>> 0;
  }

  private captureGap(r: Ring, from: number, count: number, ts: number): void {
    this.missingMcasts += count;
    this.addGapRange({ kind: 'mcast', ring_id: r.key, from_seq: from, to_seq: (from + count - 1) >>> 0, count, at: t6(ts) });
  }

  private addGapRange(g: CaptureGapJson): void {
    const last = this.gapRanges[this.gapRanges.length - 1];
    if (last !== undefined && last.kind === g.kind && last.ring_id === g.ring_id && ((last.to_seq + 1) >>> 0) === g.from_seq) {
      this.gapRanges[this.gapRanges.length - 1] = { ...last, to_seq: g.to_seq, count: last.count + g.count };
      return;
    }
    if (this.gapRanges.length >= MAX_GAP_RANGES) {
      this.gapRangesTruncated++;
      return;
    }
    this.gapRanges.push(g);
    this.emit({ type: 'capture_gap', at: g.at, gap: g });
  }

  // ---------------------------------------------------------------- MCAST, merge detect, hold cancel

  private onMcast(frame: DecodedFrame, m: Mcast, ts: number): void {
    const origin = m.systemFrom;
    // A retransmitted MCAST is the stored original (header nodeid = originator, §6.3 step 8) sent
    // from the retransmitting node: the source address names the node that sent this copy.
    // Liveness is credited to the header nodeid (the originator sends the first copies); the node
    // that sent a repair copy is resolved only when it matters (copySender).
    const sender = m.header.nodeid;
    const senderNode = this.heard(frame, sender, ts, false);
    const r = this.ring(m.ringId, ts);
    this.becomeOperational(r, ts, m.seq);
    this.addMember(r, m.header.nodeid, ts);
    if (m.header.encapsulated === 1) r.encapsulated++;
    if (senderNode.ring !== r && (senderNode.ring === null || senderNode.ring.seq <= r.seq)) senderNode.ring = r;
    const w = this.ensureWindow(r);
    if (!r.baselineSet) {
      r.baselineSet = true;
      r.sweptTo = (m.seq - 1) >>> 0;
    }
    // A seq more than a window ahead of the sweep point: sweep what must leave the window first.
    // Not counted as capture loss: no token's aru proved those seqs were delivered.
    if (seqDiff(m.seq, r.sweptTo) > WINDOW_SIZE) this.sweep(r, (m.seq - WINDOW_SIZE) >>> 0, ts, false);
    if (seqDiff(m.seq, r.sweptTo) <= 0) {
      // Already swept (late copy of an old seq): it was counted missing only if never seen, so a late
      // retransmission still marks a repair below.
      const slot = w.find(m.seq);
      if (slot >= 0) this.mcastCopy(r, w, slot, frame, m, ts);
      return;
    }
    const slot = w.claim(m.seq);
    const flags = w.flags[slot] ?? 0;
    if ((flags & SEEN) === 0) {
      w.flags[slot] = flags | SEEN;
      w.senders[slot] = origin;
      w.firstTs[slot] = ts;
      const idx = w.entry[slot] ?? 0;
      const e = idx > 0 ? this.entries[idx - 1] : undefined;
      if (e !== undefined && e.sender === null) {
        e.sender = origin;
        this.fixPair(e.requestedBy, origin);
      }
      if ((flags & REQUESTED) !== 0) this.markRepaired(r, m.seq, this.copySender(frame, m), ts, false);
      return;
    }
    this.mcastCopy(r, w, slot, frame, m, ts);
  }

  /** A second copy of a seq: after a request it is the retransmission. */
  private mcastCopy(r: Ring, w: SeqWindow, slot: number, frame: DecodedFrame, m: Mcast, ts: number): void {
    const flags = w.flags[slot] ?? 0;
    if ((flags & REQUESTED) === 0) return; // udpu fan-out copies and unrequested repeats
    const sender = this.copySender(frame, m);
    if ((flags & REPAIRED) === 0) this.markRepaired(r, w.seqs[slot] ?? 0, sender, ts, false);
    else {
      // The repair was inferred from the rtr_list; the copy now seen names the real retransmitter.
      const idx = w.entry[slot] ?? 0;
      const e = idx > 0 ? this.entries[idx - 1] : undefined;
      if (e !== undefined && e.inferred && e.repairedAt !== null && ts <= e.repairedAt + 0.001) {
        e.retransmittedBy = sender;
        e.inferred = false;
      }
    }
  }

  /**
   * The node that sent this MCAST copy. A retransmission is the stored original (header nodeid =
   * originator, §6.3 step 8) sent by another node: knet names the sending host in its header,
   * udp/udpu by the source address.
   */
  private copySender(frame: DecodedFrame, m: Mcast): number {
    const k = frame.knet;
    if (k !== undefined && k.kind === 'data') return k.data.header.node;
    const src = sourceAddress(frame);
    return (src !== undefined ? this.ipToNode.get(src) : undefined) ?? m.header.nodeid;
  }

  private fixPair(receiver: number, sender: number): void {
    const unknown = this.pairs.get(`?>${receiver}`);
    if (unknown !== undefined) {
      unknown.count--;
      if (unknown.count <= 0) this.pairs.delete(`?>${receiver}`);
    }
    this.countPair(sender, receiver);
  }

  private onMergeDetect(frame: DecodedFrame, m: MembMergeDetect, ts: number): void {
    this.heard(frame, m.systemFrom, ts);
    const r = this.ring(m.ringId, ts);
    // Only the representative of an operational ring sends MERGE_DETECT (§6.9 merge timer).
    this.becomeOperational(r, ts, -1);
    this.addMember(r, m.systemFrom, ts);
    const n = this.node(m.systemFrom, ts);
    if (n.ring === null || (n.ring !== r && n.ring.seq <= r.seq)) n.ring = r;
  }

  private onHoldCancel(frame: DecodedFrame, m: TokenHoldCancel, ts: number): void {
    this.heard(frame, m.header.nodeid, ts);
    const r = this.ring(m.ringId, ts);
    // §6.2: the rep releases a held token at once; that hold was idle, cut short.
    r.holdCancelAt = ts;
  }

  // ---------------------------------------------------------------- gather: JOIN

  private onJoin(frame: DecodedFrame, j: MembJoin, ts: number): void {
    const from = j.systemFrom;
    const leave = j.header.nodeid === 0;
    const n = this.heard(frame, from, ts);
    const info: JoinInfo = { at: ts, proc: j.procList, failed: j.failedList, ringSeq: j.ringSeq, leave };
    n.lastJoin = info;
    n.lastJoinAt = ts;
    if (leave) {
      n.leaveAt = ts;
      if (n.leaveTimes.length >= MAX_LEAVE_TIMES) n.leaveTimes.shift();
      n.leaveTimes.push(ts);
      n.leavesSinceRing++;
    } else {
      if (n.joinsSinceRing === 0) n.firstJoinSinceRing = ts;
      n.joinsSinceRing++;
    }
    for (const loss of this.pendingLosses) {
      if (loss.result === null && ts <= loss.deadline) {
        loss.joins++;
        if (!leave && loss.ring.members.has(from) && j.ringSeq === loss.ring.seq) loss.heard.add(from);
      }
    }
    const r = n.ring;
    if (r !== null && r.operational && !r.ended && r.gatherAt === null && r.members.has(from) && j.ringSeq >= r.seq) {
      this.gatherStarted(r, ts, from, info);
    }
  }

  /** First sign that ring `r` stopped: decide whether its token was lost (§6.9 token timeout). */
  private gatherStarted(r: Ring, ts: number, by: number, join: JoinInfo | null): void {
    r.gatherAt = ts;
    if (!r.tokenSeen) return;
    const since = r.lastTokenTs - 0.2;
    for (const m of r.members) {
      const n = this.nodes.get(m);
      if (n !== undefined && n.leaveAt >= since) return; // a clean leave started the gather
    }
    if (join !== null && !join.leave && join.failed.includes(by)) return; // FAILED TO RECEIVE
    if (join !== null && !join.leave && join.ringSeq !== r.seq) {
      // A member whose JOIN names another ring seq was restarted (§6.8: a fresh start loads the stored
      // seq + 1) before the others' token timer expired: its old instance died.
      r.restartedNode = by;
      return;
    }
    // A foreign node or ring right before the first member JOIN explains the gather (join, merge).
    const windowStart = Math.max(since, ts - STIMULUS_WINDOW_S);
    for (const [id, n] of this.nodes) {
      if (!r.members.has(id) && n.lastJoinAt >= windowStart && n.lastJoinAt <= ts) return;
    }
    for (const other of this.activeRings) {
      if (other !== r && !other.ended && other.lastSeen >= windowStart && other.firstSeen <= ts && !sameNodes(other, r)) {
        return;
      }
    }
    const gapS = ts - r.lastTokenTs;
    const threshold = this.tokenMs !== null ? (this.tokenMs / 1000) * 0.5 : DEFAULT_LOSS_THRESHOLD_S;
    if (gapS < threshold) return;
    const lastHolder = r.lastTokenDst > 0 ? r.lastTokenDst : r.next(r.lastTokenSender);
    const loss: LossState = {
      ring: r,
      at: r.lastTokenTs,
      detectedAt: ts,
      lastSender: r.lastTokenSender,
      lastTokenSeq: r.lastTokenSeq,
      lastSeq: r.lastTokenSeqField,
      lastAru: r.lastTokenAru,
      copies: r.lastTokenCopies,
      lastHolder,
      heard: new Set(join !== null && !join.leave ? [by] : []),
      joins: join !== null ? 1 : 0,
      deadline: Infinity,
      successors: [],
      result: null,
    };
    r.loss = loss;
    this.pendingLosses.push(loss);
  }

  // ---------------------------------------------------------------- COMMIT token

  private onCommit(frame: DecodedFrame, c: MembCommitToken, ts: number): void {
    this.heard(frame, c.header.nodeid, ts);
    const r = this.ring(c.ringId, ts);
    r.commitHops++;
    if (r.commitAddr === null) {
      r.commitAddr = [...c.addr];
      r.inferred = false;
      r.members.clear();
      for (const a of c.addr) r.members.add(a);
      r.commitFirstAt = ts;
    }
    if (r.commitSecondAt === null && c.membIndex >= c.addr.length && c.addr.length > 0) r.commitSecondAt = ts;
    for (let i = 0; i < c.membList.length; i++) {
      const e = c.membList[i];
      const a = c.addr[i];
      if (e === undefined || a === undefined || e.ringId.rep === 0) continue;
      if (!r.oldRingOf.has(a)) r.oldRingOf.set(a, formatRingId(e.ringId));
    }
    // Predecessor rings end; a predecessor that never showed a gather gets its cause decided now.
    for (const a of c.addr) {
      const n = this.nodes.get(a);
      const prev = n?.ring;
      if (prev === null || prev === undefined || prev === r) continue;
      if (prev.operational && prev.gatherAt === null && !prev.ended) this.gatherStarted(prev, ts, a, null);
    }
  }

  /** The ring is operational (initial ORF token): membership record, joined/left, classification. */
  private ringFormed(r: Ring, ts: number): void {
    const members = r.commitAddr ?? r.sortedMembers();
    const prevKeys: string[] = [];
    const prevRings: Ring[] = [];
    const oldOf = (m: number): Ring | null => {
      const key = r.oldRingOf.get(m);
      if (key !== undefined) return this.rings.get(key) ?? null;
      const nr = this.nodes.get(m)?.ring ?? null;
      return nr !== r ? nr : null;
    };
    for (const m of members) {
      const key = r.oldRingOf.get(m) ?? (oldOf(m)?.key ?? null);
      if (key !== null && !prevKeys.includes(key)) prevKeys.push(key);
      const pr = oldOf(m);
      if (pr !== null && pr.operational && !prevRings.includes(pr)) prevRings.push(pr);
    }
    r.previous = prevKeys;
    const repPrev = oldOf(r.rep);
    const repPrevKnown = repPrev !== null && repPrev.operational;
    if (repPrevKnown) {
      r.joinedList = members.filter((m) => !repPrev.members.has(m));
      r.leftList = repPrev.sortedMembers().filter((m) => !members.includes(m));
    } else {
      // The rep's earlier ring was not captured (a ring of one sends nothing with knet). Members that
      // come from that same ring (commit memb_list) were already with the rep; the rest joined.
      // Without that information (start-up), corosync reports everyone as joined.
      const repOld = r.oldRingOf.get(r.rep);
      r.joinedList = repOld === undefined ? [...members] : members.filter((m) => r.oldRingOf.get(m) !== repOld);
      r.leftList = [];
    }
    // Lineage (bounded) for recognising merges of two sides of a partition.
    const lineage = new Set<string>();
    for (const p of prevRings) {
      lineage.add(p.key);
      for (const k of p.lineage) lineage.add(k);
    }
    r.lineage = [...lineage].slice(-32);
    r.gather = this.gatherSummary(members, ts);

    // Each predecessor ends here; rings whose token was lost gain this ring as a successor.
    for (const p of prevRings) {
      if (!p.successors.includes(r)) p.successors.push(r);
      this.endRing(p, ts);
      const loss = p.loss;
      if (loss !== null && loss.result === null) {
        if (!loss.successors.includes(r)) loss.successors.push(r);
        loss.deadline = Math.min(loss.deadline, ts + SETTLE_S + (this.consensusMs ?? 0) / 1000);
        if (loss.deadline < this.nextLossDeadline) this.nextLossDeadline = loss.deadline;
        if (r.resolves === null) r.resolves = loss;
      }
    }
    for (const m of members) {
      const n = this.node(m, ts);
      n.ring = r;
      n.joinsSinceRing = 0;
      n.leavesSinceRing = 0;
      n.firstJoinSinceRing = -Infinity;
    }
    this.classifyFormation(r, prevRings, repPrevKnown ? repPrev : null);
    this.emitMembership(r, ts);
  }

  private gatherSummary(members: readonly number[], ts: number): GatherJson | null {
    let joins = 0;
    let leaves = 0;
    let first: number | null = null;
    let last: number | null = null;
    const byNode: GatherJson['last_join_by_node'][number][] = [];
    for (const m of members) {
      const n = this.nodes.get(m);
      if (n === undefined) continue;
      joins += n.joinsSinceRing;
      leaves += n.leavesSinceRing;
      if (n.joinsSinceRing > 0 && (first === null || n.firstJoinSinceRing < first)) first = n.firstJoinSinceRing;
      const lj = n.lastJoin;
      if (lj !== null && n.joinsSinceRing > 0 && lj.at <= ts) {
        if (last === null || lj.at > last) last = lj.at;
        byNode.push({
          nodeid: m,
          at: t6(lj.at),
          proc_list: [...lj.proc],
          failed_list: [...lj.failed],
          ring_seq: lj.ringSeq.toString(16),
        });
      }
    }
    if (joins === 0 && leaves === 0) return null;
    return {
      joins,
      leaves,
      first_join_at: first === null ? null : t6(first),
      last_join_at: last === null ? null : t6(last),
      last_join_by_node: byNode,
    };
  }

  private classifyFormation(r: Ring, prevRings: readonly Ring[], repPrev: Ring | null): void {
    const repPrevKnown = repPrev !== null;
    const left = r.leftList;
    const joined = r.joinedList;
    if (r.resolves !== null) {
      r.classification = 'unknown';
      r.explanation = `formed after the token of ${r.resolves.ring.key} was lost (classification pending)`;
      return;
    }
    const real = prevRings.filter((p) => p.members.size > 0);
    if (real.length >= 2) {
      const shared = real.some((a, i) => real.some((b, k) => k > i && (a.lineage.some((x) => b.lineage.includes(x)))));
      const bothMulti = real.filter((p) => p.members.size >= 2).length >= 2;
      if (shared || bothMulti) {
        r.classification = 'merge';
        r.explanation = `rings ${real.map((p) => p.key).join(' and ')} merged (a partition healed)`;
        return;
      }
    }
    const restarted = prevRings.map((p) => p.restartedNode).find((n) => n !== undefined && n > 0);
    if (restarted !== undefined && left.length === 0) {
      r.classification = 'node_died';
      r.explanation = `node ${restarted} restarted before its token timeout expired (it rejoined with a fresh ring sequence): its previous instance died`;
      return;
    }
    const failedToRecv = this.failedToReceive(r);
    if (failedToRecv !== null) {
      r.classification = 'failed_to_receive';
      r.explanation = `node ${failedToRecv} gave up on a message it could not receive (FAILED TO RECEIVE) and the ring re-formed`;
      return;
    }
    if (left.length > 0) {
      const since = repPrev?.firstSeen ?? -Infinity;
      const clean = left.filter((m) => (this.nodes.get(m)?.leaveAt ?? -Infinity) >= since);
      if (clean.length === left.length) {
        r.classification = 'clean_leave';
        r.explanation = `node${left.length > 1 ? 's' : ''} ${left.join(', ')} left with a leave message (clean shutdown)`;
        return;
      }
      r.classification = 'unknown';
      r.explanation = `node${left.length > 1 ? 's' : ''} ${left.join(', ')} left without a leave message or a visible token loss`;
      return;
    }
    if (!repPrevKnown && prevRings.length === 0) {
      r.classification = 'startup';
      r.explanation = `first ring of node${joined.length > 1 ? 's' : ''} ${joined.join(', ')} (start-up)`;
      return;
    }
    if (joined.length > 0) {
      r.classification = 'node_joined';
      r.explanation = `node${joined.length > 1 ? 's' : ''} ${joined.join(', ')} joined`;
      return;
    }
    r.classification = 'unknown';
    r.explanation = 'same members re-formed the ring without a visible token loss';
  }

  private failedToReceive(r: Ring): number | null {
    for (const m of r.members) {
      const j = this.nodes.get(m)?.lastJoin;
      if (j !== null && j !== undefined && !j.leave && j.failed.includes(m) && j.at >= (r.commitFirstAt ?? 0) - 30) return m;
    }
    return null;
  }

  private endRing(r: Ring, ts: number): void {
    if (r.ended) return;
    r.ended = true;
    if (r.inMap && r.loss === null) this.prunable.push(r);
    this.closePin(r);
    if (r.window !== null) {
      for (const s of r.sweeps) this.sweep(r, s.aru, ts);
      r.sweeps.length = 0;
      this.pool.give(r.window);
      r.window = null;
      if (r.inActive) this.windowsHeld--;
    }
    if (!r.emitted && r.operational) this.emitMembership(r, ts);
  }

  // ---------------------------------------------------------------- loss classification

  private checkPendingLosses(ts: number): void {
    for (let i = this.pendingLosses.length - 1; i >= 0; i--) {
      const loss = this.pendingLosses[i];
      if (loss !== undefined && ts > loss.deadline) {
        this.pendingLosses.splice(i, 1);
        this.finishLoss(loss);
      }
    }
    let next = Infinity;
    for (const loss of this.pendingLosses) if (loss.deadline < next) next = loss.deadline;
    this.nextLossDeadline = next;
  }

  private leftBetween(nodeid: number, from: number, to: number): boolean {
    return (this.nodes.get(nodeid)?.leaveTimes ?? []).some((t) => t >= from && t <= to);
  }

  private finishLoss(loss: LossState): void {
    const r = loss.ring;
    const old = r.sortedMembers();
    const groups: number[][] = [];
    const inNew = new Set<number>();
    for (const s of loss.successors) {
      const g = old.filter((m) => s.members.has(m) && (s.oldRingOf.get(m) ?? r.key) === r.key);
      if (g.length > 0) groups.push(g);
      for (const m of g) {
        inNew.add(m);
        loss.heard.add(m);
      }
    }
    // A node that formed a ring on its own after the loss (isolated) shows up as a successor of r
    // only if the capture saw its commit token; a singleton ring needs no commit on the wire, so
    // look for rings whose only member was an old member heard after the loss.
    // Rings listed before the loss (listedBound < loss.at) were all first seen before it: skip them.
    const list = this.memberships;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((list[mid]?.listedBound ?? Infinity) < loss.at) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < list.length; i++) {
      const other = list[i];
      if (other === undefined || other === r || loss.successors.includes(other) || other.firstSeen < loss.at) continue;
      if (other.members.size === 1) {
        const only = [...other.members][0];
        if (only !== undefined && old.includes(only) && !inNew.has(only) && (other.seq - r.seq) % 4n === 0n) {
          groups.push([only]);
          inNew.add(only);
          loss.heard.add(only);
          if (!loss.successors.includes(other)) loss.successors.push(other);
        }
      }
    }
    const missing = old.filter((m) => !inNew.has(m));
    // A leave explains the change only if it came between the last token and the new ring.
    const successorFormed = loss.successors.reduce((t, s2) => Math.min(t, s2.formedAt ?? s2.firstSeen), Infinity);
    const left = missing.filter((m) => this.leftBetween(m, loss.at - 0.2, successorFormed));
    const failed = missing.filter((m) => !left.includes(m));
    const aliveMissing = failed.filter((m) => loss.heard.has(m));
    // Heard = a JOIN still naming the old ring, or membership in a ring formed from it (a restarted
    // node's fresh JOINs do not count: it was dead meanwhile).
    const silent = old.filter((m) => !loss.heard.has(m) && !left.includes(m));
    let cls: ChangeClassification;
    let why: string;
    const holder = loss.lastHolder;
    const tokenStory =
      `token last seen at ${fmtT(loss.at)} from node ${loss.lastSender}` +
      (holder !== null ? ` to node ${holder}` : '') +
      (loss.copies > 1 ? ` (sent ${loss.copies} times: node ${holder ?? '?'} never forwarded it)` : '');
    if (groups.length >= 2) {
      const singles = groups.filter((g) => g.length === 1);
      if (groups.length === 2 && singles.length === 1) {
        cls = 'node_isolated';
        why = `node ${singles[0]?.[0]} was isolated: it formed its own ring while ${groups.find((g) => g.length > 1)?.join(', ')} formed another; ${tokenStory}`;
      } else {
        cls = 'partition';
        why = `the ring split into ${groups.map((g) => `{${g.join(',')}}`).join(' and ')}; ${tokenStory}`;
      }
    } else if (failed.length === 0 && groups.length === 1) {
      if (left.length > 0) {
        cls = 'clean_leave';
        why = `node${left.length > 1 ? 's' : ''} ${left.join(', ')} left with a leave message; ${tokenStory}`;
      } else {
        cls = 'network_loss';
        why = `the token was lost but all members (${old.join(', ')}) formed the new ring: transient network loss; ${tokenStory}`;
      }
    } else if (groups.length === 0) {
      cls = 'network_loss';
      why = `the token was lost and no new ring formed in the capture; ${tokenStory}`;
    } else if (aliveMissing.length === 0) {
      cls = 'node_died';
      why = `node${failed.length > 1 ? 's' : ''} ${failed.join(', ')} died: nothing heard from ${failed.length > 1 ? 'them' : 'it'} after the token loss (or cut off from the capture point); ${tokenStory}`;
    } else if (failed.length === 1) {
      cls = 'node_isolated';
      why = `node ${failed[0]} was isolated: it kept sending JOINs but is not in the new ring; ${tokenStory}`;
    } else {
      cls = 'partition';
      why = `nodes ${failed.join(', ')} are alive but not in the new ring; ${tokenStory}`;
    }
    const main = loss.successors.find((s) => s.members.has(loss.lastSender)) ?? loss.successors[0] ?? null;
    let consensusAt: number | null = null;
    for (const s of loss.successors) {
      if (s.commitFirstAt !== null && (consensusAt === null || s.commitFirstAt < consensusAt)) consensusAt = s.commitFirstAt;
    }
    const formed = main?.formedAt ?? null;
    const result: TokenLossJson = {
      at: t6(loss.at),
      detected_at: t6(loss.detectedAt),
      ring_id: r.key,
      last_token: {
        sender: loss.lastSender,
        token_seq: loss.lastTokenSeq,
        seq: loss.lastSeq,
        aru: loss.lastAru,
        copies: loss.copies,
      },
      last_holder: holder,
      silent_nodes: silent,
      missing,
      groups,
      new_rings: loss.successors.map((s) => s.key),
      classification: cls,
      explanation: why,
      joins: loss.joins,
      consensus_at: consensusAt === null ? null : t6(consensusAt),
      last_token_to_new_ring_ms: formed === null ? null : round3((formed - loss.at) * 1000),
    };
    loss.result = result;
    this.losses.push(loss);
    for (const s of loss.successors) {
      if (s.resolves === loss || s.resolves === null) {
        s.classification = cls;
        s.explanation = why;
        s.lossClassified = true;
      }
    }
    this.emit({ type: 'token_loss', at: result.at, loss: result });
  }

  // ---------------------------------------------------------------- events and report

  private emit(e: AnalysisEvent): void {
    this.opts.onEvent?.(e);
    if (this.opts.queueEvents === true) {
      if (this.events.length >= MAX_EVENTS_QUEUED) this.events.shift();
      this.events.push(e);
    }
  }

  private emitMembership(r: Ring, ts: number): void {
    if (r.emitted) return;
    r.emitted = true;
    if (this.opts.onEvent === undefined && this.opts.queueEvents !== true) return;
    this.emit({ type: 'membership', at: t6(r.formedAt ?? ts), membership: this.membershipJson(r) });
  }

  /** Rings without a commit token on the wire: single-node rings form without one (start-up, isolation). */
  private inferredStory(r: Ring): void {
    if (r.commitAddr !== null || r.lossClassified) return;
    const only = r.members.size === 1 ? [...r.members][0] : undefined;
    // A single node first heard in this ring, after the capture began: it just started.
    const freshNode =
      only !== undefined &&
      this.frameCounts.total > 0 &&
      r.firstSeen - this.firstTs > 1 &&
      (this.nodes.get(only)?.firstSeen ?? 0) >= r.firstSeen - 0.5;
    if (only !== undefined && r.previous.length === 0 && (r.young || freshNode)) {
      r.classification = 'startup';
      r.explanation = `single-node ring of node ${only} at start-up (a ring of one needs no commit token on the wire)`;
      r.joinedList = [only];
    } else if (only !== undefined && r.previous.length > 0) {
      r.classification = 'unknown';
      r.explanation = `single-node ring of node ${only} after ${r.previous.join(', ')} (formed alone: no commit token on the wire)`;
    } else if (r.young && this.frameCounts.total > 0 && r.firstSeen - this.firstTs > 1) {
      r.classification = 'unknown';
      r.explanation = 'ring formed in the capture but its commit token was not captured; members inferred from the token path and senders';
    } else {
      r.classification = 'first_seen';
      r.explanation = 'ring already running when the capture started; members inferred from the token path and senders';
    }
  }

  private membershipJson(r: Ring): MembershipJson {
    this.inferredStory(r);
    const members = r.commitAddr !== null ? [...r.commitAddr] : r.sortedMembers();
    const formedHere = r.commitAddr !== null || r.classification === 'startup';
    return {
      ring_id: r.key,
      rep: r.rep,
      seq: Number(r.seq),
      members,
      joined: formedHere ? r.joinedList : [],
      left: formedHere ? r.leftList : [],
      formed_at: r.formedAt === null ? null : t6(r.formedAt),
      first_seen: t6(r.firstSeen),
      last_seen: t6(r.lastSeen),
      inferred: r.inferred,
      previous_rings: r.previous,
      classification: r.classification,
      explanation: r.explanation,
      gather: r.gather,
      commit:
        r.commitFirstAt === null
          ? null
          : { first_at: t6(r.commitFirstAt), second_rotation_at: r.commitSecondAt === null ? null : t6(r.commitSecondAt), hops: r.commitHops },
      recovery: r.commitAddr !== null ? { started_at: r.formedAt === null ? null : t6(r.formedAt), encapsulated_messages: r.encapsulated } : null,
    };
  }

  private messageCountsJson(): Record<string, number> {
    const out: Record<string, number> = {};
    for (let type = 0; type < 6; type++) {
      const count = this.messageCounts[type] ?? 0;
      if (count > 0) out[MESSAGE_TYPE_NAMES[type as MessageType]] = count;
    }
    return out;
  }

  /** End of input: settle pending state and build the report. The analyzer is spent afterwards. */
  finish(): AnalysisReport {
    const end = this.frameCounts.total > 0 ? this.lastTs : 0;
    // Rings that formed in the capture but whose initial token was missed still get a record.
    for (const r of this.rings.values()) {
      if (r.commitAddr !== null && !r.emitted && r.operational) this.ringFormed(r, r.formedAt ?? end);
    }
    for (const loss of this.pendingLosses.splice(0)) this.finishLoss(loss);
    for (const r of this.activeRings) {
      if (r.ended) continue;
      this.closePin(r);
      if (r.window !== null) {
        for (const s of r.sweeps) this.sweep(r, s.aru, end);
        r.sweeps.length = 0;
      }
      if (!r.emitted && r.operational) this.emitMembership(r, end);
    }
    const memberships = [...this.memberships]
      .sort((a, b) => (a.formedAt ?? a.firstSeen) - (b.formedAt ?? b.firstSeen))
      .map((r) => this.membershipJson(r));
    const entries: RetransmitEntryJson[] = this.entries.map((e) => ({
      ring_id: e.ringKey,
      seq: e.seq,
      sender: e.sender,
      requested_by: e.requestedBy,
      requested_at: t6(e.requestedAt),
      retransmitted_by: e.retransmittedBy,
      repaired_at: e.repairedAt === null ? null : t6(e.repairedAt),
      repaired_after_ms: e.repairedAt === null ? null : round3((e.repairedAt - e.requestedAt) * 1000),
      repair_inferred: e.inferred,
    }));
    const timeline = [...this.timeline.entries()].sort((a, b) => a[0] - b[0]).map(([t, v]) => ({ t, ...v }));
    const storms: StormJson[] = [];
    let cur: { from: number; to: number; requested: number; peak_per_s: number } | null = null;
    for (const b of timeline) {
      if (b.requested >= STORM_PER_S) {
        if (cur !== null && b.t === cur.to) {
          cur.to = b.t + 1;
          cur.requested += b.requested;
          cur.peak_per_s = Math.max(cur.peak_per_s, b.requested);
        } else {
          if (cur !== null) storms.push(cur);
          cur = { from: b.t, to: b.t + 1, requested: b.requested, peak_per_s: b.requested };
        }
      }
    }
    if (cur !== null) storms.push(cur);

    const nodes = [...this.nodes.values()]
      .filter((n) => n.nodeid !== 0)
      .sort((a, b) => a.nodeid - b.nodeid)
      .map((n) => ({
        nodeid: n.nodeid,
        name: this.opts.nodeNames?.get(n.nodeid) ?? null,
        addresses: [...n.addresses],
        first_seen: t6(n.firstSeen),
        last_seen: t6(n.lastSeen),
        frames: n.frames,
      }));
    const summaries = (pick: (n: NodeState) => Distribution | null): Record<string, DistributionSummary> => {
      const out: Record<string, DistributionSummary> = {};
      for (const k of [...this.nodes.keys()].sort((a, b) => a - b)) {
        const d = this.nodes.get(k);
        const dist = d === undefined ? null : pick(d);
        if (dist !== null) out[String(k)] = dist.summary();
      }
      return out;
    };
    const retransmitted: Record<string, number> = {};
    for (const k of [...this.tokenRetransmits.keys()].sort((a, b) => a - b)) retransmitted[String(k)] = this.tokenRetransmits.get(k) ?? 0;
    const byRequester: Record<string, number> = {};
    for (const k of [...this.byRequester.keys()].sort((a, b) => a - b)) byRequester[String(k)] = this.byRequester.get(k) ?? 0;
    const losses = this.losses
      .map((l) => l.result)
      .filter((x): x is TokenLossJson => x !== null)
      .sort((a, b) => a.at - b.at);

    const first = this.frameCounts.total > 0 ? this.firstTs : null;
    const last = this.frameCounts.total > 0 ? this.lastTs : null;
    const partial: Omit<AnalysisReport, 'verdict'> = {
      schema: REPORT_SCHEMA,
      capture: {
        first_ts: first === null ? null : t6(first),
        last_ts: last === null ? null : t6(last),
        duration_s: first === null || last === null ? 0 : round3(last - first),
        transports: [...this.transports].sort(),
        frames: { ...this.frameCounts },
        messages: this.messageCountsJson(),
      },
      timers: {
        token_ms: this.tokenMs,
        token_warning_ms: this.warningMs === null ? null : round3(this.warningMs),
        hold_ms: this.holdMs,
        consensus_ms: this.consensusMs,
        source: this.opts.timersSource ?? (this.tokenMs !== null ? '--token' : null),
      },
      nodes,
      memberships,
      token: {
        rotation_measured_at: [...this.rotationRefs].sort((a, b) => a - b),
        rotation_ms: this.rotationDist.summary(),
        rotation_active_ms: this.rotationActiveDist.summary(),
        hold_ms: summaries((n) => n.holdDist),
        idle_holds: { count: this.idleHoldDist.size, hold_ms: this.idleHoldDist.summary() },
        gap_ms: summaries((n) => n.gapDist),
        max_gap: this.maxGap,
        retransmitted,
        near_misses: this.tokenMs === null ? null : [...this.nearMisses],
        losses,
      },
      retransmits: {
        requested: this.requested,
        repaired: this.repaired,
        unrepaired: this.requested - this.repaired,
        repaired_after_ms: this.repairDist.summary(),
        entries,
        entries_truncated: this.entriesTruncated,
        by_pair: [...this.pairs.values()].sort((a, b) => b.count - a.count),
        by_requester: byRequester,
        timeline,
        storms,
        pinned_aru: [...this.pinned],
      },
      capture_gaps: {
        missing_mcasts: this.missingMcasts,
        missing_token_hops: this.missingTokenHops,
        ranges: [...this.gapRanges],
        ranges_truncated: this.gapRangesTruncated,
      },
      address_changes: [...this.addressChanges],
      knet: this.knetLinks === null ? null : knetJson(this.knetLinks.report()),
    };
    return { ...partial, verdict: buildVerdict(partial) };
  }
}

/** The knet report as JSON: bigint nanosecond times become numbers (ns; exact to ~0.3 µs). */
function knetJson(r: KnetLinksReport): KnetLinksJson {
  return JSON.parse(JSON.stringify(r, (_key, value: unknown) => (typeof value === 'bigint' ? Number(value) : value))) as KnetLinksJson;
}

function sameNodes(a: Ring, b: Ring): boolean {
  if (a.members.size !== b.members.size) return false;
  for (const m of a.members) if (!b.members.has(m)) return false;
  return true;
}

/**
 * Addresses of a frame's datagram. The datagram's own (cached) texts, so that the hot path builds no
 * `endpoints` object; frames made by hand (tests) carry only `endpoints`.
 */
function sourceAddress(frame: DecodedFrame): string | undefined {
  const d = frame.udp;
  return d !== undefined ? d.srcText : frame.endpoints?.src;
}

function destinationAddress(frame: DecodedFrame): string | undefined {
  const d = frame.udp;
  return d !== undefined ? d.dstText : frame.endpoints?.dst;
}

function destinationPort(frame: DecodedFrame): number {
  const d = frame.udp;
  return d !== undefined ? d.dstPort : (frame.endpoints?.dstPort ?? 0);
}

/** Epoch seconds rounded to the microsecond (JSON stays short and stable). */
function t6(ts: number): number {
  return Math.round(ts * 1e6) / 1e6;
}

function fmtT(ts: number): string {
  return new Date(ts * 1000).toISOString().slice(11, 23);
}
