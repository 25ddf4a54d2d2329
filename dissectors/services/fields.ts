/** Field catalog of the service layer (wire-format.md §5). */
import { defineFields } from '../catalog.ts';
import { SERVICE_NAMES } from './names.ts';

export const SERVICE_FIELDS = defineFields('service', {
  '': { type: 'none', label: 'Service message', description: 'A corosync service message (qb_ipc_request_header + body), delivered to the service named by the id.' },
  id: { type: 'u32', label: 'Id', hex: true, description: 'qb_ipc_request_header.id = service << 16 | function.' },
  name: { type: 'string', label: 'Service', description: 'Service name from the id (corodefs.h); "sync" for the sync engine group.' },
  service: { type: 'u16', label: 'Service id', description: 'id >> 16.', values: SERVICE_NAMES },
  fn: { type: 'u16', label: 'Function', description: 'id & 0xffff: the exec handler index within the service.' },
  fn_name: { type: 'string', label: 'Function name', description: 'Name of the exec handler (message type).' },
  size: { type: 'i32', label: 'Size', description: 'qb_ipc_request_header.size as set by the sender; receivers do not check it.' },
  error: { type: 'string', label: 'Decode error', description: 'Why the service message could not be decoded (WireError code and message).' },
  body: { type: 'bytes', label: 'Body', description: 'Message bytes after the request header, for services or functions without a documented layout.' },
});

export const CPG_REASONS: Readonly<Record<number, string>> = { 1: 'join', 2: 'leave', 3: 'nodedown', 4: 'nodeup', 5: 'procdown' };
export const CPG_PARTIAL_TYPES: Readonly<Record<number, string>> = { 1: 'first', 2: 'continued', 3: 'last' };
export const CPG_TYPES: Readonly<Record<number, string>> = {
  0: 'procjoin',
  1: 'procleave',
  2: 'joinlist',
  3: 'mcast',
  4: 'downlist_old',
  5: 'downlist',
  6: 'partial_mcast',
};

export const CPG_FIELDS = defineFields('cpg', {
  '': { type: 'none', label: 'Closed process group (CPG)', description: 'CPG exec message (CS3 exec/cpg.c).' },
  type: { type: 'u16', label: 'Type', description: 'CPG exec message type (function number).', values: CPG_TYPES },
  group_name: { type: 'string', label: 'Group name', description: 'CPG group (mar_cpg_name_t), printed as corosync prints it.' },
  group_name_len: { type: 'u32', label: 'Group name length', description: 'mar_cpg_name_t.length (at most 128).' },
  pid: { type: 'u32', label: 'PID', description: 'Process id of the CPG client on the sending node.' },
  nodeid: { type: 'u32', label: 'Source nodeid', description: 'mar_message_source_t.nodeid: the node whose client sent the message.' },
  conn: { type: 'u64', label: 'Source connection', hex: true, description: "mar_message_source_t.conn: the sender's local connection pointer; meaningless to receivers." },
  msg_len: { type: 'u32', label: 'Message length', description: 'Length of the application message (whole message for partial mcasts).' },
  frag_len: { type: 'u32', label: 'Fragment length', description: 'Bytes of the application message carried in this partial mcast.' },
  partial_type: { type: 'u32', label: 'Partial type', description: 'Which piece of a large client message this is.', values: CPG_PARTIAL_TYPES },
  message: { type: 'bytes', label: 'Message', description: 'Application message body as the CPG client sent it.' },
  reason: { type: 'u32', label: 'Reason', description: 'Why the process joined or left (CONFCHG_CPG_REASON_*).', values: CPG_REASONS },
  error: { type: 'i32', label: 'Error', description: 'qb_ipc_response_header.error of a joinlist (always 0).' },
  joinlist_entry: { type: 'none', label: 'Joined process', description: 'One join_list_entry: a local process and its group.' },
  old_members: { type: 'u32', label: 'Old members', description: 'downlist: number of members of the previous membership (merge decisions).' },
  left_nodes: { type: 'u32', label: 'Left nodes', description: 'downlist: number of nodes that left (entries used in nodeids[]).' },
  left_nodeid: { type: 'u32', label: 'Left node', description: 'downlist: one nodeid that left.' },
});

export const VOTEQUORUM_TYPES: Readonly<Record<number, string>> = { 0: 'nodeinfo', 1: 'reconfigure', 2: 'qdevice_reg', 3: 'qdevice_reconfigure' };
export const VOTEQUORUM_PARAMS: Readonly<Record<number, string>> = { 1: 'expected_votes', 2: 'node_votes', 3: 'cancel_wfa' };

