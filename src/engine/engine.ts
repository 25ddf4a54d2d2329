/**
 * The Totem single-ring ordering and membership protocol as corosync 3.1.7 runs it
 * (exec/totemsrp.c; wire-format.md §6). A pure state machine in the etcd-raft style
 * (style-anchors §2): decoded messages, the current time and application payloads go in through
 * `step`, `tick`, `submit`, `start`, `leave`; what the outside world must do comes out of
 * `takeActions()` as data. Timers are deadlines kept here and fired by `tick(now)`.
 *
 * Function names follow corosync's so a reader can check each rule against the C source; the code
 * is written from the rules, not translated line by line.
 */
import {
  ENCAPSULATED,
  MessageType,
  NOT_ENCAPSULATED,
  formatRingId,
  isLeave,
  type Mcast,
  type MembCommitToken,
  type MembCommitTokenMembEntry,
  type MembJoin,
  type MembMergeDetect,
  type OrfToken,
  type RingId,
  type RtrItem,
  type TokenHoldCancel,
  type TotemHeader,
  type TotemMessage,
} from '../../dissectors/totemsrp/types.ts';
import { decodeInnerMcast, encodeInnerMcast } from './encapsulation.ts';
import { Fifo } from './fifo.ts';
import { ListenOnlyObserver, type ObservedRing } from './listenOnly.ts';
import { setEqual, setHas, setMerge, setSubset, setSubtract } from './memberSet.ts';
import { sqLt as sqLtImported, sqLte as sqLteImported } from './seq.ts';
import { SORT_QUEUE_SIZE, SortQueue } from './sortQueue.ts';
import {
  GATHER_FROM_DESC,
  GatherFrom,
  MEMB_STATE_NAMES,
  MembState,
  type EngineAction,
  type EngineOptions,
  type EngineStats,
  type EngineTimers,
  type LogLevel,
} from './types.ts';

// Module-level copies of imported bindings: keeps hot paths free of live-binding getters when the
// sources run through a CommonJS transform (tsx).
const sqLt = sqLtImported;
const sqLte = sqLteImported;
const S_OPERATIONAL = MembState.OPERATIONAL;
const S_GATHER = MembState.GATHER;
const S_COMMIT = MembState.COMMIT;
const S_RECOVERY = MembState.RECOVERY;
const T_ORF_TOKEN = MessageType.ORF_TOKEN;
const T_MCAST = MessageType.MCAST;
const ENCAP = ENCAPSULATED;
const NOT_ENCAP = NOT_ENCAPSULATED;

/** RETRANSMIT_ENTRIES_MAX (exec/totemsrp.c). */
export const RETRANSMIT_ENTRIES_MAX = 30;
/** SEQNO_START_MSG / SEQNO_START_TOKEN. */
const SEQNO_START_MSG = 0;
const SEQNO_START_TOKEN = 0;
const TOKEN_SEQ_BEFORE_START = 0xffffffff; // SEQNO_START_TOKEN - 1 as u32
const TOTEM_MH_VERSION = 3;
const LEAVE_DUMMY_NODEID = 0;
const EMPTY = new Uint8Array(0);

export type TimerName =
  | 'tokenTimeout'
  | 'tokenWarning'
  | 'tokenRetransmit'
  | 'tokenHoldRetransmit'
  | 'mergeDetect'
  | 'join'
  | 'consensus'
  | 'pause';

/** Firing order for timers due at the same instant (stable, so runs are reproducible). */
const TIMER_ORDER: readonly TimerName[] = [
  'pause',
  'tokenHoldRetransmit',
  'tokenRetransmit',
  'mergeDetect',
  'join',
  'consensus',
  'tokenWarning',
  'tokenTimeout',
];

/** The orf token while this node holds it (mutable copy, like corosync's token_storage). */
interface WorkingToken {
  seq: number;
  tokenSeq: number;
  aru: number;
  aruAddr: number;
  ringId: RingId;
  backlog: number;
  fcc: number;
  retransFlg: number;
  rtrList: RtrItem[];
}

interface WorkingMembEntry {
  ringId: RingId;
  aru: number;
  highDelivered: number;
  receivedFlg: number;
}

interface WorkingCommitToken {
  tokenSeq: number;
  ringId: RingId;
  retransFlg: number;
  membIndex: number;
  addr: number[];
  membList: WorkingMembEntry[];
}

const ZERO_RING: RingId = { rep: 0, seq: 0n };

function sameRing(a: RingId, b: RingId): boolean {
  return a === b || (a.rep === b.rep && a.seq === b.seq);
}

function header(type: MessageType, nodeid: number, encapsulated = 0, targetNodeid = 0): TotemHeader {
  return { littleEndian: true, version: TOTEM_MH_VERSION, type, encapsulated, nodeid, targetNodeid };
}

function newStats(): EngineStats {
  return {
    orfTokenTx: 0,
    orfTokenRx: 0,
    mcastTx: 0,
    mcastRetx: 0,
    mcastRx: 0,
    membJoinTx: 0,
    membCommitTokenTx: 0,
    membMergeDetectTx: 0,
    tokenHoldCancelTx: 0,
    rxMsgDropped: 0,
    gatherEntered: 0,
    commitEntered: 0,
    recoveryEntered: 0,
    operationalEntered: 0,
    operationalTokenLost: 0,
    gatherTokenLost: 0,
    commitTokenLost: 0,
    recoveryTokenLost: 0,
    consensusTimeouts: 0,
    continuousGather: 0,
  };
}

export class TotemEngine {
  readonly nodeid: number;
  private readonly t: EngineTimers;
  private readonly random: () => number;
  private readonly sendJoin: number;
  private readonly autoTransAck: boolean;
  private readonly messageQueueMax: number;
  private readonly logDebug: boolean;

  private actions: EngineAction[] = [];
  private now = 0;
  private started = false;
  private stopped = false;
  readonly stats: EngineStats = newStats();

  // --- membership state (exec/totemsrp.c struct totemsrp_instance) ---
  private membState: MembState = S_OPERATIONAL;
  private myRingId: RingId = ZERO_RING;
  private myOldRingId: RingId = ZERO_RING;
  private tokenRingIdSeq = 0n;
  private myProcList: number[] = [];
  private myFailedList: number[] = [];
  private myMembList: number[] = [];
  private myNewMembList: number[] = [];
  private myTransMembList: number[] = [];
  private myDeliverMembList: number[] = [];
  private myLeftMembList: number[] = [];
  private myLeaveMembList: number[] = [];
  /** consensus_list: nodeid → set flag, in insertion order. */
  private consensus = new Map<number, boolean>();
  private commitToken: WorkingCommitToken | null = null;
  private failedToRecv = false;

  // --- ordering state ---
  private readonly regularSq = new SortQueue<Mcast>();
  private readonly recoverySq = new SortQueue<Mcast>();
  private readonly newMessageQueue = new Fifo<Uint8Array>();
  private readonly newMessageQueueTrans = new Fifo<Uint8Array>();
  private readonly retransMessageQueue = new Fifo<Uint8Array>();
  private waitingTransAck = true;
  private myAru = SEQNO_START_MSG;
  private myHighSeqReceived = SEQNO_START_MSG;
  private myHighDelivered = SEQNO_START_MSG;
  private myLastAru = SEQNO_START_MSG;
  private lastReleased = SEQNO_START_MSG;
  private myInstallSeq = SEQNO_START_MSG;
  private myHighRingDelivered = 0;
  private oldRingStateSaved = false;
  private oldRingStateAru = 0;
  private oldRingStateHighSeqReceived = 0;
  private myTokenSeq = TOKEN_SEQ_BEFORE_START;
  private myLastSeq = 0;
  private mySeqUnchanged = 0;
  private myTokenHeld = false;
  private myAruCount = 0;
  private myRetransFlgCount = 0;
  private myRotationCounter = 0;
  private mySetRetransFlg = false;
  private myReceivedFlg = true;
  private originatedOrfToken = false;
  private orfTokenDiscard = false;
  private myTrc = 0;
  private myPbl = 0;
  private myCbl = 0;
  private globalSeqno = 0;
  private mergeDetectOutstanding = false;
  private lastTokenRxMs = 0;
  private pauseTimestamp = 0;

