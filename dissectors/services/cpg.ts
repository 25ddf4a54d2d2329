/**
 * CPG exec messages (wire-format.md §5.2; CS3 exec/cpg.c `struct req_exec_cpg_*`,
 * include/corosync/ipc_cpg.h). All members are aligned(8), LP64 sizes.
 * `mar_cpg_name_t` = u32 length @0, char value[128] @8 (136 B);
 * `mar_message_source_t` = u32 nodeid @0, void *conn @8 (16 B).
 */
import { u32, u64, putU32, putU64 } from '../bytes.ts';
import { node, type FieldNode } from '../catalog.ts';
import { WireError, type Decoded } from '../errors.ts';
import { printableName } from '../totempg/group.ts';
import { CPG_FIELDS as F, CPG_PARTIAL_TYPES, CPG_REASONS, CPG_TYPES } from './fields.ts';
import { RESPONSE_ERROR, RESPONSE_HEADER_LEN, emitRequestHeader } from './header.ts';
import type { CpgJoinlistEntry, CpgMessage, RequestHeader } from './types.ts';

export const CpgFn = {
  PROCJOIN: 0,
  PROCLEAVE: 1,
  JOINLIST: 2,
  MCAST: 3,
  DOWNLIST_OLD: 4,
  DOWNLIST: 5,
  PARTIAL_MCAST: 6,
} as const;

export const CPG_MAX_NAME_LENGTH = 128;
/** PROCESSOR_COUNT_MAX: size of the downlist nodeids[] array. */
export const PROCESSOR_COUNT_MAX = 384;

// mar_cpg_name_t
const NAME_LENGTH = 0;
const NAME_VALUE = 8;
export const NAME_SIZE = 136;
// mar_message_source_t
const SOURCE_NODEID = 0;
const SOURCE_CONN = 8;
export const SOURCE_SIZE = 16;

// procjoin / procleave
export const GROUP_NAME = 16;
export const PROCJOIN_PID = 152;
export const PROCJOIN_REASON = 160;
export const PROCJOIN_LEN = 168;
// mcast
export const MCAST_MSGLEN = 152;
export const MCAST_PID = 160;
export const MCAST_SOURCE = 168;
export const MCAST_MESSAGE = 184;
// partial mcast
export const PARTIAL_MSGLEN = 152;
export const PARTIAL_FRAGLEN = 160;
export const PARTIAL_PID = 168;
export const PARTIAL_TYPE = 176;
export const PARTIAL_SOURCE = 184;
export const PARTIAL_MESSAGE = 200;
// downlist
export const DOWNLIST_OLD_MEMBERS = 16;
export const DOWNLIST_LEFT_NODES = 24;
export const DOWNLIST_NODEIDS = 32;
export const DOWNLIST_LEN = DOWNLIST_NODEIDS + 4 * PROCESSOR_COUNT_MAX;
export const DOWNLIST_OLD_LEFT_NODES = 16;
export const DOWNLIST_OLD_NODEIDS = 24;
export const DOWNLIST_OLD_LEN = DOWNLIST_OLD_NODEIDS + 4 * PROCESSOR_COUNT_MAX;
// joinlist entry (after the 24-byte response header)
const JLE_PID = 0;
const JLE_NAME = 8;
export const JOINLIST_ENTRY_SIZE = 144;

export type CpgErrorCode = 'cpg.short' | 'cpg.name_length' | 'cpg.msg_len' | 'cpg.frag_len' | 'cpg.left_nodes' | 'cpg.joinlist_length' | 'cpg.unknown_type';

function short(what: string, need: number, have: number): WireError<CpgErrorCode> {
  return new WireError('cpg.short', 0, `cpg ${what} needs ${need} bytes, message has ${have}`);
}

function readName(b: Uint8Array, at: number, le: boolean): Decoded<Uint8Array, CpgErrorCode> {
  const len = u32(b, at + NAME_LENGTH, le);
  if (len > CPG_MAX_NAME_LENGTH) {
    return new WireError('cpg.name_length', at + NAME_LENGTH, `group name length ${len} exceeds ${CPG_MAX_NAME_LENGTH}`);
  }
  return b.subarray(at + NAME_VALUE, at + NAME_VALUE + len);
}

function writeName(out: Uint8Array, at: number, name: Uint8Array, le: boolean): void {
  putU32(out, at + NAME_LENGTH, name.length, le);
  out.set(name.subarray(0, CPG_MAX_NAME_LENGTH), at + NAME_VALUE);
}

