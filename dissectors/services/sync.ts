/**
 * Sync engine messages, group "sync" (wire-format.md §5.3; CS3 exec/sync.c). The header id is the
 * raw function (0 barrier, 1 service_build), with no service bits. corosync never byte-swaps
 * these; we read them in the sender's order (what the sender meant).
 */
import { i32, u32, u64, putU32, putU64 } from '../bytes.ts';
import { node, type FieldNode } from '../catalog.ts';
import { WireError, type Decoded } from '../errors.ts';
import { SYNC_FIELDS as F } from './fields.ts';
import { emitRequestHeader } from './header.ts';
import { serviceName } from './names.ts';
import type { RequestHeader, SyncMessage, SyncRingId } from './types.ts';

export const SyncFn = { BARRIER: 0, SERVICE_BUILD: 1 } as const;

export const RING_REP = 16;
export const RING_SEQ = 20;
export const BARRIER_LEN = 32;
export const SERVICE_LIST_ENTRIES = 32;
export const SERVICE_LIST = 40;
export const SERVICE_LIST_MAX = 128;
export const SERVICE_BUILD_LEN = SERVICE_LIST + 4 * SERVICE_LIST_MAX;

export type SyncErrorCode = 'sync.short' | 'sync.service_count' | 'sync.unknown_type';

export function formatSyncRingId(r: SyncRingId): string {
  return `${r.rep.toString(16)}.${r.seq.toString(16)}`;
}

export function parseSync(b: Uint8Array, h: RequestHeader, le: boolean): Decoded<SyncMessage, SyncErrorCode> {
  if (h.id !== SyncFn.BARRIER && h.id !== SyncFn.SERVICE_BUILD) {
    return new WireError('sync.unknown_type', 0, `unknown sync message id ${h.id}`);
  }
  const need = h.id === SyncFn.BARRIER ? BARRIER_LEN : SERVICE_BUILD_LEN;
  if (b.length < need) {
    return new WireError('sync.short', 0, `sync ${h.id === 0 ? 'barrier' : 'service_build'} needs ${need} bytes, message has ${b.length}`);
  }
  const ringId = { rep: u32(b, RING_REP, le), seq: u64(b, RING_SEQ, le) };
  if (h.id === SyncFn.BARRIER) return { service: 'sync', type: 'barrier', header: h, ringId, trailer: b.subarray(BARRIER_LEN) };
  const count = i32(b, SERVICE_LIST_ENTRIES, le);
  if (count < 0 || count > SERVICE_LIST_MAX) {
    return new WireError('sync.service_count', SERVICE_LIST_ENTRIES, `service_list_entries ${count} is outside 0..${SERVICE_LIST_MAX}`);
  }
  const services: number[] = [];
  for (let i = 0; i < count; i++) services.push(i32(b, SERVICE_LIST + 4 * i, le));
  return { service: 'sync', type: 'service_build', header: h, ringId, services, trailer: b.subarray(SERVICE_BUILD_LEN) };
}

export function emitSync(m: SyncMessage, le: boolean): Uint8Array {
  const base = m.type === 'barrier' ? BARRIER_LEN : SERVICE_BUILD_LEN;
  const out = new Uint8Array(base + m.trailer.length);
  emitRequestHeader(m.header, out, le);
  putU32(out, RING_REP, m.ringId.rep, le);
  putU64(out, RING_SEQ, m.ringId.seq, le);
  if (m.type === 'service_build') {
    putU32(out, SERVICE_LIST_ENTRIES, m.services.length, le);
    m.services.forEach((s, i) => putU32(out, SERVICE_LIST + 4 * i, s, le));
  }
  out.set(m.trailer, base);
  return out;
}

export function syncTree(m: SyncMessage): FieldNode {
  const kids: FieldNode[] = [node(F.type, m.header.id), node(F.ring_id, formatSyncRingId(m.ringId))];
  if (m.type === 'service_build') {
    kids.push(node(F.service_count, m.services.length), node(F.services, m.services.join(','), m.services.map((s) => node(F.service, s))));
  }
  return node(F[''], undefined, kids);
}

export function syncSummary(m: SyncMessage): string {
  if (m.type === 'barrier') return `sync barrier ring ${formatSyncRingId(m.ringId)}`;
  return `sync service_build ring ${formatSyncRingId(m.ringId)} services [${m.services.join(',')}] (${m.services.map(serviceName).join(',')})`;
}
