/**
 * Engine configuration and output actions. The engine is pure (etcd-raft style, style-anchors §2):
 * messages, time and application payloads come in; actions go out. No sockets, clocks or timers.
 */
import type { RingId, TotemMessage } from '../../dissectors/totemsrp/types.ts';

/** corosync.conf totem timers and constants (wire-format.md §6.9), in ms where a time. */
export interface EngineTimers {
  /** Token loss timeout. */
  readonly token: number;
  /** Resend the last token/commit token after this long without progress. */
  readonly tokenRetransmit: number;
  /** The rep re-sends a held token after this long. */
  readonly hold: number;
  /** Consensus timeout in GATHER. */
  readonly consensus: number;
  /** JOIN re-send period in GATHER/COMMIT. */
  readonly join: number;
  /** Merge-detect timer (rep multicasts MERGE_DETECT while the ring is idle). */
  readonly merge: number;
  /** Percent of `token` after which "Token has not been received" is logged; 0 disables. */
  readonly tokenWarning: number;
  readonly failRecvConst: number;
  readonly seqnoUnchangedConst: number;
  readonly missCountConst: number;
  readonly windowSize: number;
  readonly maxMessages: number;
  /** totem.cancel_token_hold_on_retransmit (3.1.6+, default no). */
  readonly cancelTokenHoldOnRetransmit: boolean;
}

/** MINIMUM_TIMEOUT in exec/totemconfig.c (3 * 1000/HZ, HZ=100). */
const MINIMUM_TIMEOUT = 30;

/**
 * The effective values corosync 3.1.7 computes from `token` (exec/totemconfig.c; §6.9):
 * token += (nodes-2)*token_coefficient when the nodelist has more than 2 nodes, token_retransmit =
 * token/(4+0.2), hold = token_retransmit*0.8 - 1000/HZ, consensus = 1.2*token.
 */
export function corosyncTimers(opts: { token?: number; nodes?: number; tokenCoefficient?: number } = {}): EngineTimers {
  const base = opts.token ?? 3000;
  const nodes = opts.nodes ?? 2;
  const coefficient = opts.tokenCoefficient ?? 650;
  const token = nodes > 2 ? base + (nodes - 2) * coefficient : base;
  const tokenRetransmit = Math.max(MINIMUM_TIMEOUT, Math.trunc(token / (4 + 0.2)));
  const hold = Math.max(MINIMUM_TIMEOUT, Math.trunc(tokenRetransmit * 0.8 - 1000 / 100));
  return {
    token,
    tokenRetransmit,
    hold,
    consensus: Math.trunc(1.2 * token),
    join: 50,
    merge: 200,
    tokenWarning: 75,
    failRecvConst: 2500,
    seqnoUnchangedConst: 30,
    missCountConst: 5,
    windowSize: 50,
    maxMessages: 17,
    cancelTokenHoldOnRetransmit: false,
  };
}

export interface EngineOptions {
  /** This node's nodeid (non-zero). */
  readonly nodeid: number;
  readonly timers: EngineTimers;
  /**
   * Ring seq read from the injected store (`<state_dir>/ringid_<nodeid>`), 0 when absent. The engine
   * adds 1 at start like corosync (main_iface_change_fn) so a restarted node never reuses a singleton id.
   */
  readonly initialRingSeq: bigint;
  /** Seeded randomness in [0,1), for send_join jitter only. */
  readonly random: () => number;
  /** totem.send_join: random delay 0..sendJoin ms before each JOIN (0 = off, the default). */
  readonly sendJoin?: number;
  /** Replay mode: consume frames, never send, reconstruct rings and delivery order. */
  readonly listenOnly?: boolean;
  /**
   * Clear waiting_trans_ack right after the regular configuration (corosync's sync engine does this when
   * synchronisation completes, via totemsrp_trans_ack). Default true; false means call `transAck()`.
   */
  readonly autoTransAck?: boolean;
  /** Capacity of the new-message queue (MESSAGE_QUEUE_MAX = 4 MiB / net_mtu; 2796 for udpu mtu 1500). */
  readonly messageQueueMax?: number;
  /** Emit corosync's debug-level log lines too (off by default: they cost time on hot paths). */
  readonly logDebug?: boolean;
}