  /** Last token or commit token sent, for the token retransmit timer (orf_token_retransmit). */
  private retransmitCopy: TotemMessage | null = null;
  /** totemnet token target: the next member after me in the commit token's addr list. */
  private tokenTarget = 0;

  private readonly timers: Record<TimerName, number | null> = {
    tokenTimeout: null,
    tokenWarning: null,
    tokenRetransmit: null,
    tokenHoldRetransmit: null,
    mergeDetect: null,
    join: null,
    consensus: null,
    pause: null,
  };

  /** Set in listen-only (replay) mode: frames go to the observer, nothing is ever sent. */
  private readonly observer: ListenOnlyObserver | null;

  constructor(opts: EngineOptions) {
    if (!Number.isInteger(opts.nodeid) || opts.nodeid <= 0 || opts.nodeid > 0xffffffff) {
      throw new RangeError(`nodeid must be a non-zero u32, got ${opts.nodeid}`);
    }
    this.nodeid = opts.nodeid;
    this.t = opts.timers;
    this.random = opts.random;
    this.sendJoin = opts.sendJoin ?? 0;
    this.autoTransAck = opts.autoTransAck ?? true;
    this.messageQueueMax = opts.messageQueueMax ?? 2796;
    this.logDebug = opts.logDebug ?? false;
    // Loaded (or created) ring seq, then seq++ in memory only (main_iface_change_fn; §6.8).
    this.myRingId = { rep: this.nodeid, seq: opts.initialRingSeq + 1n };
    this.tokenRingIdSeq = this.myRingId.seq;
    this.observer = opts.listenOnly ? new ListenOnlyObserver((a) => this.actions.push(a)) : null;
  }

  /** Listen-only mode: the rings reconstructed so far (formed, and inferred from commit tokens). */
  observedRings(): ObservedRing[] {
    return this.observer?.rings() ?? [];
  }

  // ---------------------------------------------------------------------------------------------
  // Inputs
  // ---------------------------------------------------------------------------------------------

  /** Interfaces are up: arm the pause timer and enter GATHER (main_iface_change_fn). */
  start(nowMs: number): void {
    if (this.started || this.stopped) return;
    this.now = nowMs;
    this.started = true;
    if (this.observer !== null) return; // listen-only: no timers, no JOIN
    this.pauseTimestamp = nowMs;
    this.arm('pause', this.t.token / 5);
    this.log('debug', `Created or loaded sequence id ${formatRingId(this.myRingId)} for this ring.`);
    this.memb_state_gather_enter(GatherFrom.INTERFACE_CHANGE);
  }

  /** Shutdown: multicast the leave JOIN (header nodeid 0), then stop (totemsrp_finalize). */
  leave(nowMs: number): void {
    if (!this.started || this.stopped) return;
    this.now = nowMs;
    if (this.observer === null) this.memb_leave_message_send();
    this.stopped = true;
    for (const name of TIMER_ORDER) this.timers[name] = null;
  }

  /**
   * Queue an application (totempg) message for ordered multicast (totemsrp_mcast). Returns false when
   * the queue is full, like corosync's -1. As totempg does, a held token is cancelled first.
   */
  submit(payload: Uint8Array, nowMs: number): boolean {
    if (!this.started || this.stopped || this.observer !== null) return false;
    this.now = nowMs;
    this.token_hold_cancel_send();
    const queue = this.waitingTransAck ? this.newMessageQueueTrans : this.newMessageQueue;
    if (queue.length >= this.messageQueueMax) {
      this.debug('queue full');
      return false;
    }
    queue.push(payload);
    this.stats.mcastTx++;
    return true;
  }

  /** totemsrp_trans_ack: the sync layer finished; new messages leave the transitional queue. */
  transAck(): void {
    if (!this.waitingTransAck) return;
    this.waitingTransAck = false;
    // Messages still in the transitional queue were submitted first; they go out first. (In corosync
    // the queue is empty by then because sync has completed; with autoTransAck it may not be.)
    while (!this.newMessageQueue.isEmpty()) {
      this.newMessageQueueTrans.push(this.newMessageQueue.shift()!);
    }
    while (!this.newMessageQueueTrans.isEmpty()) this.newMessageQueue.push(this.newMessageQueueTrans.shift()!);
  }

  /** A decoded message received from the network. */
  step(msg: TotemMessage, nowMs: number): void {
    if (!this.started || this.stopped) return;
    this.now = nowMs;
    if (this.observer !== null) {
      this.observer.step(msg, nowMs);
      return;
    }
    switch (msg.kind) {
      case 'orf_token':
        this.message_handler_orf_token(msg);
        break;
      case 'mcast':
        this.message_handler_mcast(msg);
        break;
      case 'memb_merge_detect':
        this.message_handler_memb_merge_detect(msg);
        break;
      case 'memb_join':
        this.message_handler_memb_join(msg);
        break;
      case 'memb_commit_token':
        this.message_handler_memb_commit_token(msg);
        break;
      case 'token_hold_cancel':
        this.message_handler_token_hold_cancel(msg);
        break;
      default: {
        const never: never = msg;
        void never;
      }
    }
  }

  /** Fire every timer whose deadline is at or before `nowMs`, earliest first. */
  tick(nowMs: number): void {
    if (!this.started || this.stopped) return;
    this.now = nowMs;
    // Each firing re-arms at now + period (> now), so this loop ends.
    for (let guard = 0; guard < 64; guard++) {
      let due: TimerName | null = null;
      let dueAt = Infinity;
      for (const name of TIMER_ORDER) {
        const at = this.timers[name];
        if (at !== null && at <= nowMs && at < dueAt) {
          due = name;
          dueAt = at;
        }
      }
      if (due === null) return;
      this.timers[due] = null;
      this.fire(due);
    }
  }

  /** Earliest armed deadline, or null when no timer is armed. */
  nextTimerDeadline(): number | null {
    let min: number | null = null;
    for (const name of TIMER_ORDER) {
      const at = this.timers[name];
      if (at !== null && (min === null || at < min)) min = at;
    }
    return min;
  }

  /** Actions produced since the last call, in order. */
  takeActions(): EngineAction[] {
    const out = this.actions;
    this.actions = [];
    return out;
  }

  // --- inspection (tests, simulator, CLI) ---
  get state(): MembState {
    return this.membState;
  }
  get stateName(): string {
    return MEMB_STATE_NAMES[this.membState];
  }
  get ringId(): RingId {
    return this.myRingId;
  }
  get members(): readonly number[] {
    return this.myMembList;
  }
  get procList(): readonly number[] {
    return this.myProcList;
  }
  get failedList(): readonly number[] {
    return this.myFailedList;
  }
  get isStopped(): boolean {
    return this.stopped;
  }
  get aru(): number {
    return this.myAru;
  }
  get highSeqReceived(): number {
    return this.myHighSeqReceived;
  }
  get highDelivered(): number {
    return this.myHighDelivered;
  }
  get tokenHeld(): boolean {
    return this.myTokenHeld;
  }
  get pendingMessages(): number {
    return this.newMessageQueue.length + this.newMessageQueueTrans.length;
  }
  /**
   * Messages kept for retransmission in the regular sort queue. (The recovery queue keeps its last
   * content until the next RECOVERY reinitialises it, as in corosync; it does not grow.)
   */
  get storedMessages(): number {
    return this.regularSq.size();
  }
  activeTimers(): Partial<Record<TimerName, number>> {
    const out: Partial<Record<TimerName, number>> = {};
    for (const name of TIMER_ORDER) {
      const at = this.timers[name];
      if (at !== null) out[name] = at;
    }
    return out;
  }

