/**
 * The corosync sync engine as a member takes part in it (CS3 exec/sync.c; wire-format.md §5.3),
 * pure: configurations and delivered "sync" messages in, messages to multicast out.
 *
 * After every REGULAR configuration each member multicasts SERVICE_BUILD with its sync-capable
 * services; once every member's list arrived, the union is processed in ascending service id:
 * a service's `process` sends its own messages, then the node multicasts BARRIER; when every member's
 * BARRIER for the ring arrived the service is activated and the next one starts. corosync nodes
 * only log "Completed service synchronization" when every member sent every barrier, so a member
 * that skips one blocks the whole cluster's sync.
 */
import { emitSync, SyncFn, BARRIER_LEN, SERVICE_BUILD_LEN } from '../../../dissectors/services/sync.ts';
import { makeHeader } from '../../../dissectors/services/header.ts';
import type { SyncMessage, SyncRingId } from '../../../dissectors/services/types.ts';

/** One service's part in sync (struct sync_callbacks in corosync). */
export interface SyncService {
  readonly id: number;
  readonly name: string;
  /** sync_init: a new regular ring. `transMembers` is the transitional set that led to it. */
  init(transMembers: readonly number[], members: readonly number[], ringId: SyncRingId): void;
  /** sync_process: service messages ("a" group bodies) to multicast before this node's barrier. */
  process(): Uint8Array[];
  /** sync_activate: every member passed the barrier. */
  activate(): void;
}

export type SyncOutput =
  | { readonly type: 'mcast'; readonly group: 'sync' | 'a'; readonly body: Uint8Array }
  | { readonly type: 'log'; readonly level: 'notice' | 'debug'; readonly text: string }
  | { readonly type: 'completed'; readonly ringId: SyncRingId };

interface ServiceEntry {
  readonly id: number;
  readonly name: string;
  /** undefined: known only from another member's SERVICE_BUILD (corosync's dummy callbacks). */
  readonly service: SyncService | undefined;
}

type SyncState = 'idle' | 'servicelist_build' | 'process';

function sameSyncRing(a: SyncRingId, b: SyncRingId): boolean {
  return a.rep === b.rep && a.seq === b.seq;
}

export class SyncEngine {
  private out: SyncOutput[] = [];
  private state: SyncState = 'idle';
  private ringId: SyncRingId = { rep: 0, seq: 0n };
  private transMembers: number[] = [];
  private received = new Map<number, boolean>();
  private serviceList: ServiceEntry[] = [];
  private processingIdx = 0;
  private completedRings = 0;

  constructor(
    private readonly services: readonly SyncService[],
    private readonly littleEndian = true,
  ) {}

  /** sync_save_transitional. */
  onTransitional(members: readonly number[]): void {
    this.transMembers = [...members];
  }

  /** sync_start (after sync_abort when a sync was running: a new ring simply restarts it). */
  onRegular(members: readonly number[], ringId: SyncRingId): void {
    this.ringId = ringId;
    this.state = 'servicelist_build';
    this.received = new Map(members.map((m) => [m, false]));
    this.processingIdx = 0;
    this.serviceList = [...this.services].sort((a, b) => a.id - b.id).map((s) => ({ id: s.id, name: s.name, service: s }));
    this.send({
      service: 'sync',
      type: 'service_build',
      header: makeHeader(0, SyncFn.SERVICE_BUILD, SERVICE_BUILD_LEN),
      ringId,
      services: this.serviceList.map((s) => s.id),
      trailer: new Uint8Array(0),
    });
    for (const s of this.serviceList) s.service?.init(this.transMembers, members, ringId);
  }

  /** A delivered message of group "sync" from `sender` (already parsed). */
  onMessage(sender: number, m: SyncMessage): void {
    if (!sameSyncRing(m.ringId, this.ringId)) {
      this.log('debug', `${m.type === 'barrier' ? 'barrier' : 'service build'} for old ring - discarding`);
      return;
    }
    if (m.type === 'service_build') {
      let added = false;
      for (const id of m.services) {
        if (this.serviceList.some((s) => s.id === id)) continue;
        this.serviceList.push({ id, name: `Unknown External Service (id = ${id})`, service: undefined });
        added = true;
      }
      if (added) this.serviceList.sort((a, b) => a.id - b.id);
      if (this.markAndCheck(sender)) {
        this.log('debug', 'enter sync process');
        this.processEnter();
      }
      return;
    }
    if (!this.markAndCheck(sender)) return;
    const entry = this.serviceList[this.processingIdx];
    if (entry === undefined) return;
    this.log('debug', `Committing synchronization for ${entry.name}`);
    entry.service?.activate();
    this.processingIdx++;
    if (this.processingIdx >= this.serviceList.length) this.completed();
    else this.processEnter();
  }

  takeOutput(): SyncOutput[] {
    const o = this.out;
    this.out = [];
    return o;
  }

  get inProgress(): boolean {
    return this.state !== 'idle';
  }

  /** Number of syncs completed since start. */
  get completedCount(): number {
    return this.completedRings;
  }

  private markAndCheck(sender: number): boolean {
    if (this.received.has(sender)) this.received.set(sender, true);
    for (const got of this.received.values()) if (!got) return false;
    return true;
  }

  private processEnter(): void {
    this.state = 'process';
    if (this.serviceList.length === 0) {
      this.completed();
      return;
    }
    for (const k of this.received.keys()) this.received.set(k, false);
    const entry = this.serviceList[this.processingIdx]!;
    for (const body of entry.service?.process() ?? []) this.out.push({ type: 'mcast', group: 'a', body });
    this.send({
      service: 'sync',
      type: 'barrier',
      header: makeHeader(0, SyncFn.BARRIER, BARRIER_LEN),
      ringId: this.ringId,
      trailer: new Uint8Array(0),
    });
  }

  private completed(): void {
    this.state = 'idle';
    this.completedRings++;
    // corosync's quorum service logs the synced ring's members this way when votequorum activates
    // (vsf_quorum.c quorum_api_set_quorum), just before sync completes; operators and tests read
    // this node's member list from it.
    const members = [...this.received.keys()].sort((a, b) => a - b);
    this.log('notice', `Members[${members.length}]:${members.map((m) => ` ${m}`).join('')}`);
    this.log('notice', 'Completed service synchronization, ready to provide service.');
    this.out.push({ type: 'completed', ringId: this.ringId });
  }

  private send(m: SyncMessage): void {
    this.out.push({ type: 'mcast', group: 'sync', body: emitSync(m, this.littleEndian) });
  }

  private log(level: 'notice' | 'debug', text: string): void {
    this.out.push({ type: 'log', level, text });
  }
}