/** Decodes the CPG message whose request header `h` was already read from `b`. */
export function parseCpg(b: Uint8Array, h: RequestHeader, le: boolean): Decoded<CpgMessage, CpgErrorCode> {
  switch (h.fn) {
    case CpgFn.PROCJOIN:
    case CpgFn.PROCLEAVE: {
      if (b.length < PROCJOIN_LEN) return short('procjoin', PROCJOIN_LEN, b.length);
      const groupName = readName(b, GROUP_NAME, le);
      if (groupName instanceof WireError) return groupName;
      return {
        service: 'cpg',
        type: h.fn === CpgFn.PROCJOIN ? 'procjoin' : 'procleave',
        header: h,
        groupName,
        pid: u32(b, PROCJOIN_PID, le),
        reason: u32(b, PROCJOIN_REASON, le),
        trailer: b.subarray(PROCJOIN_LEN),
      };
    }
    case CpgFn.JOINLIST: {
      if (b.length < RESPONSE_HEADER_LEN) return short('joinlist', RESPONSE_HEADER_LEN, b.length);
      const rest = b.length - RESPONSE_HEADER_LEN;
      if (rest % JOINLIST_ENTRY_SIZE !== 0) {
        return new WireError('cpg.joinlist_length', RESPONSE_HEADER_LEN, `joinlist body of ${rest} bytes is not a whole number of ${JOINLIST_ENTRY_SIZE}-byte entries`);
      }
      // The entry count is bounded by the message length (totempg caps that at 1 MiB).
      const entries: CpgJoinlistEntry[] = [];
      for (let at = RESPONSE_HEADER_LEN; at < b.length; at += JOINLIST_ENTRY_SIZE) {
        const groupName = readName(b, at + JLE_NAME, le);
        if (groupName instanceof WireError) return groupName;
        entries.push({ pid: u32(b, at + JLE_PID, le), groupName });
      }
      return { service: 'cpg', type: 'joinlist', header: h, error: u32(b, RESPONSE_ERROR, le) | 0, entries, trailer: b.subarray(b.length) };
    }
    case CpgFn.MCAST: {
      if (b.length < MCAST_MESSAGE) return short('mcast', MCAST_MESSAGE, b.length);
      const groupName = readName(b, GROUP_NAME, le);
      if (groupName instanceof WireError) return groupName;
      const msgLen = u32(b, MCAST_MSGLEN, le);
      if (msgLen > b.length - MCAST_MESSAGE) {
        return new WireError('cpg.msg_len', MCAST_MSGLEN, `msglen ${msgLen} exceeds the ${b.length - MCAST_MESSAGE} bytes after the header`);
      }
      return {
        service: 'cpg',
        type: 'mcast',
        header: h,
        groupName,
        pid: u32(b, MCAST_PID, le),
        sourceNodeid: u32(b, MCAST_SOURCE + SOURCE_NODEID, le),
        sourceConn: u64(b, MCAST_SOURCE + SOURCE_CONN, le),
        message: b.subarray(MCAST_MESSAGE, MCAST_MESSAGE + msgLen),
        trailer: b.subarray(MCAST_MESSAGE + msgLen),
      };
    }
    case CpgFn.PARTIAL_MCAST: {
      if (b.length < PARTIAL_MESSAGE) return short('partial_mcast', PARTIAL_MESSAGE, b.length);
      const groupName = readName(b, GROUP_NAME, le);
      if (groupName instanceof WireError) return groupName;
      const msgLen = u32(b, PARTIAL_MSGLEN, le);
      const fragLen = u32(b, PARTIAL_FRAGLEN, le);
      if (fragLen > b.length - PARTIAL_MESSAGE) {
        return new WireError('cpg.frag_len', PARTIAL_FRAGLEN, `fraglen ${fragLen} exceeds the ${b.length - PARTIAL_MESSAGE} bytes after the header`);
      }
      return {
        service: 'cpg',
        type: 'partial_mcast',
        header: h,
        groupName,
        msgLen,
        pid: u32(b, PARTIAL_PID, le),
        partialType: u32(b, PARTIAL_TYPE, le),
        sourceNodeid: u32(b, PARTIAL_SOURCE + SOURCE_NODEID, le),
        sourceConn: u64(b, PARTIAL_SOURCE + SOURCE_CONN, le),
        message: b.subarray(PARTIAL_MESSAGE, PARTIAL_MESSAGE + fragLen),
        trailer: b.subarray(PARTIAL_MESSAGE + fragLen),
      };
    }
    case CpgFn.DOWNLIST: {
      if (b.length < DOWNLIST_LEN) return short('downlist', DOWNLIST_LEN, b.length);
      const left = u32(b, DOWNLIST_LEFT_NODES, le);
      if (left > PROCESSOR_COUNT_MAX) {
        return new WireError('cpg.left_nodes', DOWNLIST_LEFT_NODES, `left_nodes ${left} exceeds ${PROCESSOR_COUNT_MAX}`);
      }
      const leftNodes: number[] = [];
      for (let i = 0; i < left; i++) leftNodes.push(u32(b, DOWNLIST_NODEIDS + 4 * i, le));
      return { service: 'cpg', type: 'downlist', header: h, oldMembers: u32(b, DOWNLIST_OLD_MEMBERS, le), leftNodes, trailer: b.subarray(DOWNLIST_LEN) };
    }
    case CpgFn.DOWNLIST_OLD: {
      if (b.length < DOWNLIST_OLD_LEN) return short('downlist_old', DOWNLIST_OLD_LEN, b.length);
      const left = u32(b, DOWNLIST_OLD_LEFT_NODES, le);
      if (left > PROCESSOR_COUNT_MAX) {
        return new WireError('cpg.left_nodes', DOWNLIST_OLD_LEFT_NODES, `left_nodes ${left} exceeds ${PROCESSOR_COUNT_MAX}`);
      }
      const leftNodes: number[] = [];
      for (let i = 0; i < left; i++) leftNodes.push(u32(b, DOWNLIST_OLD_NODEIDS + 4 * i, le));
      return { service: 'cpg', type: 'downlist_old', header: h, leftNodes, trailer: b.subarray(DOWNLIST_OLD_LEN) };
    }
    default:
      return new WireError('cpg.unknown_type', 0, `unknown CPG exec function ${h.fn}`);
  }
}

