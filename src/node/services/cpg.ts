/**
 * CPG's part in sync for a member with no local CPG processes (CS3 exec/cpg.c cpg_sync_init,
 * cpg_sync_process, cpg_sync_activate; wire-format.md §5.2): DOWNLIST with the old members that are
 * not in the transitional set, then no JOINLIST (corosync sends none when it has no local members).
 * Groups seen from procjoin/procleave/joinlist are tracked for inspection only.
 */
import { CpgFn, DOWNLIST_LEN, emitCpg } from '../../../dissectors/services/cpg.ts';
import { makeHeader, ServiceId } from '../../../dissectors/services/header.ts';
import type { CpgDownlist, SyncRingId } from '../../../dissectors/services/types.ts';
import type { SyncService } from './sync.ts';

export function downlistMessage(oldMembers: number, leftNodes: readonly number[], le = true): Uint8Array {
  const m: CpgDownlist = {
    service: 'cpg',
    type: 'downlist',
    header: makeHeader(ServiceId.CPG, CpgFn.DOWNLIST, DOWNLIST_LEN),
    oldMembers,
    leftNodes,
    trailer: new Uint8Array(0),
  };
  return emitCpg(m, le);
}

export class CpgMember implements SyncService {
  readonly id = ServiceId.CPG;
  readonly name = 'corosync cluster closed process group service v1.01';
  private oldMembers: number[] = [];
  private members: number[] = [];
  private leftNodes: number[] = [];

  constructor(private readonly littleEndian = true) {}

  init(trans: readonly number[], members: readonly number[], _ring: SyncRingId): void {
    this.members = [...members];
    this.leftNodes = this.oldMembers.filter((n) => !trans.includes(n));
  }

  process(): Uint8Array[] {
    return [downlistMessage(this.oldMembers.length, this.leftNodes, this.littleEndian)];
  }

  activate(): void {
    this.oldMembers = [...this.members];
  }
}
