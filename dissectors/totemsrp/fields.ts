/**
 * Field catalog for totemsrp (`corosync_totemsrp.*`). Names are Wireshark's (packet-corosync-
 * totemsrp.c, `tshark -G fields`) where Wireshark has the field; v3-only fields extend the same tree
 * (wire-format.md §9). Wireshark registers the token's token_seq under `orf_token.seq` too; here it
 * has its own name, `corosync_totemsrp.orf_token.token_seq`.
 */
import { defineFields, type FieldDef } from '../catalog.ts';
import { MESSAGE_TYPE_NAMES } from './types.ts';

const MESSAGE_TYPE_VALUES: Readonly<Record<number, string>> = MESSAGE_TYPE_NAMES;

export const totemsrpFields = defineFields('corosync_totemsrp', {
  '': { type: 'none', label: 'Totem SRP', description: 'Corosync Totem Single Ring Protocol message (v3, corosync 3.x).' },
  trailer: {
    type: 'bytes',
    label: 'Trailer',
    description: 'Bytes after the end of the structure. corosync accepts and ignores them; real traffic has none.',
  },
});

export const headerFields = defineFields('corosync_totemsrp.message_header', {
  '': { type: 'none', label: 'Message header', description: 'struct totem_message_header (13 bytes, packed).' },
  magic: { type: 'u16', label: 'Magic', hex: true, description: 'TOTEM_MH_MAGIC 0xC070 in the sender byte order; read as 0x70C0 it means the sender has the other byte order.' },
  version: { type: 'u8', label: 'Version', description: 'TOTEM_MH_VERSION: 3 for corosync 3.x; receivers drop any other.' },
  type: { type: 'u8', label: 'Type', description: 'Message type (enum message_type in exec/totemsrp.c).', values: MESSAGE_TYPE_VALUES },
  encapsulated: {
    type: 'u8',
    label: 'Encapsulated',
    description: 'MCAST only: 1 = a recovery copy carrying a whole old-ring MCAST, 2 = ordinary totempg data; 0 in other types.',
    values: { 1: 'encapsulated', 2: 'not encapsulated' },
  },
  nodeid: { type: 'u32', label: 'Node id', description: 'Sender nodeid; 0 on a leave JOIN.' },
  target_nodeid: {
    type: 'u32',
    label: 'Target node id',
    description: 'Destination nodeid used by knet for unicast routing (0 = broadcast). Not set by udp/udpu: whatever was in the sender buffer.',
  },
  byte_order: { type: 'string', label: 'Byte order', description: "Sender's byte order, detected from the magic (little-endian on x86_64)." },
});

export const ringIdFields = defineFields('corosync_totemsrp.memb_ring_id', {
  '': { type: 'string', label: 'Ring id', description: 'struct memb_ring_id, shown as corosync prints it: rep.seq in hex (1.d).' },
  rep: { type: 'u32', label: 'Representative', description: 'Nodeid of the ring representative (the lowest nodeid of the ring at formation).' },
  seq: { type: 'u64', label: 'Ring sequence', hex: true, description: 'Ring sequence number; each new ring takes the highest seen + 4. Persisted in /var/lib/corosync/ringid_*.' },
});

export const orfTokenFields = defineFields('corosync_totemsrp.orf_token', {
  '': { type: 'none', label: 'Ordering, reliability, flow control token', description: 'ORF_TOKEN: the token that circulates the ring (struct orf_token).' },
  seq: { type: 'u32', label: 'Sequence', hex: true, description: 'Highest message sequence number assigned on this ring so far.' },
  token_seq: { type: 'u32', label: 'Token sequence', description: 'Token hop counter, incremented each time the token is forwarded; used to discard duplicate tokens.' },
  aru: { type: 'u32', label: 'ARU', hex: true, description: 'All-received-up-to: every processor has received every message up to this seq (as far as the token knows).' },
  aru_addr: { type: 'u32', label: 'ARU address', description: 'Nodeid that last lowered the aru; 0 when nobody holds it down.' },
  backlog: { type: 'u32', label: 'Backlog', description: 'Sum of the send-queue backlogs reported by processors during the last rotation (flow control).' },
  fcc: { type: 'u32', label: 'FCC', description: 'Flow control count: messages broadcast by all processors during the previous rotation of the token.' },
  retrans_flg: { type: 'i32', label: 'Retransmit flag', description: 'Set while retransmissions are outstanding on this token.' },
  rtr_list_entries: { type: 'i32', label: 'Retransmit list entries', description: 'Number of entries in the retransmit request list (at most 30).' },
  rtr_list: { type: 'none', label: 'Retransmit list', description: 'Messages some processor is missing and asks to be retransmitted.' },
});

export const rtrItemFields = defineFields('corosync_totemsrp.rtr_item', {
  '': { type: 'none', label: 'Retransmit item', description: 'struct rtr_item: a missing message (ring id + seq).' },
  seq: { type: 'u32', label: 'Sequence', hex: true, description: 'Sequence number of the message to retransmit.' },
});