export function cpgBufferLen(m: CpgMessage): number {
  switch (m.type) {
    case 'procjoin':
    case 'procleave':
      return PROCJOIN_LEN + m.trailer.length;
    case 'joinlist':
      return RESPONSE_HEADER_LEN + JOINLIST_ENTRY_SIZE * m.entries.length + m.trailer.length;
    case 'mcast':
      return MCAST_MESSAGE + m.message.length + m.trailer.length;
    case 'partial_mcast':
      return PARTIAL_MESSAGE + m.message.length + m.trailer.length;
    case 'downlist':
      return DOWNLIST_LEN + m.trailer.length;
    case 'downlist_old':
      return DOWNLIST_OLD_LEN + m.trailer.length;
  }
}

/** Encodes `m` (padding zeroed) in the given byte order. */
export function emitCpg(m: CpgMessage, le: boolean): Uint8Array {
  const out = new Uint8Array(cpgBufferLen(m));
  emitRequestHeader(m.header, out, le);
  switch (m.type) {
    case 'procjoin':
    case 'procleave':
      writeName(out, GROUP_NAME, m.groupName, le);
      putU32(out, PROCJOIN_PID, m.pid, le);
      putU32(out, PROCJOIN_REASON, m.reason, le);
      out.set(m.trailer, PROCJOIN_LEN);
      break;
    case 'joinlist':
      putU32(out, RESPONSE_ERROR, m.error, le);
      m.entries.forEach((e, i) => {
        const at = RESPONSE_HEADER_LEN + JOINLIST_ENTRY_SIZE * i;
        putU32(out, at + JLE_PID, e.pid, le);
        writeName(out, at + JLE_NAME, e.groupName, le);
      });
      break;
    case 'mcast':
      writeName(out, GROUP_NAME, m.groupName, le);
      putU32(out, MCAST_MSGLEN, m.message.length, le);
      putU32(out, MCAST_PID, m.pid, le);
      putU32(out, MCAST_SOURCE + SOURCE_NODEID, m.sourceNodeid, le);
      putU64(out, MCAST_SOURCE + SOURCE_CONN, m.sourceConn, le);
      out.set(m.message, MCAST_MESSAGE);
      out.set(m.trailer, MCAST_MESSAGE + m.message.length);
      break;
    case 'partial_mcast':
      writeName(out, GROUP_NAME, m.groupName, le);
      putU32(out, PARTIAL_MSGLEN, m.msgLen, le);
      putU32(out, PARTIAL_FRAGLEN, m.message.length, le);
      putU32(out, PARTIAL_PID, m.pid, le);
      putU32(out, PARTIAL_TYPE, m.partialType, le);
      putU32(out, PARTIAL_SOURCE + SOURCE_NODEID, m.sourceNodeid, le);
      putU64(out, PARTIAL_SOURCE + SOURCE_CONN, m.sourceConn, le);
      out.set(m.message, PARTIAL_MESSAGE);
      out.set(m.trailer, PARTIAL_MESSAGE + m.message.length);
      break;
    case 'downlist':
      putU32(out, DOWNLIST_OLD_MEMBERS, m.oldMembers, le);
      putU32(out, DOWNLIST_LEFT_NODES, m.leftNodes.length, le);
      m.leftNodes.forEach((n, i) => putU32(out, DOWNLIST_NODEIDS + 4 * i, n, le));
      out.set(m.trailer, DOWNLIST_LEN);
      break;
    case 'downlist_old':
      putU32(out, DOWNLIST_OLD_LEFT_NODES, m.leftNodes.length, le);
      m.leftNodes.forEach((n, i) => putU32(out, DOWNLIST_OLD_NODEIDS + 4 * i, n, le));
      out.set(m.trailer, DOWNLIST_OLD_LEN);
      break;
  }
  return out;
}

