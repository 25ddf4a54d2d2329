/**
 * The group header in front of every packed totempg message (wire-format.md §4; CS3 exec/totempg.c
 * `totempg_groups_mcast_joined`, `group_matches`):
 * `group_count u16 | group_len[group_count] u16 | names (no NUL, concatenated) | service message`.
 * corosync's services use group "a", the sync engine "sync". Lengths are in the sender's order.
 */
import { u16, putU16 } from '../bytes.ts';
import { node, type FieldNode } from '../catalog.ts';
import { WireError, type Decoded } from '../errors.ts';
import { TOTEMPG_FIELDS as F } from './fields.ts';

export const GROUP_COUNT = 0;
export const GROUP_LEN_SIZE = 2;
/** totempg.c MAX_GROUPS_PER_MSG: a sender never names more groups. */
export const MAX_GROUPS = 32;
/** Our limit on one group name; corosync's own names are 1..4 bytes. */
export const MAX_GROUP_NAME = 255;

export type GroupErrorCode = 'totempg.group_short' | 'totempg.group_count' | 'totempg.group_name_length';

export interface GroupedMessage {
  /** Group names as raw bytes (corosync compares bytes, not strings). */
  readonly groups: readonly Uint8Array[];
  /** The service message after the group header (zero-copy view). */
  readonly body: Uint8Array;
}

export function parseGroupedMessage(b: Uint8Array, le: boolean): Decoded<GroupedMessage, GroupErrorCode> {
  if (b.length < GROUP_LEN_SIZE) {
    return new WireError('totempg.group_short', 0, `packed message is ${b.length} bytes, group_count needs 2`);
  }
  const count = u16(b, GROUP_COUNT, le);
  if (count > MAX_GROUPS) {
    return new WireError('totempg.group_count', GROUP_COUNT, `group_count ${count} exceeds ${MAX_GROUPS}`);
  }
  let off = GROUP_LEN_SIZE * (count + 1);
  if (b.length < off) {
    return new WireError('totempg.group_short', GROUP_LEN_SIZE, `group_count ${count} needs ${off} bytes, message has ${b.length}`);
  }
  const groups: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const lenOff = GROUP_LEN_SIZE * (i + 1);
    const len = u16(b, lenOff, le);
    if (len > MAX_GROUP_NAME) {
      return new WireError('totempg.group_name_length', lenOff, `group name length ${len} exceeds ${MAX_GROUP_NAME}`);
    }
    if (off + len > b.length) {
      return new WireError('totempg.group_short', lenOff, `group name of ${len} bytes at ${off} runs past the message (${b.length} bytes)`);
    }
    groups.push(b.subarray(off, off + len));
    off += len;
  }
  return { groups, body: b.subarray(off) };
}

export function groupHeaderLen(m: GroupedMessage): number {
  let n = GROUP_LEN_SIZE * (m.groups.length + 1);
  for (const g of m.groups) n += g.length;
  return n;
}

export function emitGroupedMessage(m: GroupedMessage, le: boolean): Uint8Array {
  const out = new Uint8Array(groupHeaderLen(m) + m.body.length);
  putU16(out, GROUP_COUNT, m.groups.length, le);
  let off = GROUP_LEN_SIZE * (m.groups.length + 1);
  m.groups.forEach((g, i) => {
    putU16(out, GROUP_LEN_SIZE * (i + 1), g.length, le);
    out.set(g, off);
    off += g.length;
  });
  out.set(m.body, off);
  return out;
}

/** A name as corosync prints it (cpg_print_group_name): printable ASCII, `\\` doubled, others `\xNN`. */
export function printableName(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!;
    if (c === 0x5c) s += '\\\\';
    else if (c >= 0x20 && c < 0x7f) s += String.fromCharCode(c);
    else s += '\\x' + (c < 16 ? '0' : '') + c.toString(16).toUpperCase();
  }
  return s;
}

export function groupNames(m: GroupedMessage): string[] {
  return m.groups.map(printableName);
}

export function groupTree(m: GroupedMessage): FieldNode[] {
  const out: FieldNode[] = [node(F.group_count, m.groups.length)];
  for (const g of m.groups) out.push(node(F.group, printableName(g), [node(F.group_len, g.length)]));
  return out;
}

/** `"a".encode()` for tests and emitters. */
export function nameBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}
