/**
 * cfg exec messages (wire-format.md §5.2; CS3 exec/cfg.c `struct req_exec_cfg_*`).
 * ringreenable / reload_config: header | source (nodeid @16, conn @24) → 32;
 * killnode: header | nodeid @16 | mar_name_t reason @24 (u16 length @24, value[256] @32) → 288;
 * shutdown: header → 16; crypto_reconfig: header | phase @16 → 24.
 */
import { u16, u32, putU16, putU32 } from '../bytes.ts';
import { node, type FieldNode } from '../catalog.ts';
import { WireError, type Decoded } from '../errors.ts';
import { CFG_FIELDS as F } from './fields.ts';
import { emitRequestHeader, REQUEST_HEADER_LEN } from './header.ts';
import type { CfgMessage, RequestHeader } from './types.ts';

export const CfgFn = { RINGREENABLE: 0, KILLNODE: 1, SHUTDOWN: 2, RELOAD_CONFIG: 3, CRYPTO_RECONFIG: 4 } as const;

export const SOURCE_NODEID = 16;
export const SOURCED_LEN = 32;
export const KILLNODE_NODEID = 16;
export const KILLNODE_REASON_LEN = 24;
export const KILLNODE_REASON = 32;
export const REASON_MAX = 256;
export const KILLNODE_LEN = KILLNODE_REASON + REASON_MAX;
export const SHUTDOWN_LEN = REQUEST_HEADER_LEN;
export const CRYPTO_PHASE = 16;
export const CRYPTO_LEN = 24;

export type CfgErrorCode = 'cfg.short' | 'cfg.reason_length' | 'cfg.unknown_type';

const NEED: Readonly<Record<number, number>> = { 0: SOURCED_LEN, 1: KILLNODE_LEN, 2: SHUTDOWN_LEN, 3: SOURCED_LEN, 4: CRYPTO_LEN };

export function parseCfg(b: Uint8Array, h: RequestHeader, le: boolean): Decoded<CfgMessage, CfgErrorCode> {
  const need = NEED[h.fn];
  if (need === undefined) return new WireError('cfg.unknown_type', 0, `unknown cfg exec function ${h.fn}`);
  if (b.length < need) return new WireError('cfg.short', 0, `cfg message needs ${need} bytes, message has ${b.length}`);
  const trailer = b.subarray(need);
  switch (h.fn) {
    case CfgFn.RINGREENABLE:
    case CfgFn.RELOAD_CONFIG:
      return { service: 'cfg', type: h.fn === CfgFn.RINGREENABLE ? 'ringreenable' : 'reload_config', header: h, sourceNodeid: u32(b, SOURCE_NODEID, le), trailer };
    case CfgFn.KILLNODE: {
      const len = u16(b, KILLNODE_REASON_LEN, le);
      if (len > REASON_MAX) return new WireError('cfg.reason_length', KILLNODE_REASON_LEN, `reason length ${len} exceeds ${REASON_MAX}`);
      let reason = '';
      for (let i = 0; i < len; i++) {
        const c = b[KILLNODE_REASON + i]!;
        if (c === 0) break;
        reason += String.fromCharCode(c);
      }
      return { service: 'cfg', type: 'killnode', header: h, nodeid: u32(b, KILLNODE_NODEID, le), reason, trailer };
    }
    case CfgFn.SHUTDOWN:
      return { service: 'cfg', type: 'shutdown', header: h, trailer };
    default:
      return { service: 'cfg', type: 'crypto_reconfig', header: h, phase: u32(b, CRYPTO_PHASE, le), trailer };
  }
}

export function emitCfg(m: CfgMessage, le: boolean): Uint8Array {
  const base = NEED[m.header.fn] ?? REQUEST_HEADER_LEN;
  const out = new Uint8Array(base + m.trailer.length);
  emitRequestHeader(m.header, out, le);
  switch (m.type) {
    case 'ringreenable':
    case 'reload_config':
      putU32(out, SOURCE_NODEID, m.sourceNodeid, le);
      break;
    case 'killnode':
      putU32(out, KILLNODE_NODEID, m.nodeid, le);
      putU16(out, KILLNODE_REASON_LEN, Math.min(m.reason.length, REASON_MAX), le);
      for (let i = 0; i < m.reason.length && i < REASON_MAX; i++) out[KILLNODE_REASON + i] = m.reason.charCodeAt(i) & 0xff;
      break;
    case 'crypto_reconfig':
      putU32(out, CRYPTO_PHASE, m.phase, le);
      break;
    case 'shutdown':
      break;
  }
  out.set(m.trailer, base);
  return out;
}

export function cfgTree(m: CfgMessage): FieldNode {
  const kids: FieldNode[] = [node(F.type, m.header.fn)];
  if (m.type === 'ringreenable' || m.type === 'reload_config') kids.push(node(F.source_nodeid, m.sourceNodeid));
  else if (m.type === 'killnode') kids.push(node(F.nodeid, m.nodeid), node(F.reason, m.reason));
  else if (m.type === 'crypto_reconfig') kids.push(node(F.phase, m.phase));
  return node(F[''], undefined, kids);
}

export function cfgSummary(m: CfgMessage): string {
  switch (m.type) {
    case 'ringreenable':
    case 'reload_config':
      return `cfg ${m.type} from ${m.sourceNodeid}`;
    case 'killnode':
      return `cfg killnode node ${m.nodeid} reason ${m.reason}`;
    case 'shutdown':
      return 'cfg shutdown';
    case 'crypto_reconfig':
      return `cfg crypto_reconfig phase ${m.phase === 1 ? 'activate' : m.phase === 2 ? 'cleanup' : m.phase}`;
  }
}
