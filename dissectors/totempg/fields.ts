/** Field catalog of the totempg layer (wire-format.md §4). */
import { defineFields } from '../catalog.ts';

export const TOTEMPG_FIELDS = defineFields('totempg', {
  '': { type: 'none', label: 'Totem process groups (totempg)', description: 'The totempg packet inside an MCAST payload (encapsulated = 2).' },
  version: { type: 'u16', label: 'Version', description: 'totempg_mcast header.version; always 0.' },
  type: { type: 'u16', label: 'Type', description: 'totempg_mcast header.type; always 0.' },
  fragmented: {
    type: 'u8',
    label: 'Fragmented',
    description: '0 when the last packed message is complete; else the fragment number N (1..255): the last packed message continues in the next packet from this sender.',
  },
  continuation: {
    type: 'u8',
    label: 'Continuation',
    description: "0, or the previous packet's fragment number: the first packed message continues a message begun in the sender's previous packet.",
  },
  msg_count: { type: 'u16', label: 'Message count', description: 'Number of packed messages (or pieces of messages) in this packet.' },
  msg_len: { type: 'u16', label: 'Message length', description: 'Length of one packed message (or piece) in bytes.' },
  message: { type: 'none', label: 'Packed message', description: 'One packed message (or a piece of one) carried in the packet.' },
  piece: {
    type: 'string',
    label: 'Piece',
    description: 'Whether the packed message is whole, the head of a message continued in the next packet, or a continuation.',
  },
  group_count: { type: 'u16', label: 'Group count', description: 'Number of group names in front of the service message.' },
  group_len: { type: 'u16', label: 'Group name length', description: 'Length of one group name (no NUL).' },
  group: { type: 'string', label: 'Group', description: 'totempg group the message is addressed to: "a" for corosync services, "sync" for the sync engine.' },
  error: { type: 'string', label: 'Decode error', description: 'Why this totempg packet or packed message could not be decoded (WireError code and message).' },
  data: { type: 'bytes', label: 'Data', description: 'Bytes of a packed message piece whose message is not complete in this packet.' },
});
