/**
 * votequorum exec messages (wire-format.md §5.2; CS3 exec/votequorum.c `struct req_exec_quorum_*`).
 * The structs are packed but start with the aligned(8) request header, so sizeof rounds up to a
 * multiple of 8: that rounded size is what corosync sends and what we require.
 */
import { u8, u32, putU32, putU8 } from '../bytes.ts';
import { node, type FieldNode } from '../catalog.ts';
import { WireError, type Decoded } from '../errors.ts';
import { VOTEQUORUM_FIELDS as F, VOTEQUORUM_PARAMS, VOTEQUORUM_TYPES } from './fields.ts';
import { emitRequestHeader } from './header.ts';
import type { RequestHeader, VotequorumMessage } from './types.ts';

export const VotequorumFn = { NODEINFO: 0, RECONFIGURE: 1, QDEVICE_REG: 2, QDEVICE_RECONFIGURE: 3 } as const;

export const NODEINFO_NODEID = 16;
export const NODEINFO_VOTES = 20;
export const NODEINFO_EXPECTED = 24;
export const NODEINFO_FLAGS = 28;
export const NODEINFO_LEN = 32;
export const RECONFIGURE_NODEID = 16;
export const RECONFIGURE_VALUE = 20;
export const RECONFIGURE_PARAM = 24;
export const RECONFIGURE_LEN = 32;
/** VOTEQUORUM_QDEVICE_MAX_NAME_LEN */
export const QDEVICE_NAME_LEN = 255;
export const QDEVICE_REG_OPERATION = 16;
export const QDEVICE_REG_NAME = 20;
export const QDEVICE_REG_LEN = 280;
export const QDEVICE_RECONF_OLD = 16;
export const QDEVICE_RECONF_NEW = 16 + QDEVICE_NAME_LEN;
export const QDEVICE_RECONF_LEN = 528;

/** NODE_FLAGS_* (CS3 exec/votequorum.c). */
export const NODE_FLAG_NAMES: readonly (readonly [number, string])[] = [
  [1, 'quorate'],
  [2, 'leaving'],
  [4, 'wfastatus'],
  [8, 'first'],
  [16, 'qdevice_registered'],
  [32, 'qdevice_alive'],
  [64, 'qdevice_cast_vote'],
  [128, 'qdevice_master_wins'],
];

export function nodeFlagNames(flags: number): string[] {
  const out: string[] = [];
  let rest = flags >>> 0;
  for (const [bit, name] of NODE_FLAG_NAMES) {
    if (rest & bit) out.push(name);
    rest &= ~bit;
  }
  if (rest !== 0) out.push(`0x${(rest >>> 0).toString(16)}`);
  return out;
}

export type VotequorumErrorCode = 'votequorum.short' | 'votequorum.unknown_type';

function short(what: string, need: number, have: number): WireError<VotequorumErrorCode> {
  return new WireError('votequorum.short', 0, `votequorum ${what} needs ${need} bytes, message has ${have}`);
}

