/** Dispatch of a packed totempg message's service message by group and service id (wire-format.md §5.1), trees and summaries. */
import { node, type FieldNode } from '../catalog.ts';
import { WireError, type Decoded } from '../errors.ts';
import { groupNames, parseGroupedMessage, printableName, type GroupedMessage } from '../totempg/group.ts';
import { cfgSummary, cfgTree, parseCfg } from './cfg.ts';
import { cmapSummary, cmapTree, parseCmap } from './cmap.ts';
import { cpgSummary, cpgTree, parseCpg } from './cpg.ts';
import { CFG_TYPES, CMAP_TYPES, CPG_TYPES, PLOAD_TYPES, SERVICE_FIELDS, VOTEQUORUM_TYPES } from './fields.ts';
import { parseRequestHeader, requestHeaderTree, REQUEST_HEADER_LEN } from './header.ts';
import { ServiceId, serviceName } from './names.ts';
import { parsePload, ploadSummary, ploadTree } from './pload.ts';
import { parseSync, syncSummary, syncTree } from './sync.ts';
import type { RequestHeader, ServiceMessage } from './types.ts';
import { parseVotequorum, votequorumSummary, votequorumTree } from './votequorum.ts';

/** corosync's own group for service messages (exec/main.c `corosync_group`). */
export const COROSYNC_GROUP = 'a';
/** The sync engine's group (exec/sync.c `sync_group`). */
export const SYNC_GROUP = 'sync';

const FN_NAMES: Readonly<Record<number, Readonly<Record<number, string>>>> = {
  [ServiceId.CMAP]: CMAP_TYPES,
  [ServiceId.CFG]: CFG_TYPES,
  [ServiceId.CPG]: CPG_TYPES,
  [ServiceId.PLOAD]: PLOAD_TYPES,
  [ServiceId.VOTEQUORUM]: VOTEQUORUM_TYPES,
};

/** Function name of a service's exec message, `fn-N` when the service has no such function. */
export function functionName(service: number, fn: number): string {
  return FN_NAMES[service]?.[fn] ?? `fn-${fn}`;
}

function other(name: string, type: string, header: RequestHeader, b: Uint8Array): ServiceMessage {
  return { service: 'other', name, type, header, body: b.subarray(REQUEST_HEADER_LEN), trailer: b.subarray(b.length) };
}

/**
 * Decodes a service message addressed to `group` ("a", "sync", or another group such as vsf_ykd's
 * "ykd", reported by name). `le` is the sender's byte order (the MCAST header's).
 */
export function decodeServiceMessage(group: string, b: Uint8Array, le: boolean): Decoded<ServiceMessage> {
  const h = parseRequestHeader(b, le);
  if (h instanceof WireError) return h;
  if (group === SYNC_GROUP) {
    if (h.id !== 0 && h.id !== 1) return other('sync', `fn-${h.id}`, { id: h.id, service: 0, fn: h.id, size: h.size }, b);
    return parseSync(b, { id: h.id, service: 0, fn: h.id, size: h.size }, le);
  }
  if (group !== COROSYNC_GROUP) return other(group, `fn-${h.fn}`, h, b);
  // corosync discards unknown functions ("discarded unknown message"); we name and size them.
  if (FN_NAMES[h.service]?.[h.fn] === undefined) return other(serviceName(h.service), `fn-${h.fn}`, h, b);
  switch (h.service) {
    case ServiceId.CPG:
      return parseCpg(b, h, le);
    case ServiceId.VOTEQUORUM:
      return parseVotequorum(b, h, le);
    case ServiceId.CMAP:
      return parseCmap(b, h, le);
    case ServiceId.CFG:
      return parseCfg(b, h, le);
    case ServiceId.PLOAD:
      return parsePload(b, h, le);
    default:
      return other(serviceName(h.service), `fn-${h.fn}`, h, b);
  }
}

/** A whole packed totempg message: its group header and the service message inside. */
export interface PackedMessage {
  readonly grouped: GroupedMessage;
  readonly groups: readonly string[];
  readonly service: Decoded<ServiceMessage>;
}

/** Decodes a complete packed message (group header + service message). */
export function decodePackedMessage(b: Uint8Array, le: boolean): Decoded<PackedMessage> {
  const grouped = parseGroupedMessage(b, le);
  if (grouped instanceof WireError) return grouped;
  const groups = groupNames(grouped);
  const first = grouped.groups[0];
  const group = first === undefined ? '' : printableName(first);
  const service = decodeServiceMessage(group, grouped.body, le);
  return { grouped, groups, service: service instanceof WireError ? service.rebase(b.length - grouped.body.length) : service };
}

/** Service name as shown in outputs: `cpg`, `votequorum`, `sync`, `quorum`, `ykd`... */
export function messageServiceName(m: ServiceMessage): string {
  return m.service === 'other' ? m.name : m.service;
}

export function serviceTree(m: ServiceMessage, le: boolean): FieldNode[] {
  const name = messageServiceName(m);
  const head = node(SERVICE_FIELDS[''], undefined, requestHeaderTree(m.header, m.type, name, m.service === 'sync' || (m.service === 'other' && name === 'sync')));
  switch (m.service) {
    case 'cpg':
      return [head, cpgTree(m)];
    case 'votequorum':
      return [head, votequorumTree(m)];
    case 'sync':
      return [head, syncTree(m)];
    case 'cmap':
      return [head, cmapTree(m, le)];
    case 'cfg':
      return [head, cfgTree(m)];
    case 'pload':
      return [head, ploadTree(m)];
    case 'other':
      return [head, node(SERVICE_FIELDS.body, m.body)];
  }
}

export function serviceSummary(m: ServiceMessage, le: boolean): string {
  switch (m.service) {
    case 'cpg':
      return cpgSummary(m);
    case 'votequorum':
      return votequorumSummary(m);
    case 'sync':
      return syncSummary(m);
    case 'cmap':
      return cmapSummary(m, le);
    case 'cfg':
      return cfgSummary(m);
    case 'pload':
      return ploadSummary(m);
    case 'other':
      return `${m.name} ${m.type} size ${m.header.size}`;
  }
}
