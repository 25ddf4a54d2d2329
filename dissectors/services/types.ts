/**
 * Service message values (wire-format.md §5): the meaningful fields of each exec message, no
 * padding. Decoders live in one file per service; `decodeServiceMessage` (index.ts) dispatches.
 */

/** `qb_ipc_request_header` (16 B: id @0, size @8). For sync messages `service` is 0 and `fn` the raw id. */
export interface RequestHeader {
  readonly id: number;
  readonly service: number;
  readonly fn: number;
  readonly size: number;
}

interface Base {
  readonly header: RequestHeader;
  /** Bytes after the structure; corosync ignores them. Empty on real traffic. */
  readonly trailer: Uint8Array;
}

export interface CpgProcJoin extends Base {
  readonly service: 'cpg';
  readonly type: 'procjoin' | 'procleave';
  readonly groupName: Uint8Array;
  readonly pid: number;
  readonly reason: number;
}

export interface CpgJoinlistEntry {
  readonly pid: number;
  readonly groupName: Uint8Array;
}

export interface CpgJoinlist extends Base {
  readonly service: 'cpg';
  readonly type: 'joinlist';
  /** qb_ipc_response_header.error (the joinlist is sent with a response header). */
  readonly error: number;
  readonly entries: readonly CpgJoinlistEntry[];
}

export interface CpgMcast extends Base {
  readonly service: 'cpg';
  readonly type: 'mcast';
  readonly groupName: Uint8Array;
  readonly pid: number;
  readonly sourceNodeid: number;
  /** The sender's connection pointer (garbage to receivers); kept for exact re-encoding. */
  readonly sourceConn: bigint;
  /** Application message (msglen bytes). */
  readonly message: Uint8Array;
}

export interface CpgPartialMcast extends Base {
  readonly service: 'cpg';
  readonly type: 'partial_mcast';
  readonly groupName: Uint8Array;
  /** Length of the whole application message. */
  readonly msgLen: number;
  readonly pid: number;
  /** 1 first, 2 continued, 3 last. */
  readonly partialType: number;
  readonly sourceNodeid: number;
  readonly sourceConn: bigint;
  /** This piece (fraglen bytes). */
  readonly message: Uint8Array;
}

export interface CpgDownlist extends Base {
  readonly service: 'cpg';
  readonly type: 'downlist';
  readonly oldMembers: number;
  readonly leftNodes: readonly number[];
}

export interface CpgDownlistOld extends Base {
  readonly service: 'cpg';
  readonly type: 'downlist_old';
  readonly leftNodes: readonly number[];
}

export type CpgMessage = CpgProcJoin | CpgJoinlist | CpgMcast | CpgPartialMcast | CpgDownlist | CpgDownlistOld;

export interface VotequorumNodeinfo extends Base {
  readonly service: 'votequorum';
  readonly type: 'nodeinfo';
  readonly nodeid: number;
  readonly votes: number;
  readonly expectedVotes: number;
  readonly flags: number;
}

export interface VotequorumReconfigure extends Base {
  readonly service: 'votequorum';
  readonly type: 'reconfigure';
  readonly nodeid: number;
  readonly value: number;
  readonly param: number;
}

export interface VotequorumQdeviceReg extends Base {
  readonly service: 'votequorum';
  readonly type: 'qdevice_reg';
  readonly operation: number;
  readonly name: string;
}

export interface VotequorumQdeviceReconfigure extends Base {
  readonly service: 'votequorum';
  readonly type: 'qdevice_reconfigure';
  readonly oldName: string;
  readonly newName: string;
}

export type VotequorumMessage = VotequorumNodeinfo | VotequorumReconfigure | VotequorumQdeviceReg | VotequorumQdeviceReconfigure;

/** memb_ring_id inside sync messages (rep nodeid, u64 seq). */
export interface SyncRingId {
  readonly rep: number;
  readonly seq: bigint;
}

export interface SyncBarrier extends Base {
  readonly service: 'sync';
  readonly type: 'barrier';
  readonly ringId: SyncRingId;
}

export interface SyncServiceBuild extends Base {
  readonly service: 'sync';
  readonly type: 'service_build';
  readonly ringId: SyncRingId;
  readonly services: readonly number[];
}

export type SyncMessage = SyncBarrier | SyncServiceBuild;

export interface CmapItem {
  readonly key: string;
  readonly valueType: number;
  /** value_len as sent (u64). */
  readonly valueLen: bigint;
  readonly value: Uint8Array;
}

export interface CmapMcast extends Base {
  readonly service: 'cmap';
  readonly type: 'mcast';
  readonly reason: number;
  readonly items: readonly CmapItem[];
}

export interface CfgSourced extends Base {
  readonly service: 'cfg';
  readonly type: 'ringreenable' | 'reload_config';
  readonly sourceNodeid: number;
}

export interface CfgKillnode extends Base {
  readonly service: 'cfg';
  readonly type: 'killnode';
  readonly nodeid: number;
  readonly reason: string;
}

export interface CfgShutdown extends Base {
  readonly service: 'cfg';
  readonly type: 'shutdown';
}

export interface CfgCryptoReconfig extends Base {
  readonly service: 'cfg';
  readonly type: 'crypto_reconfig';
  readonly phase: number;
}

export type CfgMessage = CfgSourced | CfgKillnode | CfgShutdown | CfgCryptoReconfig;

export interface PloadStart extends Base {
  readonly service: 'pload';
  readonly type: 'start';
  readonly msgCount: number;
  readonly msgSize: number;
}

export interface PloadMcast extends Base {
  readonly service: 'pload';
  readonly type: 'mcast';
  /** Filler bytes after the header (size − 16). */
  readonly fillerLen: number;
}

export type PloadMessage = PloadStart | PloadMcast;

/** A service or function without a decoder: named, numbered and sized. */
export interface OtherServiceMessage {
  readonly service: 'other';
  /** Service name (`quorum`, `mon`, `service-9`, or the group name for non-"a" groups). */
  readonly name: string;
  readonly type: string;
  readonly header: RequestHeader;
  /** Bytes after the request header. */
  readonly body: Uint8Array;
  readonly trailer: Uint8Array;
}

export type ServiceMessage = CpgMessage | VotequorumMessage | SyncMessage | CmapMessage | CfgMessage | PloadMessage | OtherServiceMessage;
export type CmapMessage = CmapMcast;
