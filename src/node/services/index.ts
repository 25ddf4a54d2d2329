/**
 * Everything above the ring a corosync member must do, pure (wire-format.md §4, §5): assembled
 * totempg messages in (group header + service message), configurations in; messages to multicast,
 * log lines and deliveries out. Groups: "sync" for the sync engine, "a" for corosync's services.
 */
import { parseGroupedMessage, emitGroupedMessage, nameBytes } from '../../../dissectors/totempg/group.ts';
import { parseRequestHeader, ServiceId } from '../../../dissectors/services/header.ts';
import { parseSync } from '../../../dissectors/services/sync.ts';
import { parseVotequorum } from '../../../dissectors/services/votequorum.ts';
import { WireError } from '../../../dissectors/errors.ts';
import type { SyncRingId } from '../../../dissectors/services/types.ts';
import { SyncEngine, type SyncOutput } from './sync.ts';
import { VotequorumMember } from './votequorum.ts';
import { CpgMember } from './cpg.ts';
import { CmapMember, QuorumMember } from './cmap.ts';

export { SyncEngine, type SyncService, type SyncOutput } from './sync.ts';
export { VotequorumMember, nodeinfoMessage } from './votequorum.ts';
export { CpgMember, downlistMessage } from './cpg.ts';
export { CmapMember, QuorumMember, configVersionMessage } from './cmap.ts';

const GROUP_SYNC = nameBytes('sync');
const GROUP_A = nameBytes('a');

function groupIs(g: Uint8Array, name: Uint8Array): boolean {
  return g.length === name.length && g.every((b, i) => b === name[i]);
}

export interface ServiceDelivery {
  readonly sender: number;
  readonly group: string;
  /** service id (>>16 of the header id) or -1 for the sync group. */
  readonly service: number;
  readonly fn: number;
  readonly bytes: number;
}

export type ServiceOutput =
  | { readonly type: 'mcast'; readonly bytes: Uint8Array }
  | { readonly type: 'log'; readonly level: 'notice' | 'debug' | 'warning'; readonly text: string }
  | { readonly type: 'syncCompleted'; readonly ringId: SyncRingId }
  | { readonly type: 'deliver'; readonly delivery: ServiceDelivery };

export interface ServiceLayerOptions {
  readonly nodeid: number;
  readonly votes: number;
  readonly expectedVotes: number;
  readonly littleEndian?: boolean;
}

export class ServiceLayer {
  readonly sync: SyncEngine;
  readonly votequorum: VotequorumMember;
  private out: ServiceOutput[] = [];
  private readonly le: boolean;

  constructor(opts: ServiceLayerOptions) {
    this.le = opts.littleEndian ?? true;
    this.votequorum = new VotequorumMember(opts.nodeid, opts.votes, opts.expectedVotes, this.le);
    this.sync = new SyncEngine([new CmapMember(this.le), new CpgMember(this.le), new QuorumMember(), this.votequorum], this.le);
  }

  onConfiguration(kind: 'transitional' | 'regular', members: readonly number[], ringId: SyncRingId): void {
    if (kind === 'transitional') this.sync.onTransitional(members);
    else this.sync.onRegular(members, ringId);
    this.drainSync();
  }

  /** One assembled totempg message delivered in agreed order from `sender`. */
  onMessage(sender: number, message: Uint8Array): void {
    const g = parseGroupedMessage(message, this.le);
    if (g instanceof WireError) {
      this.out.push({ type: 'log', level: 'warning', text: `undecodable message from ${sender}: ${g.message}` });
      return;
    }
    const h = parseRequestHeader(g.body, this.le);
    if (h instanceof WireError) return;
    const group = g.groups[0];
    if (group !== undefined && groupIs(group, GROUP_SYNC)) {
      this.out.push({ type: 'deliver', delivery: { sender, group: 'sync', service: -1, fn: h.id, bytes: g.body.length } });
      const m = parseSync(g.body, h, this.le);
      if (!(m instanceof WireError)) this.sync.onMessage(sender, m);
      this.drainSync();
      return;
    }
    if (group !== undefined && groupIs(group, GROUP_A)) {
      this.out.push({ type: 'deliver', delivery: { sender, group: 'a', service: h.service, fn: h.fn, bytes: g.body.length } });
      if (h.service === ServiceId.VOTEQUORUM) {
        const m = parseVotequorum(g.body, h, this.le);
        if (!(m instanceof WireError) && m.type === 'nodeinfo') this.votequorum.onNodeinfo(m);
      }
    }
  }

  takeOutput(): ServiceOutput[] {
    const o = this.out;
    this.out = [];
    return o;
  }

  private drainSync(): void {
    for (const o of this.sync.takeOutput() as SyncOutput[]) {
      if (o.type === 'mcast') {
        const bytes = emitGroupedMessage({ groups: [o.group === 'sync' ? GROUP_SYNC : GROUP_A], body: o.body }, this.le);
        this.out.push({ type: 'mcast', bytes });
      } else if (o.type === 'log') this.out.push(o);
      else this.out.push({ type: 'syncCompleted', ringId: o.ringId });
    }
  }
}