  // ---------------------------------------------------------------------------------------------
  // Outputs and timers
  // ---------------------------------------------------------------------------------------------

  private send(to: number | 'multicast', msg: TotemMessage): void {
    this.actions.push({ type: 'send', to, msg });
  }

  private log(level: LogLevel, text: string): void {
    if (level === 'debug' && !this.logDebug) return;
    this.actions.push({ type: 'log', level, text });
  }

  private debug(text: string): void {
    if (this.logDebug) this.actions.push({ type: 'log', level: 'debug', text });
  }

  private arm(name: TimerName, afterMs: number): void {
    this.timers[name] = this.now + afterMs;
  }

  private cancel(name: TimerName): void {
    this.timers[name] = null;
  }

  private fire(name: TimerName): void {
    switch (name) {
      case 'tokenTimeout':
        this.timer_function_orf_token_timeout();
        break;
      case 'tokenWarning':
        this.timer_function_orf_token_warning();
        break;
      case 'tokenRetransmit':
        this.timer_function_token_retransmit_timeout();
        break;
      case 'tokenHoldRetransmit':
        this.timer_function_token_hold_retransmit_timeout();
        break;
      case 'mergeDetect':
        this.timer_function_merge_detect_timeout();
        break;
      case 'join':
        this.memb_timer_function_state_gather();
        break;
      case 'consensus':
        this.memb_state_consensus_timeout_expired();
        break;
      case 'pause':
        this.pauseTimestamp = this.now;
        this.arm('pause', this.t.token / 5);
        break;
    }
  }

  private reset_token_timeout(): void {
    this.arm('tokenTimeout', this.t.token);
    if (this.t.tokenWarning) this.arm('tokenWarning', Math.trunc((this.t.tokenWarning * this.t.token) / 100));
  }

  private cancel_token_timeout(): void {
    this.cancel('tokenTimeout');
    this.cancel('tokenWarning');
  }

  private reset_token_retransmit_timeout(): void {
    this.arm('tokenRetransmit', this.t.tokenRetransmit);
  }

  private start_merge_detect_timeout(): void {
    if (!this.mergeDetectOutstanding) {
      this.arm('mergeDetect', this.t.merge);
      this.mergeDetectOutstanding = true;
    }
  }

  private cancel_merge_detect_timeout(): void {
    this.cancel('mergeDetect');
    this.mergeDetectOutstanding = false;
  }

  private timer_function_orf_token_warning(): void {
    // corosync prints whole ms from its ms-resolution token stamps ("%d ms "); the clock here may be fractional.
    this.log('notice', `Token has not been received in ${Math.floor(this.now) - Math.floor(this.lastTokenRxMs)} ms `);
    this.arm('tokenWarning', Math.trunc((this.t.tokenWarning * this.t.token) / 100));
  }

  private timer_function_orf_token_timeout(): void {
    switch (this.membState) {
      case S_OPERATIONAL:
        this.debug('The token was lost in the OPERATIONAL state.');
        this.log(
          'notice',
          `A processor failed, forming new configuration: token timed out (${this.t.token}ms), waiting ${this.t.consensus}ms for consensus.`,
        );
        this.memb_state_gather_enter(GatherFrom.TOKEN_LOST_OPERATIONAL);
        this.stats.operationalTokenLost++;
        break;
      case S_GATHER:
        this.debug(`The consensus timeout expired (${this.t.consensus}ms).`);
        this.memb_state_consensus_timeout_expired();
        this.memb_state_gather_enter(GatherFrom.CONSENSUS_TIMEOUT_EXPIRED);
        this.stats.gatherTokenLost++;
        break;
      case S_COMMIT:
        this.debug('The token was lost in the COMMIT state.');
        this.memb_state_gather_enter(GatherFrom.TOKEN_LOST_COMMIT);
        this.stats.commitTokenLost++;
        break;
      case S_RECOVERY:
        this.debug('The token was lost in the RECOVERY state.');
        this.memb_recovery_state_token_loss();
        this.orfTokenDiscard = true;
        break;
    }
  }

  private memb_timer_function_state_gather(): void {
    if (this.membState === S_GATHER || this.membState === S_COMMIT) {
      this.memb_join_message_send();
      this.arm('join', this.t.join);
    }
  }

  private timer_function_token_retransmit_timeout(): void {
    if (this.membState === S_GATHER) return;
    this.token_retransmit();
    this.reset_token_retransmit_timeout();
  }

  private timer_function_token_hold_retransmit_timeout(): void {
    if (this.membState === S_OPERATIONAL || this.membState === S_RECOVERY) {
      this.token_retransmit();
    }
  }

  private timer_function_merge_detect_timeout(): void {
    this.mergeDetectOutstanding = false;
    if (this.membState === S_OPERATIONAL && this.myRingId.rep === this.nodeid) {
      this.memb_merge_detect_transmit();
    }
  }

  private token_retransmit(): void {
    if (this.retransmitCopy !== null) this.send(this.tokenTarget, this.retransmitCopy);
  }

  // ---------------------------------------------------------------------------------------------
  // Consensus (memb_consensus_*)
  // ---------------------------------------------------------------------------------------------

  private memb_consensus_reset(): void {
    this.consensus.clear();
  }

  private memb_consensus_set(id: number): void {
    this.consensus.set(id, true);
  }

  private memb_consensus_isset(id: number): boolean {
    return this.consensus.get(id) === true;
  }

  private memb_consensus_agreed(): boolean {
    const tokenMemb = setSubtract(this.myProcList, this.myFailedList);
    for (const id of tokenMemb) if (!this.memb_consensus_isset(id)) return false;
    return true;
  }

  private memb_lowest_in_config(): boolean {
    const tokenMemb = setSubtract(this.myProcList, this.myFailedList);
    if (tokenMemb.length === 0) return false;
    return Math.min(...tokenMemb) === this.nodeid;
  }