export type LogLevel = 'error' | 'warning' | 'notice' | 'debug';

export type SendAction = {
  readonly type: 'send';
  /** A nodeid for the token and the commit token, 'multicast' for everything else. */
  readonly to: number | 'multicast';
  readonly msg: TotemMessage;
};

export type DeliverAction = {
  readonly type: 'deliver';
  /** Ring on which the message was ordered (the inner ring for recovered messages). */
  readonly ringId: RingId;
  /** Its seq on that ring. */
  readonly seq: number;
  /** MCAST header nodeid of the originator (what corosync hands to services). */
  readonly sender: number;
  readonly payload: Uint8Array;
};

export type ConfigurationAction = {
  readonly type: 'configuration';
  readonly kind: 'transitional' | 'regular';
  /** The new ring's id (corosync passes my_ring_id for both callbacks). */
  readonly ringId: RingId;
  readonly members: readonly number[];
  readonly joined: readonly number[];
  readonly left: readonly number[];
};

export type PersistRingSeqAction = { readonly type: 'persistRingSeq'; readonly seq: bigint };

export type LogAction = { readonly type: 'log'; readonly level: LogLevel; readonly text: string };

export type EngineAction = SendAction | DeliverAction | ConfigurationAction | PersistRingSeqAction | LogAction;

export const MembState = {
  OPERATIONAL: 1,
  GATHER: 2,
  COMMIT: 3,
  RECOVERY: 4,
} as const;
export type MembState = (typeof MembState)[keyof typeof MembState];

export const MEMB_STATE_NAMES: Readonly<Record<MembState, string>> = {
  1: 'OPERATIONAL',
  2: 'GATHER',
  3: 'COMMIT',
  4: 'RECOVERY',
};

/** enum gather_state_from with corosync's descriptions (exec/totemsrp.c gather_state_from_desc). */
export const GatherFrom = {
  CONSENSUS_TIMEOUT: 0,
  GATHER_MISSING1: 1,
  TOKEN_LOST_OPERATIONAL: 2,
  CONSENSUS_TIMEOUT_EXPIRED: 3,
  TOKEN_LOST_COMMIT: 4,
  TOKEN_LOST_RECOVERY: 5,
  FAILED_TO_RECEIVE: 6,
  FOREIGN_MESSAGE_OPERATIONAL: 7,
  FOREIGN_MESSAGE_GATHER: 8,
  MERGE_DURING_OPERATIONAL: 9,
  MERGE_DURING_GATHER: 10,
  MERGE_DURING_JOIN: 11,
  JOIN_DURING_OPERATIONAL: 12,
  JOIN_DURING_COMMIT: 13,
  JOIN_DURING_RECOVERY: 14,
  INTERFACE_CHANGE: 15,
} as const;
export type GatherFrom = (typeof GatherFrom)[keyof typeof GatherFrom];

export const GATHER_FROM_DESC: readonly string[] = [
  'consensus timeout',
  'MISSING',
  'The token was lost in the OPERATIONAL state.',
  'The consensus timeout expired.',
  'The token was lost in the COMMIT state.',
  'The token was lost in the RECOVERY state.',
  'failed to receive',
  'foreign message in operational state',
  'foreign message in gather state',
  'merge during operational state',
  'merge during gather state',
  'merge during join',
  'join during operational state',
  'join during commit state',
  'join during recovery',
  'interface change',
];

/** Counters mirroring `stats.srp.*` (exec/totemsrp.c struct totemsrp_stats). */
export interface EngineStats {
  orfTokenTx: number;
  orfTokenRx: number;
  mcastTx: number;
  mcastRetx: number;
  mcastRx: number;
  membJoinTx: number;
  membCommitTokenTx: number;
  membMergeDetectTx: number;
  tokenHoldCancelTx: number;
  rxMsgDropped: number;
  gatherEntered: number;
  commitEntered: number;
  recoveryEntered: number;
  operationalEntered: number;
  operationalTokenLost: number;
  gatherTokenLost: number;
  commitTokenLost: number;
  recoveryTokenLost: number;
  consensusTimeouts: number;
  continuousGather: number;
}
