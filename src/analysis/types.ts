/**
 * The analysis report (the `--json` output of `totemscope analyze`) and the incremental events.
 * Key names are the documented JSON schema (docs/analyze-json.md): snake_case, times in epoch
 * seconds (capture clock), durations in milliseconds, nodeids as numbers, ring ids as corosync
 * prints them (`rep.seq` in hex).
 */
import type { DistributionSummary } from './distribution.ts';
import type { KnetLinksReport } from './knetLinks.ts';

/** knetLinks.ts's report with every bigint (nanosecond times) as a JSON number. */
export type KnetLinksJson = {
  readonly [K in keyof KnetLinksReport]: readonly JsonSafe<KnetLinksReport[K][number]>[];
};
type JsonSafe<T> = T extends bigint
  ? number
  : T extends readonly (infer U)[]
    ? readonly JsonSafe<U>[]
    : T extends object
      ? { readonly [K in keyof T]: JsonSafe<T[K]> }
      : T;

export const REPORT_SCHEMA = 'totemscope.analyze/1';

export type ChangeClassification =
  /** Ring already running when the capture starts: nothing is known about how it formed. */
  | 'first_seen'
  /** A ring formed by nodes that had no earlier ring (start-up). */
  | 'startup'
  /** Nodes joined; nobody left. */
  | 'node_joined'
  /** Members left with a leave message (JOIN with header nodeid 0): a clean shutdown. */
  | 'clean_leave'
  /** Token lost; the missing node(s) were never heard again in the failure window. */
  | 'node_died'
  /** Token lost; one node is alive (sends joins, forms its own ring) but cut off from the rest. */
  | 'node_isolated'
  /** Token lost; the old members formed two or more separate rings. */
  | 'partition'
  /** Token lost but the same members formed the new ring: a transient network loss. */
  | 'network_loss'
  /** Two or more rings that had been apart merged into one (a partition healed). */
  | 'merge'
  /** A node gave up on a message it could not receive (FAILED TO RECEIVE) and re-formed the ring. */
  | 'failed_to_receive'
  | 'unknown';

export interface NodeJson {
  readonly nodeid: number;
  readonly name: string | null;
  readonly addresses: readonly string[];
  readonly first_seen: number;
  readonly last_seen: number;
  readonly frames: number;
}

export interface GatherJson {
  /** JOIN messages from the ring's members before it formed. */
  readonly joins: number;
  readonly leaves: number;
  readonly first_join_at: number | null;
  readonly last_join_at: number | null;
  /** Last JOIN of each member: its proc and failed lists. */
  readonly last_join_by_node: readonly {
    readonly nodeid: number;
    readonly at: number;
    readonly proc_list: readonly number[];
    readonly failed_list: readonly number[];
    readonly ring_seq: string;
  }[];
}

export interface CommitJson {
  /** First commit token seen (the representative reached consensus and created it). */
  readonly first_at: number;
  /** First commit token with memb_index == members (second rotation starts). */
  readonly second_rotation_at: number | null;
  readonly hops: number;
}

export interface RecoveryJson {
  /** Initial ORF token of the new ring (same as formed_at). */
  readonly started_at: number | null;
  /** Old-ring messages re-originated in RECOVERY (MCAST encapsulated = 1). */
  readonly encapsulated_messages: number;
}

export interface MembershipJson {
  readonly ring_id: string;
  readonly rep: number;
  /** Ring sequence (u64; exact as a JSON number below 2^53). */
  readonly seq: number;
  readonly members: readonly number[];
  readonly joined: readonly number[];
  readonly left: readonly number[];
  /** Initial ORF token of this ring (ring operational); null when the capture starts inside the ring. */
  readonly formed_at: number | null;
  readonly first_seen: number;
  readonly last_seen: number;
  /** true when members come from the token path / senders, not from a commit token. */
  readonly inferred: boolean;
  /** Rings the members came from (commit token memb_list, else last ring seen per node). */
  readonly previous_rings: readonly string[];
  readonly classification: ChangeClassification;
  readonly explanation: string;
  readonly gather: GatherJson | null;
  readonly commit: CommitJson | null;
  readonly recovery: RecoveryJson | null;
}