  private memb_state_consensus_timeout_expired(): void {
    this.stats.consensusTimeouts++;
    if (this.memb_consensus_agreed()) {
      this.memb_consensus_reset();
      this.memb_consensus_set(this.nodeid);
      this.reset_token_timeout();
    } else {
      const noConsensus = this.myProcList.filter((id) => !this.memb_consensus_isset(id));
      setMerge(this.myFailedList, noConsensus);
      this.memb_state_gather_enter(GatherFrom.CONSENSUS_TIMEOUT);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // State entries
  // ---------------------------------------------------------------------------------------------

  private memb_state_gather_enter(from: GatherFrom): void {
    this.orfTokenDiscard = true;
    this.originatedOrfToken = false;
    setMerge(this.myProcList, [this.nodeid]);
    this.memb_join_message_send();
    this.arm('join', this.t.join);
    this.arm('consensus', this.t.consensus);
    this.cancel('tokenRetransmit');
    this.cancel_token_timeout();
    this.cancel_merge_detect_timeout();
    this.memb_consensus_reset();
    this.memb_consensus_set(this.nodeid);
    this.debug(`entering GATHER state from ${from}(${GATHER_FROM_DESC[from] ?? ''}).`);
    this.membState = S_GATHER;
    this.stats.gatherEntered++;
    if (from === GatherFrom.CONSENSUS_TIMEOUT_EXPIRED) this.stats.continuousGather++;
  }

  private old_ring_state_save(): void {
    if (!this.oldRingStateSaved) {
      this.oldRingStateSaved = true;
      this.myOldRingId = this.myRingId;
      this.oldRingStateAru = this.myAru;
      this.oldRingStateHighSeqReceived = this.myHighSeqReceived;
      this.debug(
        `Saving state aru ${this.myAru.toString(16)} high seq received ${this.myHighSeqReceived.toString(16)}`,
      );
    }
  }

  private old_ring_state_restore(): void {
    this.myAru = this.oldRingStateAru;
    this.myHighSeqReceived = this.oldRingStateHighSeqReceived;
    this.debug(
      `Restoring instance->my_aru ${this.myAru.toString(16)} my high seq received ${this.myHighSeqReceived.toString(16)}`,
    );
  }

  private memb_recovery_state_token_loss(): void {
    this.old_ring_state_restore();
    this.memb_state_gather_enter(GatherFrom.TOKEN_LOST_RECOVERY);
    this.stats.recoveryTokenLost++;
  }

  private memb_state_commit_enter(): void {
    const ct = this.commitToken;
    if (ct === null) return;
    this.old_ring_state_save();
    this.memb_state_commit_token_update(ct);
    // memb_state_commit_token_target_set: the member after me (addr is sorted = ring order).
    this.tokenTarget = ct.addr[ct.membIndex % ct.addr.length] ?? this.nodeid;
    this.cancel('join');
    this.cancel('consensus');
    this.myRingId = ct.ringId;
    this.actions.push({ type: 'persistRingSeq', seq: this.myRingId.seq });
    this.debug(`Storing new sequence id for ring ${this.myRingId.seq.toString(16)}`);
    this.tokenRingIdSeq = this.myRingId.seq;
    this.debug('entering COMMIT state.');
    this.membState = S_COMMIT;
    this.reset_token_retransmit_timeout();
    this.reset_token_timeout();
    this.stats.commitEntered++;
    this.stats.continuousGather = 0;
    this.myTrc = 0;
    this.myPbl = 0;
    this.myCbl = 0;
    // target_set_completed → memb_state_commit_token_send
    ct.tokenSeq = (ct.tokenSeq + 1) >>> 0;
    this.sendCommitToken(ct);
  }

  /** Fill my slot of the commit token (memb_state_commit_token_update). */
  private memb_state_commit_token_update(ct: WorkingCommitToken): void {
    this.myNewMembList = ct.addr.slice();
    const idx = ct.membIndex;
    const mine = ct.membList[idx];
    if (mine === undefined) return;
    mine.ringId = this.myOldRingId;
    mine.aru = this.oldRingStateAru;
    this.myReceivedFlg = this.myAru === this.myHighSeqReceived;
    mine.receivedFlg = this.myReceivedFlg ? 1 : 0;
    mine.highDelivered = this.myHighDelivered;
    // A member of my old ring with a higher aru has messages I miss: my received flag is false.
    let highAru = mine.aru;
    for (let i = 0; i <= idx; i++) {
      const e = ct.membList[i]!;
      if (sameRing(e.ringId, mine.ringId) && sqLt(highAru, e.aru)) highAru = e.aru;
    }
    for (let i = 0; i <= idx; i++) {
      const e = ct.membList[i]!;
      if (sameRing(e.ringId, mine.ringId) && sqLt(e.aru, highAru)) {
        e.receivedFlg = 0;
        if (i === idx) this.myReceivedFlg = false;
      }
    }
    ct.membIndex = idx + 1;
  }

  private sendCommitToken(ct: WorkingCommitToken): void {
    const msg: MembCommitToken = {
      kind: 'memb_commit_token',
      header: header(MessageType.MEMB_COMMIT_TOKEN, this.nodeid, 0, this.tokenTarget),
      trailer: EMPTY,
      tokenSeq: ct.tokenSeq,
      ringId: ct.ringId,
      retransFlg: ct.retransFlg,
      membIndex: ct.membIndex,
      addr: ct.addr.slice(),
      membList: ct.membList.map((e) => ({ ...e })),
    };
    this.retransmitCopy = msg;
    this.stats.membCommitTokenTx++;
    this.send(this.tokenTarget, msg);
    this.reset_token_retransmit_timeout();
  }

  private memb_state_commit_token_create(): void {
    this.debug('Creating commit token because I am the rep.');
    const tokenMemb = setSubtract(this.myProcList, this.myFailedList).sort((a, b) => a - b);
    this.commitToken = {
      tokenSeq: 0,
      ringId: { rep: this.nodeid, seq: this.tokenRingIdSeq + 4n },
      retransFlg: 0,
      membIndex: 0,
      addr: tokenMemb,
      membList: tokenMemb.map(() => ({ ringId: ZERO_RING, aru: 0, highDelivered: 0, receivedFlg: 0 })),
    };
  }

  private memb_state_recovery_enter(ct: WorkingCommitToken): void {
    this.debug('entering RECOVERY state.');
    this.orfTokenDiscard = false;
    this.myHighRingDelivered = 0;
    this.recoverySq.reinit(SEQNO_START_MSG);
    this.retransMessageQueue.clear();
    let lowRingAru = this.oldRingStateHighSeqReceived;

    // memb_state_commit_token_send_recovery: forward the completed token for its second rotation.
    ct.tokenSeq = (ct.tokenSeq + 1) >>> 0;
    this.sendCommitToken(ct);
    this.myTokenSeq = TOKEN_SEQ_BEFORE_START;

    // Transitional configuration: members of my old ring (in my_memb_list order) that came along.
    this.myTransMembList = [];
    for (const id of this.myMembList) {
      const j = this.myNewMembList.indexOf(id);
      if (j >= 0 && sameRing(ct.membList[j]?.ringId ?? ZERO_RING, this.myOldRingId)) this.myTransMembList.push(id);
    }
    if (this.logDebug) {
      this.myTransMembList.forEach((id, i) => this.debug(`TRANS [${i}] member ${id}:`));
      ct.addr.forEach((id, i) => {
        const e = ct.membList[i]!;
        this.debug(`position [${i}] member ${id}:`);
        this.debug(`previous ringid (${formatRingId(e.ringId)})`);
        this.debug(`aru ${e.aru.toString(16)} high delivered ${e.highDelivered.toString(16)} received flag ${e.receivedFlg}`);
      });
    }

    let localReceivedFlg = true;
    for (let i = 0; i < ct.addr.length; i++) {
      if (setHas(this.myTransMembList, this.myNewMembList[i]!) && ct.membList[i]!.receivedFlg === 0) {
        this.myDeliverMembList = this.myTransMembList.slice();
        localReceivedFlg = false;
        break;
      }
    }

    let originated = -1;
    if (!localReceivedFlg) {
      for (let i = 0; i < ct.addr.length; i++) {
        const e = ct.membList[i]!;
        if (setHas(this.myDeliverMembList, this.myNewMembList[i]!) && sameRing(this.myOldRingId, e.ringId)) {
          if (sqLt(e.aru, lowRingAru)) lowRingAru = e.aru;
          if (sqLt(this.myHighRingDelivered, e.highDelivered)) this.myHighRingDelivered = e.highDelivered;
        }
      }
      const range = (this.oldRingStateHighSeqReceived - lowRingAru) >>> 0;
      if (range !== 0 && range < SORT_QUEUE_SIZE) {
        this.debug(
          `copying all old ring messages from ${((lowRingAru + 1) >>> 0).toString(16)}-${this.oldRingStateHighSeqReceived.toString(16)}.`,
        );
        originated = 0;
        for (let i = 1; i <= range; i++) {
          const item = this.regularSq.get((lowRingAru + i) >>> 0);
          if (item === undefined) continue;
          originated++;
          this.retransMessageQueue.push(encodeInnerMcast(item));
        }
        this.debug(`Originated ${originated} messages in RECOVERY.`);
      }
    }
    if (originated < 0) this.debug('Did not need to originate any messages in recovery.');

    // DEVIATION from corosync 3.1.7: corosync never resets these at RECOVERY entry, so after a
    // recovery that failed (token lost, JOIN) they carry over and the next recovery can declare itself
    // installed after one rotation, before the other members have re-sent their old-ring messages;
    // the ring then splits between OPERATIONAL and RECOVERY members and never recovers (simulator,
    // seed 18). Starting each recovery from zero only delays OPERATIONAL to when it is due.
    this.myRetransFlgCount = 0;
    this.myRotationCounter = 0;
    this.mySetRetransFlg = false;
    this.myAru = SEQNO_START_MSG;
    this.myAruCount = 0;
    this.mySeqUnchanged = 0;
    this.myHighSeqReceived = SEQNO_START_MSG;
    this.myInstallSeq = SEQNO_START_MSG;
    this.lastReleased = SEQNO_START_MSG;
    this.reset_token_timeout();
    this.reset_token_retransmit_timeout();
    this.membState = S_RECOVERY;
    this.stats.recoveryEntered++;
    this.stats.continuousGather = 0;
  }

  /** Recovered (encapsulated) messages of my old ring go back to the regular queue at their old seq. */
  private deliver_messages_from_recovery_to_regular(): void {
    const range = (this.myAru - SEQNO_START_MSG) >>> 0;
    this.debug(`recovery to regular ${SEQNO_START_MSG + 1}-${this.myAru.toString(16)}`);
    for (let i = 1; i <= range && i < SORT_QUEUE_SIZE; i++) {
      const outer = this.recoverySq.get(i);
      if (outer === undefined || outer.header.encapsulated !== ENCAP) continue;
      const inner = decodeInnerMcast(outer.payload);
      if (inner === null) continue;
      if (sameRing(this.myOldRingId, inner.ringId)) {
        if (this.regularSq.inRange(inner.seq) && !this.regularSq.inuseAt(inner.seq)) {
          this.regularSq.add(inner.seq, inner);
          if (sqLt(this.oldRingStateHighSeqReceived, inner.seq)) this.oldRingStateHighSeqReceived = inner.seq;
        }
      } else {
        this.debug(`-not adding msg with seq no ${inner.seq.toString(16)}`);
      }
    }
  }

  private memb_state_operational_enter(): void {
    this.originatedOrfToken = false;
    this.memb_consensus_reset();
    this.oldRingStateSaved = false;
    this.deliver_messages_from_recovery_to_regular();

    const aruSave = this.myAru;
    this.myAru = this.oldRingStateAru;
    // Old-ring messages without a gap, in agreed order, before the transitional configuration.
    this.messages_deliver_to_app(false, this.oldRingStateHighSeqReceived);

    this.myLeftMembList = setSubtract(this.myMembList, this.myTransMembList);
    const joined = setSubtract(this.myNewMembList, this.myTransMembList);
    this.myMembList = this.myNewMembList.slice();
    this.lastReleased = 0;
    this.mySetRetransFlg = false;

    this.actions.push({
      type: 'configuration',
      kind: 'transitional',
      ringId: this.myRingId,
      members: this.myTransMembList.slice(),
      joined: [],
      left: this.myLeftMembList.slice(),
    });
    this.waitingTransAck = true;
    // The rest of the old ring's messages, across gaps, from transitional members only.
    this.messages_deliver_to_app(true, this.oldRingStateHighSeqReceived);
    this.myAru = aruSave;

    this.actions.push({
      type: 'configuration',
      kind: 'regular',
      ringId: this.myRingId,
      members: this.myNewMembList.slice(),
      joined,
      left: [],
    });

    // The recovery queue becomes the regular queue; its (encapsulated) content counts as delivered.
    this.regularSq.copyFrom(this.recoverySq);
    this.myLastAru = SEQNO_START_MSG;
    this.myProcList = this.myNewMembList.slice();
    this.myFailedList = [];
    let i = (this.myHighSeqReceived + 1) >>> 0;
    for (;;) {
      i = (i - 1) >>> 0;
      const present = this.regularSq.inRange(i) && this.regularSq.get(i) !== undefined;
      if (i === 0 || present) break;
    }
    this.myHighDelivered = i;
    this.regularSq.releaseTo(this.myHighDelivered);
    this.lastReleased = this.myHighDelivered;

    const joinedText = joined.length ? ` joined: ${joined.join(' ')}` : '';
    const leftText = this.myLeftMembList.length ? ` left: ${this.myLeftMembList.join(' ')}` : '';
    const failed = this.myLeftMembList.filter((id) => !setHas(this.myLeaveMembList, id));
    this.myLeaveMembList = [];
    this.debug('entering OPERATIONAL state.');
    this.log('notice', `A new membership (${formatRingId(this.myRingId)}) was formed. Members${joinedText}${leftText}`);
    if (failed.length) this.log('notice', `Failed to receive the leave message. failed: ${failed.join(' ')}`);

    this.membState = S_OPERATIONAL;
    this.stats.operationalEntered++;
    this.stats.continuousGather = 0;
    this.myReceivedFlg = true;
    this.pauseTimestamp = this.now;
    this.arm('pause', this.t.token / 5);
    this.myOldRingId = this.myRingId;
    if (this.autoTransAck) this.transAck();
  }

  // ---------------------------------------------------------------------------------------------
  // Sending membership messages
  // ---------------------------------------------------------------------------------------------

  private memb_join_message_send(): void {
    // send_join jitter: corosync sleeps random()%send_join ms; a pure engine can only note it.
    if (this.sendJoin > 0) void Math.floor(this.random() * this.sendJoin);
    const msg: MembJoin = {
      kind: 'memb_join',
      header: header(MessageType.MEMB_JOIN, this.nodeid),
      trailer: EMPTY,
      systemFrom: this.nodeid,
      procList: this.myProcList.slice(),
      failedList: this.myFailedList.slice(),
      ringSeq: this.myRingId.seq,
    };
    this.stats.membJoinTx++;
    this.send('multicast', msg);
  }

  private memb_leave_message_send(): void {
    this.debug('sending join/leave message');
    setMerge(this.myFailedList, [this.nodeid]);
    const active = setSubtract(this.myProcList, [this.nodeid]);
    const msg: MembJoin = {
      kind: 'memb_join',
      header: header(MessageType.MEMB_JOIN, LEAVE_DUMMY_NODEID),
      trailer: EMPTY,
      systemFrom: this.nodeid,
      procList: active,
      failedList: this.myFailedList.slice(),
      ringSeq: this.myRingId.seq,
    };
    this.stats.membJoinTx++;
    this.send('multicast', msg);
  }

  private memb_merge_detect_transmit(): void {
    const msg: MembMergeDetect = {
      kind: 'memb_merge_detect',
      header: header(MessageType.MEMB_MERGE_DETECT, this.nodeid),
      trailer: EMPTY,
      systemFrom: this.nodeid,
      ringId: this.myRingId,
    };
    this.stats.membMergeDetectTx++;
    this.send('multicast', msg);
  }

  private token_hold_cancel_send(): void {
    if (!this.myTokenHeld) return;
    this.myTokenHeld = false;
    const msg: TokenHoldCancel = {
      kind: 'token_hold_cancel',
      header: header(MessageType.TOKEN_HOLD_CANCEL, this.nodeid),
      trailer: EMPTY,
      ringId: this.myRingId,
    };
    this.stats.tokenHoldCancelTx++;
    this.send('multicast', msg);
  }

  // ---------------------------------------------------------------------------------------------
  // Message handlers
  // ---------------------------------------------------------------------------------------------

  private message_handler_orf_token(msg: OrfToken): void {
    if (this.orfTokenDiscard) return;
    const token: WorkingToken = {
      seq: msg.seq,
      tokenSeq: msg.tokenSeq,
      aru: msg.aru,
      aruAddr: msg.aruAddr,
      ringId: msg.ringId,
      backlog: msg.backlog,
      fcc: msg.fcc,
      retransFlg: msg.retransFlg,
      rtrList: msg.rtrList.slice(0, RETRANSMIT_ENTRIES_MAX),
    };

    // Merge detection and hold bookkeeping (§6.3 step 2).
    if (token.seq === this.myLastSeq) {
      this.start_merge_detect_timeout();
      this.mySeqUnchanged += 1;
    } else {
      this.cancel_merge_detect_timeout();
      this.cancel('tokenHoldRetransmit');
      this.mySeqUnchanged = 0;
    }
    this.myLastSeq = token.seq;

    // Only the rep really holds; others remember "held" to send TOKEN_HOLD_CANCEL (§6.3 step 4).
    const iAmRep = this.myRingId.rep === this.nodeid;
    this.myTokenHeld = iAmRep
      ? this.mySeqUnchanged > this.t.seqnoUnchangedConst
      : this.mySeqUnchanged >= this.t.seqnoUnchangedConst;
    let forwardToken = !(iAmRep && this.myTokenHeld);

    if (this.membState === S_COMMIT) return;
    if (!sameRing(token.ringId, this.myRingId)) return;
    if (sqLte(token.tokenSeq, this.myTokenSeq)) return; // retransmitted copy
    // DEVIATION from corosync 3.1.7: corosync frees messages up to token.aru BEFORE it discards
    // duplicates. A retransmitted or duplicated copy of the token I last processed then counts as a
    // second rotation (my_last_aru already equals its aru), and messages are released before the
    // member holding the aru back has seen the token: nobody can retransmit them any more and virtual
    // synchrony breaks at the next configuration change (simulator, seed 323). Only a new token frees.
    if (this.membState === S_OPERATIONAL) this.messages_free(token.aru);

    // Token-received callbacks (totempg flushes into submit(); stats timestamp).
    this.lastTokenRxMs = this.now;
    this.stats.orfTokenRx++;

    const lastAru = this.myLastAru;
    this.myLastAru = token.aru;

    const allowed = { n: this.fcc_calculate(token) };
    const mcastedRetransmit = this.orf_token_rtr(token, allowed);
    if (
      this.t.cancelTokenHoldOnRetransmit &&
      this.myTokenHeld &&
      (token.rtrList.length > 0 || mcastedRetransmit > 0)
    ) {
      this.myTokenHeld = false;
      forwardToken = true;
    }
    this.fcc_rtr_limit(token, allowed);
    const mcastedRegular = this.orf_token_mcast(token, allowed.n);
    this.fcc_token_update(token, mcastedRetransmit + mcastedRegular);

    if (sqLt(this.myAru, token.aru) || this.nodeid === token.aruAddr || token.aruAddr === 0) {
      token.aru = this.myAru;
      token.aruAddr = token.aru === token.seq ? 0 : this.nodeid;
    }
    if (token.aru === lastAru && token.aruAddr !== 0) this.myAruCount += 1;
    else this.myAruCount = 0;

    // Deviation from the paper kept by corosync: the node that holds aru back blames itself.
    if (this.myAruCount > this.t.failRecvConst && token.aruAddr === this.nodeid) {
      this.log('error', 'FAILED TO RECEIVE');
      this.failedToRecv = true;
      setMerge(this.myFailedList, [this.nodeid]);
      this.memb_state_gather_enter(GatherFrom.FAILED_TO_RECEIVE);
      return;
    }

    this.myTokenSeq = token.tokenSeq;
    token.tokenSeq = (token.tokenSeq + 1) >>> 0;

    if (this.membState === S_RECOVERY) this.recoveryTokenBookkeeping(token);

    this.token_send(token, forwardToken);
    if (this.membState === S_OPERATIONAL) this.messages_deliver_to_app(false, this.myHighSeqReceived);
    this.reset_token_timeout();
    this.reset_token_retransmit_timeout();
    if (iAmRep && this.myTokenHeld) this.arm('tokenHoldRetransmit', this.t.hold);
  }

  /** RECOVERY part of token processing: retrans_flg, install seq, two rotations → OPERATIONAL (§6.6). */
  private recoveryTokenBookkeeping(token: WorkingToken): void {
    if (!this.retransMessageQueue.isEmpty()) {
      if (token.retransFlg === 0) {
        token.retransFlg = 1;
        this.mySetRetransFlg = true;
      }
    } else if (token.retransFlg === 1 && this.mySetRetransFlg) {
      token.retransFlg = 0;
      this.mySetRetransFlg = false;
    }
    if (token.retransFlg === 0) this.myRetransFlgCount += 1;
    else this.myRetransFlgCount = 0;
    if (this.myRetransFlgCount === 2) this.myInstallSeq = token.seq;
    if (this.myRetransFlgCount >= 2 && !this.myReceivedFlg && sqLte(this.myInstallSeq, this.myAru)) {
      this.myReceivedFlg = true;
      this.myDeliverMembList = this.myTransMembList.slice();
    }
    if (this.myRetransFlgCount >= 3 && sqLte(this.myInstallSeq, token.aru)) this.myRotationCounter += 1;
    else this.myRotationCounter = 0;
    if (this.myRotationCounter === 2) {
      this.memb_state_operational_enter();
      this.myRotationCounter = 0;
      this.myRetransFlgCount = 0;
    }
  }

  private token_send(token: WorkingToken, forward: boolean): void {
    const msg: OrfToken = {
      kind: 'orf_token',
      header: header(T_ORF_TOKEN, this.nodeid, 0, this.tokenTarget),
      trailer: EMPTY,
      seq: token.seq,
      tokenSeq: token.tokenSeq,
      aru: token.aru,
      aruAddr: token.aruAddr,
      ringId: token.ringId,
      backlog: token.backlog,
      fcc: token.fcc,
      retransFlg: token.retransFlg,
      rtrList: token.rtrList,
    };
    this.retransmitCopy = msg;
    if (!forward) return;
    this.stats.orfTokenTx++;
    this.send(this.tokenTarget, msg);
  }

  private backlog_get(): number {
    if (this.membState === S_OPERATIONAL) {
      return (this.waitingTransAck ? this.newMessageQueueTrans : this.newMessageQueue).length;
    }
    if (this.membState === S_RECOVERY) return this.retransMessageQueue.length;
    return 0;
  }

  /** Flow control (§6.3 step 7), in corosync's unsigned arithmetic. */
  private fcc_calculate(token: WorkingToken): number {
    let allowed = this.t.maxMessages;
    const windowLeft = (this.t.windowSize - token.fcc) >>> 0;
    if (allowed > windowLeft) allowed = windowLeft;
    this.myCbl = this.backlog_get();
    const denom = (token.backlog + this.myCbl - this.myPbl) >>> 0;
    if (denom !== 0) {
      const calc = Math.floor(((this.t.windowSize * this.myPbl) >>> 0) / denom);
      if (calc > 0 && allowed > calc) allowed = calc;
    }
    return allowed;
  }

  private fcc_rtr_limit(token: WorkingToken, allowed: { n: number }): void {
    const limit = (this.lastReleased + SORT_QUEUE_SIZE - allowed.n - this.t.windowSize) >>> 0;
    if (sqLt(limit, token.seq)) allowed.n = 0;
  }

  private fcc_token_update(token: WorkingToken, transmitted: number): void {
    token.fcc = (token.fcc + transmitted - this.myTrc) >>> 0;
    token.backlog = (token.backlog + this.myCbl - this.myPbl) >>> 0;
    this.myTrc = transmitted;
    this.myPbl = this.myCbl;
  }

  private currentSortQueue(): SortQueue<Mcast> {
    return this.membState === S_RECOVERY ? this.recoverySq : this.regularSq;
  }

  /** Retransmit what others miss, then ask for what I miss (§6.3 step 8). */
  private orf_token_rtr(token: WorkingToken, allowed: { n: number }): number {
    const sq = this.currentSortQueue();
    const list = token.rtrList;
    if (list.length > 0) {
      let text = 'Retransmit List: ';
      for (const item of list) text += `${item.seq.toString(16)} `;
      this.log('notice', text);
    }
    let remcast = 0;
    for (let i = 0; remcast < allowed.n && i < list.length; ) {
      const item = list[i]!;
      if (!sameRing(item.ringId, this.myRingId)) {
        i++;
        continue;
      }
      const stored = sq.inRange(item.seq) ? sq.get(item.seq) : undefined;
      if (stored !== undefined) {
        this.send('multicast', stored);
        list.splice(i, 1);
        this.stats.mcastRetx++;
        remcast++;
      } else {
        i++;
      }
    }
    allowed.n -= remcast;

    const range = (token.seq - this.myAru) >>> 0;
    for (let i = 1; list.length < RETRANSMIT_ENTRIES_MAX && i <= range; i++) {
      const seq = (this.myAru + i) >>> 0;
      if (!sq.inRange(seq)) break;
      if (sq.inuseAt(seq)) continue;
      if (sq.bumpMissCount(seq) < this.t.missCountConst) continue;
      if (!list.some((e) => e.seq === seq)) list.push({ ringId: this.myRingId, seq });
    }
    return remcast;
  }

  /** Multicast queued messages with seq = ++token.seq (§6.3 step 9). */
  private orf_token_mcast(token: WorkingToken, allowed: number): number {
    const recovery = this.membState === S_RECOVERY;
    let queue: Fifo<Uint8Array>;
    let sq: SortQueue<Mcast>;
    if (recovery) {
      queue = this.retransMessageQueue;
      sq = this.recoverySq;
      this.reset_token_retransmit_timeout();
    } else {
      queue = this.waitingTransAck ? this.newMessageQueueTrans : this.newMessageQueue;
      sq = this.regularSq;
    }
    let sent = 0;
    for (; sent < allowed; sent++) {
      const payload = queue.shift();
      if (payload === undefined) break;
      token.seq = (token.seq + 1) >>> 0;
      const m: Mcast = {
        kind: 'mcast',
        header: header(T_MCAST, this.nodeid, recovery ? ENCAP : NOT_ENCAP),
        trailer: EMPTY,
        systemFrom: this.nodeid,
        seq: token.seq,
        thisSeqno: this.globalSeqno | 0,
        ringId: this.myRingId,
        nodeId: 0,
        guarantee: 0,
        payload,
      };
      this.globalSeqno = (this.globalSeqno + 1) >>> 0;
      sq.add(token.seq, m);
      this.send('multicast', m);
      this.myHighSeqReceived = token.seq;
    }
    this.update_aru();
    return sent;
  }

  private update_aru(): void {
    const sq = this.currentSortQueue();
    let aru = this.myAru;
    const high = this.myHighSeqReceived;
    for (let n = 0; aru !== high && n < SORT_QUEUE_SIZE; n++) {
      const next = (aru + 1) >>> 0;
      if (!sq.inuseAt(next)) break;
      aru = next;
    }
    this.myAru = aru;
  }

  /** Release messages every member has (min of token aru, my last aru, my high delivered). */
  private messages_free(tokenAru: number): void {
    let releaseTo = tokenAru;
    if (sqLt(this.myLastAru, releaseTo)) releaseTo = this.myLastAru;
    if (sqLt(this.myHighDelivered, releaseTo)) releaseTo = this.myHighDelivered;
    if (sqLt(releaseTo, this.lastReleased)) return;
    const range = (releaseTo - this.lastReleased) >>> 0;
    if (range === 0 || range >= SORT_QUEUE_SIZE) return;
    this.regularSq.releaseTo(releaseTo);
    this.lastReleased = releaseTo;
  }

  /** Deliver in seq order up to endPoint; with skip, jump holes and keep only deliver-members' messages. */
  private messages_deliver_to_app(skip: boolean, endPoint: number): void {
    const range = (endPoint - this.myHighDelivered) >>> 0;
    if (range === 0) return;
    if (range >= SORT_QUEUE_SIZE) {
      this.log('error', `delivery range ${range} exceeds the sort queue; not delivering`);
      return;
    }
    const base = this.myHighDelivered;
    for (let i = 1; i <= range; i++) {
      const seq = (base + i) >>> 0;
      if (!this.regularSq.inRange(seq)) break;
      const m = this.regularSq.get(seq);
      if (m === undefined && !skip) break;
      this.myHighDelivered = seq;
      if (m === undefined) continue;
      if (skip && !setHas(this.myDeliverMembList, m.systemFrom)) continue;
      this.actions.push({ type: 'deliver', ringId: m.ringId, seq: m.seq, sender: m.header.nodeid, payload: m.payload });
    }
  }

  private message_handler_mcast(m: Mcast): void {
    this.stats.mcastRx++;
    const sq = m.header.encapsulated === ENCAP ? this.recoverySq : this.regularSq;
    if (!sameRing(this.myRingId, m.ringId)) {
      switch (this.membState) {
        case S_OPERATIONAL:
          setMerge(this.myProcList, [m.systemFrom]);
          this.memb_state_gather_enter(GatherFrom.FOREIGN_MESSAGE_OPERATIONAL);
          break;
        case S_GATHER:
          if (!setHas(this.myProcList, m.systemFrom)) {
            setMerge(this.myProcList, [m.systemFrom]);
            this.memb_state_gather_enter(GatherFrom.FOREIGN_MESSAGE_GATHER);
          }
          break;
        default:
          this.stats.rxMsgDropped++;
      }
      return;
    }
    if (this.membState === S_RECOVERY && sq === this.regularSq) {
      // DEVIATION from corosync 3.1.7 (message_handler_mcast): corosync files a new-ring message that
      // arrives while this node is still in RECOVERY into the regular sort queue, which at that point
      // still holds the OLD ring's messages by seq. If recovery then fails (token loss, JOIN), the old
      // ring state is restored and that foreign message is delivered as an old-ring message: the
      // simulator found agreed-order and virtual-synchrony violations from exactly this. We drop it
      // instead; the sender keeps it and retransmits on request once we are OPERATIONAL. Nothing
      // changes on the wire beyond a possible retransmit request.
      this.stats.rxMsgDropped++;
      return;
    }
    if (sq.inRange(m.seq) && !sq.inuseAt(m.seq)) {
      if (sqLt(this.myHighSeqReceived, m.seq)) this.myHighSeqReceived = m.seq;
      sq.add(m.seq, m);
    }
    this.update_aru();
    if (this.membState === S_OPERATIONAL) this.messages_deliver_to_app(false, this.myHighSeqReceived);
  }

  private message_handler_memb_merge_detect(m: MembMergeDetect): void {
    if (sameRing(this.myRingId, m.ringId)) return;
    switch (this.membState) {
      case S_OPERATIONAL:
        setMerge(this.myProcList, [m.systemFrom]);
        this.memb_state_gather_enter(GatherFrom.MERGE_DURING_OPERATIONAL);
        break;
      case S_GATHER:
        if (!setHas(this.myProcList, m.systemFrom)) {
          setMerge(this.myProcList, [m.systemFrom]);
          this.memb_state_gather_enter(GatherFrom.MERGE_DURING_GATHER);
        }
        break;
      default:
        break;
    }
  }

  private pause_flush(): boolean {
    const paused = this.now - this.pauseTimestamp;
    if (paused > this.t.token / 2) {
      this.log('notice', `Process pause detected for ${Math.floor(this.now) - Math.floor(this.pauseTimestamp)} ms, flushing membership messages.`);
      return true;
    }
    return false;
  }

  private message_handler_memb_join(j: MembJoin): void {
    if (this.pause_flush()) return;
    if (this.tokenRingIdSeq < j.ringSeq) this.tokenRingIdSeq = j.ringSeq;
    switch (this.membState) {
      case S_OPERATIONAL:
        if (!this.ignore_join_under_operational(j)) this.memb_join_process(j);
        break;
      case S_GATHER:
        this.memb_join_process(j);
        break;
      case S_COMMIT:
        if (setHas(this.myNewMembList, j.systemFrom) && j.ringSeq >= this.myRingId.seq) {
          this.memb_join_process(j);
          this.memb_state_gather_enter(GatherFrom.JOIN_DURING_COMMIT);
        }
        break;
      case S_RECOVERY:
        if (setHas(this.myNewMembList, j.systemFrom) && j.ringSeq >= this.myRingId.seq) {
          this.memb_join_process(j);
          this.memb_recovery_state_token_loss();
          this.memb_state_gather_enter(GatherFrom.JOIN_DURING_RECOVERY);
        }
        break;
    }
  }

  private ignore_join_under_operational(j: MembJoin): boolean {
    if (setHas(j.failedList, this.nodeid)) return true;
    return setHas(this.myMembList, j.systemFrom) && j.ringSeq < this.myRingId.seq;
  }

  private memb_join_process(j: MembJoin): void {
    const leave = isLeave(j);
    if (leave) {
      const leaver = j.failedList.length > 0 ? j.failedList[j.failedList.length - 1]! : LEAVE_DUMMY_NODEID;
      this.debug(`Received LEAVE message from ${leaver}`);
      if (j.failedList.length > 0 && !setHas(this.myLeaveMembList, leaver)) this.myLeaveMembList.push(leaver);
    }
    let gatherEntered = false;
    if (setEqual(j.procList, this.myProcList) && setEqual(j.failedList, this.myFailedList)) {
      if (!leave) this.memb_consensus_set(j.systemFrom);
      if (this.memb_consensus_agreed() && this.failedToRecv) {
        // Everybody agreed on my failure: form a singleton ring.
        this.failedToRecv = false;
        this.myProcList = [this.nodeid];
        this.myFailedList = [];
        this.memb_state_commit_token_create();
        this.memb_state_commit_enter();
        return;
      }
      if (this.memb_consensus_agreed() && this.memb_lowest_in_config()) {
        this.memb_state_commit_token_create();
        this.memb_state_commit_enter();
      }
    } else if (setSubset(j.procList, this.myProcList) && setSubset(j.failedList, this.myFailedList)) {
      // Nothing new.
    } else if (setHas(this.myFailedList, j.systemFrom)) {
      // Sender already failed in my view.
    } else {
      const before = this.myProcList.length + this.myFailedList.length;
      setMerge(this.myProcList, j.procList);
      if (setHas(j.failedList, this.nodeid)) {
        setMerge(this.myFailedList, [j.systemFrom]);
      } else if (setHas(this.myMembList, j.systemFrom)) {
        if (!setHas(this.myFailedList, j.systemFrom)) {
          setMerge(this.myFailedList, j.failedList);
        } else {
          setMerge(this.myFailedList, setSubtract(j.failedList, this.myMembList));
        }
      }
      // DEVIATION from corosync 3.1.7: corosync re-enters GATHER here even when the JOIN added nothing
      // to my lists (its failed list names nodes I may not adopt). Two groups whose failed lists
      // disagree that way then answer each other's JOINs forever, each answer restarting the consensus
      // timer that would end it: a JOIN storm and a livelock (found by the simulator, seed 18). A JOIN
      // that changes nothing carries nothing to announce, so we stay put and let consensus time out.
      const changed = this.myProcList.length + this.myFailedList.length !== before;
      if (changed || this.membState !== S_GATHER) {
        this.memb_state_gather_enter(GatherFrom.MERGE_DURING_JOIN);
        gatherEntered = true;
      }
    }
    if (!gatherEntered && this.membState === S_OPERATIONAL) {
      this.memb_state_gather_enter(GatherFrom.JOIN_DURING_OPERATIONAL);
    }
  }

  private message_handler_memb_commit_token(msg: MembCommitToken): void {
    const n = msg.addr.length;
    if (msg.membList.length !== n || n === 0) return;
    switch (this.membState) {
      case S_OPERATIONAL:
        break;
      case S_GATHER: {
        const sub = setSubtract(this.myProcList, this.myFailedList);
        if (setEqual(msg.addr, sub) && msg.ringId.seq > this.myRingId.seq) {
          this.commitToken = toWorkingCommitToken(msg);
          this.memb_state_commit_enter();
        }
        break;
      }
      case S_COMMIT:
        if (msg.ringId.seq === this.myRingId.seq && msg.membIndex === n) {
          this.memb_state_recovery_enter(toWorkingCommitToken(msg));
        }
        break;
      case S_RECOVERY:
        if (this.nodeid === this.myRingId.rep) {
          if (this.originatedOrfToken) break;
          this.originatedOrfToken = true;
          this.debug('Sending initial ORF token');
          this.orf_token_send_initial();
          this.reset_token_timeout();
          this.reset_token_retransmit_timeout();
        }
        break;
    }
  }

  private orf_token_send_initial(): void {
    const retrans = !this.retransMessageQueue.isEmpty();
    this.mySetRetransFlg = retrans;
    this.token_send(
      {
        seq: SEQNO_START_MSG,
        tokenSeq: SEQNO_START_TOKEN,
        aru: 0xffffffff, // SEQNO_START_MSG - 1
        aruAddr: this.nodeid,
        ringId: this.myRingId,
        backlog: 0,
        fcc: 0,
        retransFlg: retrans ? 1 : 0,
        rtrList: [],
      },
      true,
    );
  }

  private message_handler_token_hold_cancel(m: TokenHoldCancel): void {
    if (!sameRing(m.ringId, this.myRingId)) return;
    this.mySeqUnchanged = 0;
    if (this.myRingId.rep === this.nodeid) this.timer_function_token_retransmit_timeout();
  }
}

function toWorkingCommitToken(msg: MembCommitToken): WorkingCommitToken {
  return {
    tokenSeq: msg.tokenSeq,
    ringId: msg.ringId,
    retransFlg: msg.retransFlg,
    membIndex: msg.membIndex,
    addr: msg.addr.slice(),
    membList: msg.membList.map((e: MembCommitTokenMembEntry) => ({
      ringId: e.ringId,
      aru: e.aru,
      highDelivered: e.highDelivered,
      receivedFlg: e.receivedFlg,
    })),
  };
}
