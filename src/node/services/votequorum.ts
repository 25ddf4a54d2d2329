/**
 * votequorum's part in sync for a member that holds `votes` (0 for an observer)
 * (CS3 exec/votequorum.c votequorum_sync_process / message_handler_req_exec_votequorum_nodeinfo;
 * wire-format.md §5.2). During sync each member multicasts NODEINFO for itself and for the quorum
 * device slot (nodeid 0, all zero when no qdevice is registered). The QUORATE flag is set when this
 * node's view of the last synced ring was quorate, as corosync's `us->flags` would be.
 */
import { emitVotequorum, NODEINFO_LEN, VotequorumFn } from '../../../dissectors/services/votequorum.ts';
import { makeHeader, ServiceId } from '../../../dissectors/services/header.ts';
import type { VotequorumNodeinfo, SyncRingId } from '../../../dissectors/services/types.ts';
import type { SyncService } from './sync.ts';

export const NODE_FLAG_QUORATE = 1;
export const NODE_FLAG_FIRST = 8;
/** VOTEQUORUM_QDEVICE_NODEID. */
export const QDEVICE_NODEID = 0;

export interface NodeinfoView {
  readonly votes: number;
  readonly expectedVotes: number;
  readonly flags: number;
}

export function nodeinfoMessage(nodeid: number, votes: number, expectedVotes: number, flags: number, le = true): Uint8Array {
  const m: VotequorumNodeinfo = {
    service: 'votequorum',
    type: 'nodeinfo',
    header: makeHeader(ServiceId.VOTEQUORUM, VotequorumFn.NODEINFO, NODEINFO_LEN),
    nodeid,
    votes,
    expectedVotes,
    flags,
    trailer: new Uint8Array(0),
  };
  return emitVotequorum(m, le);
}

export class VotequorumMember implements SyncService {
  readonly id = ServiceId.VOTEQUORUM;
  readonly name = 'corosync vote quorum service v1.0';
  private flags = NODE_FLAG_FIRST;
  private members: number[] = [];
  private readonly nodes = new Map<number, NodeinfoView>();
  private quorate = false;

  constructor(
    readonly nodeid: number,
    readonly votes: number,
    /** Sum of the nodelist's quorum_votes (or quorum.expected_votes). */
    readonly expectedVotes: number,
    private readonly littleEndian = true,
  ) {}

  init(_trans: readonly number[], members: readonly number[], _ring: SyncRingId): void {
    if (members.length > 1) this.flags &= ~NODE_FLAG_FIRST;
    this.members = [...members];
  }

  process(): Uint8Array[] {
    return [
      nodeinfoMessage(this.nodeid, this.votes, this.expectedVotes, this.flags, this.littleEndian),
      nodeinfoMessage(QDEVICE_NODEID, 0, 0, 0, this.littleEndian),
    ];
  }

  activate(): void {
    this.recalculate();
  }

  /** A delivered NODEINFO (any time, also outside sync). */
  onNodeinfo(m: VotequorumNodeinfo): void {
    if (m.nodeid === QDEVICE_NODEID) return;
    this.nodes.set(m.nodeid, { votes: m.votes, expectedVotes: m.expectedVotes, flags: m.flags });
  }

  get isQuorate(): boolean {
    return this.quorate;
  }

  /** Total votes of the current members and the quorum they need (votequorum's calculate_quorum). */
  view(): { totalVotes: number; expectedVotes: number; quorum: number } {
    let total = 0;
    let expected = this.expectedVotes;
    for (const id of this.members) {
      const n = id === this.nodeid ? { votes: this.votes, expectedVotes: this.expectedVotes } : this.nodes.get(id);
      if (n === undefined) continue;
      total += n.votes;
      expected = Math.max(expected, n.expectedVotes);
    }
    return { totalVotes: total, expectedVotes: expected, quorum: Math.floor(expected / 2) + 1 };
  }

  private recalculate(): void {
    const v = this.view();
    this.quorate = v.totalVotes >= v.quorum;
    if (this.quorate) this.flags |= NODE_FLAG_QUORATE;
    else this.flags &= ~NODE_FLAG_QUORATE;
  }
}