export const VOTEQUORUM_FIELDS = defineFields('votequorum', {
  '': { type: 'none', label: 'Vote quorum', description: 'votequorum exec message (CS3 exec/votequorum.c).' },
  type: { type: 'u16', label: 'Type', description: 'votequorum exec message type.', values: VOTEQUORUM_TYPES },
  nodeid: { type: 'u32', label: 'Nodeid', description: 'Node the information is about; 0 = the quorum device.' },
  votes: { type: 'u32', label: 'Votes', description: 'Votes of the node.' },
  expected_votes: { type: 'u32', label: 'Expected votes', description: "The node's expected votes." },
  flags: { type: 'u32', label: 'Flags', hex: true, description: 'NODE_FLAGS_* bits: quorate 1, leaving 2, wfastatus 4, first 8, qdevice_registered 16, qdevice_alive 32, qdevice_cast_vote 64, qdevice_master_wins 128.' },
  flag_names: { type: 'string', label: 'Flags set', description: 'Names of the flag bits set.' },
  value: { type: 'u32', label: 'Value', description: 'reconfigure: new value of the parameter.' },
  param: { type: 'u8', label: 'Parameter', description: 'reconfigure: which value changes.', values: VOTEQUORUM_PARAMS },
  operation: { type: 'u32', label: 'Operation', description: 'qdevice_reg: 0 unregister, 1 register.', values: { 0: 'unregister', 1: 'register' } },
  qdevice_name: { type: 'string', label: 'Quorum device', description: 'Quorum device name (NUL-terminated in a 255-byte field).' },
  old_name: { type: 'string', label: 'Old name', description: 'qdevice_reconfigure: previous device name.' },
  new_name: { type: 'string', label: 'New name', description: 'qdevice_reconfigure: new device name.' },
});

export const SYNC_TYPES: Readonly<Record<number, string>> = { 0: 'barrier', 1: 'service_build' };

export const SYNC_FIELDS = defineFields('sync', {
  '': { type: 'none', label: 'Synchronization engine', description: 'sync message in group "sync" (CS3 exec/sync.c); id is the raw function, no service bits.' },
  type: { type: 'u32', label: 'Type', description: 'Sync message type (raw header id).', values: SYNC_TYPES },
  ring_id: { type: 'string', label: 'Ring id', description: 'Ring the sync round belongs to, rep.seq in hex; messages for another ring are ignored.' },
  service_count: { type: 'i32', label: 'Service count', description: 'service_build: service_list_entries (at most 128).' },
  services: { type: 'string', label: 'Services', description: 'service_build: the sync-capable service ids of the sender, comma separated.' },
  service: { type: 'i32', label: 'Service', description: 'One sync-capable service id.', values: SERVICE_NAMES },
});

export const CMAP_TYPES: Readonly<Record<number, string>> = { 0: 'mcast' };
export const CMAP_REASONS: Readonly<Record<number, string>> = { 0: 'sync', 1: 'new_config_version' };
export const CMAP_VALUE_TYPES: Readonly<Record<number, string>> = {
  0: 'not_exist', 1: 'int8', 2: 'uint8', 3: 'int16', 4: 'uint16', 5: 'int32', 6: 'uint32', 7: 'int64', 8: 'uint64', 9: 'float', 10: 'double', 11: 'string', 12: 'binary',
};

export const CMAP_FIELDS = defineFields('cmap', {
  '': { type: 'none', label: 'Configuration map (cmap)', description: 'cmap exec message (CS3 exec/cmap.c).' },
  type: { type: 'u16', label: 'Type', description: 'cmap exec message type.', values: CMAP_TYPES },
  reason: { type: 'u8', label: 'Reason', description: 'Why the items are multicast.', values: CMAP_REASONS },
  no_items: { type: 'u8', label: 'Items', description: 'Number of items that follow.' },
  item: { type: 'none', label: 'Item', description: 'One key/value item.' },
  key: { type: 'string', label: 'Key', description: 'Key name.' },
  value_type: { type: 'u8', label: 'Value type', description: 'icmap value type.', values: CMAP_VALUE_TYPES },
  value_len: { type: 'u64', label: 'Value length', description: 'Length of the value in bytes.' },
  value: { type: 'string', label: 'Value', description: 'The value, rendered by its type.' },
});

export const CFG_TYPES: Readonly<Record<number, string>> = { 0: 'ringreenable', 1: 'killnode', 2: 'shutdown', 3: 'reload_config', 4: 'crypto_reconfig' };

export const CFG_FIELDS = defineFields('cfg', {
  '': { type: 'none', label: 'Configuration (cfg)', description: 'cfg exec message (CS3 exec/cfg.c).' },
  type: { type: 'u16', label: 'Type', description: 'cfg exec message type.', values: CFG_TYPES },
  source_nodeid: { type: 'u32', label: 'Source nodeid', description: 'mar_message_source_t.nodeid of the requester.' },
  nodeid: { type: 'u32', label: 'Nodeid', description: 'killnode: the node to kill.' },
  reason: { type: 'string', label: 'Reason', description: 'killnode: the reason text.' },
  phase: { type: 'u32', label: 'Phase', description: 'crypto_reconfig phase.', values: { 1: 'activate', 2: 'cleanup' } },
});

export const PLOAD_TYPES: Readonly<Record<number, string>> = { 0: 'start', 1: 'mcast' };

export const PLOAD_FIELDS = defineFields('pload', {
  '': { type: 'none', label: 'Performance load (pload)', description: 'pload exec message (CS3 exec/pload.c).' },
  type: { type: 'u16', label: 'Type', description: 'pload exec message type.', values: PLOAD_TYPES },
  msg_count: { type: 'u32', label: 'Message count', description: 'start: number of messages to send.' },
  msg_size: { type: 'u32', label: 'Message size', description: 'start: size of each message.' },
  filler_len: { type: 'u32', label: 'Filler length', description: 'mcast: filler bytes after the header.' },
});