export interface NearMissJson {
  readonly at: number;
  readonly node: number;
  readonly ring_id: string;
  /** Time between two consecutive token forwards by the node. */
  readonly gap_ms: number;
  /** gap / effective token timeout. */
  readonly ratio: number;
}

export interface TokenLossJson {
  /** Last token of the old ring seen in the capture. */
  readonly at: number;
  /** First sign of the reformation (first JOIN of a member, or the commit token). */
  readonly detected_at: number;
  readonly ring_id: string;
  readonly last_token: {
    readonly sender: number;
    readonly token_seq: number;
    readonly seq: number;
    readonly aru: number;
    /** Copies of that same token seen (> 1: the sender retransmitted it: no forward came). */
    readonly copies: number;
  };
  /** The node the last token was sent to: it received it (or should have) and never forwarded it. */
  readonly last_holder: number | null;
  /** Members with no frame at all after the last token. */
  readonly silent_nodes: readonly number[];
  /** Members of the old ring that are in no new ring. */
  readonly missing: readonly number[];
  /** Node sets (old members) of the ring(s) formed next. */
  readonly groups: readonly (readonly number[])[];
  readonly new_rings: readonly string[];
  readonly classification: ChangeClassification;
  readonly explanation: string;
  /** JOIN messages seen between the last token and the new ring. */
  readonly joins: number;
  /** First commit token of the new ring (consensus reached). */
  readonly consensus_at: number | null;
  readonly last_token_to_new_ring_ms: number | null;
}

export interface RetransmitEntryJson {
  readonly ring_id: string;
  readonly seq: number;
  /** Original sender (MCAST system_from); null if the capture never saw that message. */
  readonly sender: number | null;
  /** Token holder that first put the seq in the token's rtr_list. */
  readonly requested_by: number;
  readonly requested_at: number;
  /** Node that re-multicast it (the copy seen), or the holder that removed it from the list. */
  readonly retransmitted_by: number | null;
  readonly repaired_at: number | null;
  readonly repaired_after_ms: number | null;
  /** true when the repair was inferred from the entry leaving the rtr_list (copy not captured). */
  readonly repair_inferred: boolean;
}

export interface PinnedAruJson {
  readonly ring_id: string;
  /** aru_addr: the node that cannot receive. */
  readonly node: number;
  readonly aru: number;
  readonly missing_seq: number;
  readonly missing_sender: number | null;
  readonly from: number;
  readonly to: number;
  readonly tokens: number;
  readonly rotations: number;
  /** corosync gives up after fail_recv_const (2500) tokens: FAILED TO RECEIVE. */
  readonly failed_to_receive: boolean;
}

export interface StormJson {
  readonly from: number;
  readonly to: number;
  readonly requested: number;
  readonly peak_per_s: number;
}

export interface CaptureGapJson {
  readonly kind: 'mcast' | 'token';
  readonly ring_id: string;
  readonly from_seq: number;
  readonly to_seq: number;
  readonly count: number;
  /** Time of the frame that proved the gap (a later token). */
  readonly at: number;
}

export interface AddressChangeJson {
  readonly at: number;
  readonly nodeid: number;
  readonly old_address: string;
  readonly new_address: string;
  readonly likely_cause: string;
}