function nameNodes(name: Uint8Array): FieldNode[] {
  return [node(F.group_name, printableName(name), [node(F.group_name_len, name.length)])];
}

export function cpgTree(m: CpgMessage): FieldNode {
  const kids: FieldNode[] = [node(F.type, m.header.fn)];
  switch (m.type) {
    case 'procjoin':
    case 'procleave':
      kids.push(...nameNodes(m.groupName), node(F.pid, m.pid), node(F.reason, m.reason));
      break;
    case 'joinlist':
      kids.push(node(F.error, m.error));
      for (const e of m.entries) kids.push(node(F.joinlist_entry, undefined, [...nameNodes(e.groupName), node(F.pid, e.pid)]));
      break;
    case 'mcast':
      kids.push(...nameNodes(m.groupName), node(F.msg_len, m.message.length), node(F.pid, m.pid), node(F.nodeid, m.sourceNodeid), node(F.conn, m.sourceConn), node(F.message, m.message));
      break;
    case 'partial_mcast':
      kids.push(
        ...nameNodes(m.groupName),
        node(F.msg_len, m.msgLen),
        node(F.frag_len, m.message.length),
        node(F.pid, m.pid),
        node(F.partial_type, m.partialType),
        node(F.nodeid, m.sourceNodeid),
        node(F.conn, m.sourceConn),
        node(F.message, m.message),
      );
      break;
    case 'downlist':
      kids.push(node(F.old_members, m.oldMembers), node(F.left_nodes, m.leftNodes.length), ...m.leftNodes.map((n) => node(F.left_nodeid, n)));
      break;
    case 'downlist_old':
      kids.push(node(F.left_nodes, m.leftNodes.length), ...m.leftNodes.map((n) => node(F.left_nodeid, n)));
      break;
  }
  return node(F[''], undefined, kids);
}

export function cpgSummary(m: CpgMessage): string {
  switch (m.type) {
    case 'procjoin':
    case 'procleave':
      return `CPG ${m.type} group ${printableName(m.groupName)} pid ${m.pid} reason ${CPG_REASONS[m.reason] ?? m.reason}`;
    case 'joinlist':
      return `CPG joinlist ${m.entries.length} ${m.entries.length === 1 ? 'entry' : 'entries'}` + (m.entries.length > 0 ? ': ' + m.entries.map((e) => `${printableName(e.groupName)}/${e.pid}`).join(' ') : '');
    case 'mcast':
      return `CPG mcast group ${printableName(m.groupName)} pid ${m.pid} from ${m.sourceNodeid} len ${m.message.length}`;
    case 'partial_mcast':
      return `CPG partial_mcast ${CPG_PARTIAL_TYPES[m.partialType] ?? m.partialType} group ${printableName(m.groupName)} pid ${m.pid} from ${m.sourceNodeid} len ${m.message.length}/${m.msgLen}`;
    case 'downlist':
      return `CPG downlist old_members ${m.oldMembers} left [${m.leftNodes.join(',')}]`;
    case 'downlist_old':
      return `CPG downlist_old left [${m.leftNodes.join(',')}]`;
  }
}

export function cpgTypeName(fn: number): string {
  return CPG_TYPES[fn] ?? `fn-${fn}`;
}
