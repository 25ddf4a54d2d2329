/**
 * cmap's part in sync (CS3 exec/cmap.c cmap_sync_process, cmap_mcast_send): every member multicasts
 * its `totem.config_version`. This node has none in its key store, so it sends the key with type
 * NOT_EXIST and no value, exactly as corosync does when the key is unset; receivers then keep their
 * own highest version.
 */
import { CmapFn, emitCmap } from '../../../dissectors/services/cmap.ts';
import { makeHeader, ServiceId } from '../../../dissectors/services/header.ts';
import type { CmapMcast, SyncRingId } from '../../../dissectors/services/types.ts';
import type { SyncService } from './sync.ts';

export const CMAP_MCAST_REASON_SYNC = 0;
const VALUETYPE_NOT_EXIST = 0;
const CONFIG_VERSION_KEY = 'totem.config_version';

export function configVersionMessage(le = true): Uint8Array {
  const m: CmapMcast = {
    service: 'cmap',
    type: 'mcast',
    header: makeHeader(ServiceId.CMAP, CmapFn.MCAST, 0),
    reason: CMAP_MCAST_REASON_SYNC,
    items: [{ key: CONFIG_VERSION_KEY, valueType: VALUETYPE_NOT_EXIST, valueLen: 0n, value: new Uint8Array(0) }],
    trailer: new Uint8Array(0),
  };
  const body = emitCmap(m, le);
  // header.size = the whole message, as cmap_mcast_send sets it.
  return emitCmap({ ...m, header: makeHeader(ServiceId.CMAP, CmapFn.MCAST, body.length) }, le);
}

export class CmapMember implements SyncService {
  readonly id = ServiceId.CMAP;
  readonly name = 'corosync configuration map access';
  constructor(private readonly littleEndian = true) {}
  init(_t: readonly number[], _m: readonly number[], _r: SyncRingId): void {}
  process(): Uint8Array[] {
    return [configVersionMessage(this.littleEndian)];
  }
  activate(): void {}
}

/** vsf_quorum (service 3) syncs without messages of its own; it still needs this node's barrier. */
export class QuorumMember implements SyncService {
  readonly id = ServiceId.QUORUM;
  readonly name = 'corosync quorum service v0.1';
  init(_t: readonly number[], _m: readonly number[], _r: SyncRingId): void {}
  process(): Uint8Array[] {
    return [];
  }
  activate(): void {}
}