export interface AnalysisReport {
  readonly schema: typeof REPORT_SCHEMA;
  readonly capture: {
    readonly first_ts: number | null;
    readonly last_ts: number | null;
    readonly duration_s: number;
    readonly transports: readonly string[];
    readonly frames: {
      readonly total: number;
      readonly totem: number;
      readonly knet_control: number;
      readonly fragment: number;
      readonly duplicate: number;
      readonly ignored: number;
      readonly error: number;
    };
    readonly messages: Readonly<Record<string, number>>;
  };
  readonly timers: {
    readonly token_ms: number | null;
    readonly token_warning_ms: number | null;
    readonly hold_ms: number | null;
    readonly consensus_ms: number | null;
    readonly source: string | null;
  };
  readonly verdict: {
    readonly severity: 'ok' | 'warning' | 'problem';
    readonly summary: string;
    readonly findings: readonly string[];
  };
  readonly nodes: readonly NodeJson[];
  readonly memberships: readonly MembershipJson[];
  readonly token: {
    /** Where rotations were timed (ring representative unless its forwards were not captured). */
    readonly rotation_measured_at: readonly number[];
    readonly rotation_ms: DistributionSummary;
    /** Rotations without an idle hold by the representative. */
    readonly rotation_active_ms: DistributionSummary;
    /** Token arrival at the node → its forward (both hops captured); idle holds excluded. */
    readonly hold_ms: Readonly<Record<string, DistributionSummary>>;
    readonly idle_holds: { readonly count: number; readonly hold_ms: DistributionSummary };
    /** Time between two consecutive forwards by the same node (what its token timer sees). */
    readonly gap_ms: Readonly<Record<string, DistributionSummary>>;
    readonly max_gap: { readonly at: number; readonly node: number; readonly gap_ms: number } | null;
    /** Tokens sent again with the same token_seq (token retransmit timer or hold retransmit). */
    readonly retransmitted: Readonly<Record<string, number>>;
    /** null when the token timeout is unknown (no --config / --token). */
    readonly near_misses: readonly NearMissJson[] | null;
    readonly losses: readonly TokenLossJson[];
  };
  readonly retransmits: {
    /** Distinct (ring, seq) requested in any rtr_list. */
    readonly requested: number;
    readonly repaired: number;
    readonly unrepaired: number;
    readonly repaired_after_ms: DistributionSummary;
    readonly entries: readonly RetransmitEntryJson[];
    readonly entries_truncated: number;
    /** Loss by original sender → requesting receiver. */
    readonly by_pair: readonly { readonly sender: number | null; readonly receiver: number; readonly count: number }[];
    readonly by_requester: Readonly<Record<string, number>>;
    readonly timeline: readonly { readonly t: number; readonly requested: number; readonly repaired: number }[];
    readonly storms: readonly StormJson[];
    readonly pinned_aru: readonly PinnedAruJson[];
  };
  readonly capture_gaps: {
    readonly missing_mcasts: number;
    readonly missing_token_hops: number;
    readonly ranges: readonly CaptureGapJson[];
    readonly ranges_truncated: number;
  };
  readonly address_changes: readonly AddressChangeJson[];
  /** knet link statistics (src/analysis/knetLinks.ts) when knet frames were seen; null otherwise. */
  readonly knet: KnetLinksJson | null;
}

export type AnalysisEvent =
  | { readonly type: 'membership'; readonly at: number; readonly membership: MembershipJson }
  | { readonly type: 'token_loss'; readonly at: number; readonly loss: TokenLossJson }
  | { readonly type: 'near_miss'; readonly at: number; readonly nearMiss: NearMissJson }
  | {
      readonly type: 'retransmit_request';
      readonly at: number;
      readonly ring_id: string;
      readonly seq: number;
      readonly requested_by: number;
    }
  | { readonly type: 'pinned_aru'; readonly at: number; readonly pinned: PinnedAruJson }
  | { readonly type: 'capture_gap'; readonly at: number; readonly gap: CaptureGapJson }
  | { readonly type: 'address_change'; readonly at: number; readonly change: AddressChangeJson };

export interface AnalyzerOptions {
  /** Effective token timeout (ms): from --config (runtime value) or --token. Enables near misses. */
  readonly tokenMs?: number;
  /** token_warning percentage (default 75). */
  readonly tokenWarningPercent?: number;
  /** Hold timer (ms); derived from tokenMs when absent. */
  readonly holdMs?: number;
  readonly consensusMs?: number;
  /** Where the timers came from, for the report (`corosync.conf`, `--token`). */
  readonly timersSource?: string;
  /** seqno_unchanged_const (default 30). */
  readonly seqnoUnchangedConst?: number;
  /** Node names and configured ring addresses (from corosync.conf nodelist). */
  readonly nodeNames?: ReadonlyMap<number, string>;
  readonly nodeAddresses?: ReadonlyMap<number, readonly string[]>;
  /** Cap on retransmits.entries (the counts stay exact). Default 100000. */
  readonly maxRetransmitEntries?: number;
  /** Called for each event as it happens (live sources). */
  readonly onEvent?: (event: AnalysisEvent) => void;
  /** Keep events for `drainEvents()` (bounded: oldest dropped beyond 10000). */
  readonly queueEvents?: boolean;
}