export const mcastFields = defineFields('corosync_totemsrp.mcast', {
  '': { type: 'none', label: 'Multicast message', description: 'MCAST: an ordered message (struct mcast header + payload).' },
  system_from: { type: 'u32', label: 'System from', description: 'srp_addr (nodeid) of the processor that originated the message.' },
  seq: { type: 'u32', label: 'Sequence', hex: true, description: 'Ring sequence number, assigned from the token.' },
  this_seqno: { type: 'i32', label: 'This seqno', description: "Sender's running message counter (global_seqno); informational only." },
  node_id: { type: 'u32', label: 'Node id', description: 'Never set by corosync (0).' },
  guarantee: { type: 'i32', label: 'Guarantee', description: 'Delivery guarantee requested.', values: { 0: 'agreed', 1: 'safe' } },
  payload_length: { type: 'u32', label: 'Payload length', description: 'Bytes after the 45-byte MCAST header: totempg data, or a whole old-ring MCAST when encapsulated.' },
  payload: { type: 'bytes', label: 'Payload', description: 'The MCAST payload (decoded by the totempg layer).' },
});

export const mergeDetectFields = defineFields('corosync_totemsrp.memb_merge_detect', {
  '': { type: 'none', label: 'Merge detect', description: 'MEMB_MERGE_DETECT: a ring representative announcing its ring to find partitions to merge.' },
  system_from: { type: 'u32', label: 'System from', description: 'Nodeid of the sender (its ring representative).' },
});

export const membJoinFields = defineFields('corosync_totemsrp.memb_join', {
  '': { type: 'none', label: 'Join', description: 'MEMB_JOIN: a processor\'s view of the membership during gather; header nodeid 0 marks a leave.' },
  system_from: { type: 'u32', label: 'System from', description: 'Nodeid of the sender.' },
  proc_list_entries: { type: 'u32', label: 'Processor list entries', description: 'Number of processors the sender considers members.' },
  failed_list_entries: { type: 'u32', label: 'Failed list entries', description: 'Number of processors the sender considers failed.' },
  ring_seq: { type: 'u64', label: 'Ring sequence', hex: true, description: "Sender's current ring sequence (my_ring_id.seq)." },
  leave: { type: 'bool', label: 'Leave', description: 'True when the header nodeid is 0: the sender is leaving the cluster.' },
  proc_list: { type: 'none', label: 'Processor list', description: 'Processors the sender considers members.' },
  'proc_list.nodeid': { type: 'u32', label: 'Node id', description: 'A member nodeid.' },
  failed_list: { type: 'none', label: 'Failed list', description: 'Processors the sender considers failed.' },
  'failed_list.nodeid': { type: 'u32', label: 'Node id', description: 'A failed nodeid.' },
});

export const commitTokenFields = defineFields('corosync_totemsrp.memb_commit_token', {
  '': { type: 'none', label: 'Commit token', description: 'MEMB_COMMIT_TOKEN: the token that installs a new ring; it makes two rotations.' },
  token_seq: { type: 'u32', label: 'Token sequence', description: 'Incremented every hop.' },
  retrans_flg: { type: 'u32', label: 'Retransmit flag', description: 'Always 0 in practice.' },
  memb_index: { type: 'i32', label: 'Member index', description: 'Index of the next member slot to fill; equals addr_entries after the first rotation.' },
  addr_entries: { type: 'i32', label: 'Address entries', description: 'Number of members of the new ring.' },
  addr: { type: 'none', label: 'Members', description: 'Members of the new ring in ring order (ascending nodeid).' },
  'addr.nodeid': { type: 'u32', label: 'Node id', description: 'A member nodeid.' },
  memb_list: { type: 'none', label: 'Member entries', description: "Each member's old-ring state, filled in as the token passes; unfilled slots are zero." },
});

export const commitMembEntryFields = defineFields('corosync_totemsrp.memb_commit_token_memb_entry', {
  '': { type: 'none', label: 'Member entry', description: 'struct memb_commit_token_memb_entry: one member\'s old ring id and receive state.' },
  aru: { type: 'u32', label: 'ARU', hex: true, description: "The member's aru on its old ring." },
  high_delivered: { type: 'u32', label: 'High delivered', hex: true, description: 'Highest seq the member delivered on its old ring.' },
  received_flg: { type: 'u32', label: 'Received flag', description: '1 when the member has received every message of its old ring.' },
});

export const tokenHoldCancelFields = defineFields('corosync_totemsrp.token_hold_cancel', {
  '': { type: 'none', label: 'Token hold cancel', description: 'TOKEN_HOLD_CANCEL: asks the token holder to stop holding the token because a message is waiting.' },
});

function all(...groups: ReadonlyArray<Readonly<Record<string, FieldDef>>>): readonly FieldDef[] {
  const out: FieldDef[] = [];
  for (const g of groups) out.push(...Object.values(g));
  return Object.freeze(out);
}

/** Every totemsrp catalog entry. */
export const TOTEMSRP_FIELDS: readonly FieldDef[] = all(
  totemsrpFields,
  headerFields,
  ringIdFields,
  orfTokenFields,
  rtrItemFields,
  mcastFields,
  mergeDetectFields,
  membJoinFields,
  commitTokenFields,
  commitMembEntryFields,
  tokenHoldCancelFields,
);
