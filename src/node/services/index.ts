/**
 * Everything above the ring a corosync member must do, pure (wire-format.md §4, §5): assembled
 * totempg messages in (group header + service message), configurations in; messages to multicast,
 * log lines and deliveries out. Groups: "sync" for the sync engine, "a" for corosync's services.
 */
import { parseGroupedMessage, emitGroupedMessage, nameBytes } from '../../../dissectors/totempg/group.ts';
import { parseRequestHeader, ServiceId } from '../../../dissectors/services/header.ts';
import { parseSync } from '../../../dissectors/services/sync.ts';
import { parseVotequorum } from '../../../dissectors/services/votequorum.ts';
import { CpgFn, parseCpg } from '../../../dissectors/services/cpg.ts';
import { printableName } from '../../../dissectors/totempg/group.ts';
import { WireError } from '../../../dissectors/errors.ts';
import type { RequestHeader, SyncRingId } from '../../../dissectors/services/types.ts';
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
  /** A CPG application message (MCAST, or PARTIAL_MCAST pieces joined), as CPG clients receive it. */
  readonly cpg?: CpgDelivery;
}

export interface CpgDelivery {
  readonly group: string;
  readonly pid: number;
  /** mar_message_source_t.nodeid: the node of the sending process. */
  readonly nodeid: number;
  readonly message: Uint8Array;
}

/** PARTIAL_MCAST types (CS3 include/corosync/ipc_cpg.h). */
const PARTIAL_FIRST = 1;
const PARTIAL_LAST = 3;
/** Bound on one CPG message being joined from PARTIAL_MCAST pieces (the lib's limit is far lower). */
const CPG_PARTIAL_MAX = 64 * 1024 * 1024;

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
  /** PARTIAL_MCAST pieces in progress by sender nodeid/pid/group. */
  private readonly partial = new Map<string, { chunks: Uint8Array[]; bytes: number }>();

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
      const cpg = h.service === ServiceId.CPG && (h.fn === CpgFn.MCAST || h.fn === CpgFn.PARTIAL_MCAST) ? this.cpgMessage(sender, g.body, h) : undefined;
      if (h.fn === CpgFn.PARTIAL_MCAST && h.service === ServiceId.CPG && cpg === undefined) return;
      this.out.push({ type: 'deliver', delivery: { sender, group: 'a', service: h.service, fn: h.fn, bytes: g.body.length, ...(cpg !== undefined ? { cpg } : {}) } });
      if (h.service === ServiceId.VOTEQUORUM) {
        const m = parseVotequorum(g.body, h, this.le);
        if (!(m instanceof WireError) && m.type === 'nodeinfo') this.votequorum.onNodeinfo(m);
      }
    }
  }

  /** A ring change drops half-joined CPG messages (their senders' pieces can not all have been delivered). */
  resetPartial(): void {
    this.partial.clear();
  }

  private cpgMessage(sender: number, body: Uint8Array, h: RequestHeader): CpgDelivery | undefined {
    const m = parseCpg(body, h, this.le);
    if (m instanceof WireError) {
      this.out.push({ type: 'log', level: 'warning', text: `undecodable CPG message from ${sender}: ${m.message}` });
      return undefined;
    }
    if (m.type === 'mcast') return { group: printableName(m.groupName), pid: m.pid, nodeid: m.sourceNodeid, message: m.message };
    if (m.type !== 'partial_mcast') return undefined;
    const key = `${sender}/${m.pid}/${printableName(m.groupName)}`;
    let held = this.partial.get(key);
    if (m.partialType === PARTIAL_FIRST) {
      held = { chunks: [], bytes: 0 };
      this.partial.set(key, held);
    } else if (held === undefined) {
      // A continuation whose first piece was delivered on an earlier ring: nothing to join it to.
      this.out.push({ type: 'log', level: 'debug', text: `CPG partial message from ${sender} pid ${m.pid} without its first piece; dropped` });
      return undefined;
    }
    held.bytes += m.message.length;
    if (held.bytes > CPG_PARTIAL_MAX) {
      this.partial.delete(key);
      this.out.push({ type: 'log', level: 'warning', text: `CPG message from ${sender} pid ${m.pid} exceeds ${CPG_PARTIAL_MAX} bytes; dropped` });
      return undefined;
    }
    held.chunks.push(m.message.slice());
    if (m.partialType !== PARTIAL_LAST) return undefined;
    this.partial.delete(key);
    const message = new Uint8Array(held.bytes);
    let off = 0;
    for (const c of held.chunks) {
      message.set(c, off);
      off += c.length;
    }
    return { group: printableName(m.groupName), pid: m.pid, nodeid: m.sourceNodeid, message };
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