/** A NUL-terminated name in a fixed field, printable ASCII (other bytes escaped). */
function fixedName(b: Uint8Array, at: number, len: number): string {
  let s = '';
  for (let i = at; i < at + len; i++) {
    const c = b[i]!;
    if (c === 0) break;
    s += c >= 0x20 && c < 0x7f && c !== 0x5c ? String.fromCharCode(c) : c === 0x5c ? '\\\\' : `\\x${c.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return s;
}

function writeFixedName(out: Uint8Array, at: number, len: number, s: string): void {
  for (let i = 0; i < s.length && i < len - 1; i++) out[at + i] = s.charCodeAt(i) & 0xff;
}

export function parseVotequorum(b: Uint8Array, h: RequestHeader, le: boolean): Decoded<VotequorumMessage, VotequorumErrorCode> {
  switch (h.fn) {
    case VotequorumFn.NODEINFO:
      if (b.length < NODEINFO_LEN) return short('nodeinfo', NODEINFO_LEN, b.length);
      return {
        service: 'votequorum',
        type: 'nodeinfo',
        header: h,
        nodeid: u32(b, NODEINFO_NODEID, le),
        votes: u32(b, NODEINFO_VOTES, le),
        expectedVotes: u32(b, NODEINFO_EXPECTED, le),
        flags: u32(b, NODEINFO_FLAGS, le),
        trailer: b.subarray(NODEINFO_LEN),
      };
    case VotequorumFn.RECONFIGURE:
      if (b.length < RECONFIGURE_LEN) return short('reconfigure', RECONFIGURE_LEN, b.length);
      return {
        service: 'votequorum',
        type: 'reconfigure',
        header: h,
        nodeid: u32(b, RECONFIGURE_NODEID, le),
        value: u32(b, RECONFIGURE_VALUE, le),
        param: u8(b, RECONFIGURE_PARAM),
        trailer: b.subarray(RECONFIGURE_LEN),
      };
    case VotequorumFn.QDEVICE_REG:
      if (b.length < QDEVICE_REG_LEN) return short('qdevice_reg', QDEVICE_REG_LEN, b.length);
      return {
        service: 'votequorum',
        type: 'qdevice_reg',
        header: h,
        operation: u32(b, QDEVICE_REG_OPERATION, le),
        name: fixedName(b, QDEVICE_REG_NAME, QDEVICE_NAME_LEN),
        trailer: b.subarray(QDEVICE_REG_LEN),
      };
    case VotequorumFn.QDEVICE_RECONFIGURE:
      if (b.length < QDEVICE_RECONF_LEN) return short('qdevice_reconfigure', QDEVICE_RECONF_LEN, b.length);
      return {
        service: 'votequorum',
        type: 'qdevice_reconfigure',
        header: h,
        oldName: fixedName(b, QDEVICE_RECONF_OLD, QDEVICE_NAME_LEN),
        newName: fixedName(b, QDEVICE_RECONF_NEW, QDEVICE_NAME_LEN),
        trailer: b.subarray(QDEVICE_RECONF_LEN),
      };
    default:
      return new WireError('votequorum.unknown_type', 0, `unknown votequorum exec function ${h.fn}`);
  }
}

export function emitVotequorum(m: VotequorumMessage, le: boolean): Uint8Array {
  const base = m.type === 'nodeinfo' ? NODEINFO_LEN : m.type === 'reconfigure' ? RECONFIGURE_LEN : m.type === 'qdevice_reg' ? QDEVICE_REG_LEN : QDEVICE_RECONF_LEN;
  const out = new Uint8Array(base + m.trailer.length);
  emitRequestHeader(m.header, out, le);
  switch (m.type) {
    case 'nodeinfo':
      putU32(out, NODEINFO_NODEID, m.nodeid, le);
      putU32(out, NODEINFO_VOTES, m.votes, le);
      putU32(out, NODEINFO_EXPECTED, m.expectedVotes, le);
      putU32(out, NODEINFO_FLAGS, m.flags, le);
      break;
    case 'reconfigure':
      putU32(out, RECONFIGURE_NODEID, m.nodeid, le);
      putU32(out, RECONFIGURE_VALUE, m.value, le);
      putU8(out, RECONFIGURE_PARAM, m.param);
      break;
    case 'qdevice_reg':
      putU32(out, QDEVICE_REG_OPERATION, m.operation, le);
      writeFixedName(out, QDEVICE_REG_NAME, QDEVICE_NAME_LEN, m.name);
      break;
    case 'qdevice_reconfigure':
      writeFixedName(out, QDEVICE_RECONF_OLD, QDEVICE_NAME_LEN, m.oldName);
      writeFixedName(out, QDEVICE_RECONF_NEW, QDEVICE_NAME_LEN, m.newName);
      break;
  }
  out.set(m.trailer, base);
  return out;
}

export function votequorumTree(m: VotequorumMessage): FieldNode {
  const kids: FieldNode[] = [node(F.type, m.header.fn)];
  switch (m.type) {
    case 'nodeinfo':
      kids.push(
        node(F.nodeid, m.nodeid, undefined, m.nodeid === 0 ? '(quorum device)' : undefined),
        node(F.votes, m.votes),
        node(F.expected_votes, m.expectedVotes),
        node(F.flags, m.flags, [node(F.flag_names, nodeFlagNames(m.flags).join(',') || 'none')]),
      );
      break;
    case 'reconfigure':
      kids.push(node(F.nodeid, m.nodeid), node(F.value, m.value), node(F.param, m.param));
      break;
    case 'qdevice_reg':
      kids.push(node(F.operation, m.operation), node(F.qdevice_name, m.name));
      break;
    case 'qdevice_reconfigure':
      kids.push(node(F.old_name, m.oldName), node(F.new_name, m.newName));
      break;
  }
  return node(F[''], undefined, kids);
}

export function votequorumSummary(m: VotequorumMessage): string {
  switch (m.type) {
    case 'nodeinfo': {
      const flags = nodeFlagNames(m.flags);
      return `votequorum nodeinfo node ${m.nodeid} votes ${m.votes} expected ${m.expectedVotes} flags ${flags.length > 0 ? flags.join(',') : 'none'}`;
    }
    case 'reconfigure':
      return `votequorum reconfigure node ${m.nodeid} ${VOTEQUORUM_PARAMS[m.param] ?? `param ${m.param}`} ${m.value}`;
    case 'qdevice_reg':
      return `votequorum qdevice_reg ${m.operation === 1 ? 'register' : m.operation === 0 ? 'unregister' : `op ${m.operation}`} ${m.name}`;
    case 'qdevice_reconfigure':
      return `votequorum qdevice_reconfigure ${m.oldName} -> ${m.newName}`;
  }
}

export function votequorumTypeName(fn: number): string {
  return VOTEQUORUM_TYPES[fn] ?? `fn-${fn}`;
}
