/**
 * Recovery re-originates old-ring messages wrapped in a new MCAST (encapsulated = 1) whose payload is
 * the complete old MCAST, header included (exec/totemsrp.c memb_state_recovery_enter;
 * wire-format.md §3.3 MCAST, §6.6). This is the only place the engine needs bytes, so the 45-byte MCAST
 * layout is written here with the shared byte helpers. Always emitted little-endian (v3, x86 order).
 */
import { putU16, putU32, putU64, putU8, u16, u32, i32, u64 } from '../../dissectors/bytes.ts';
import { MessageType, type Mcast } from '../../dissectors/totemsrp/types.ts';

const TOTEM_MH_MAGIC = 0xc070;
const MAGIC = 0;
const VERSION = 2;
const TYPE = 3;
const ENCAPSULATED_OFF = 4;
const NODEID = 5;
const TARGET_NODEID = 9;
const SYSTEM_FROM = 13;
const SEQ = 17;
const THIS_SEQNO = 21;
const RING_REP = 25;
const RING_SEQ = 29;
const NODE_ID = 37;
const GUARANTEE = 41;
/** sizeof(struct mcast) in v3. */
export const MCAST_HEADER_LEN = 45;

const EMPTY = new Uint8Array(0);

export function encodeInnerMcast(m: Mcast): Uint8Array {
  const out = new Uint8Array(MCAST_HEADER_LEN + m.payload.length);
  const le = m.header.littleEndian;
  putU16(out, MAGIC, TOTEM_MH_MAGIC, le);
  putU8(out, VERSION, m.header.version);
  putU8(out, TYPE, MessageType.MCAST);
  putU8(out, ENCAPSULATED_OFF, m.header.encapsulated);
  putU32(out, NODEID, m.header.nodeid, le);
  putU32(out, TARGET_NODEID, m.header.targetNodeid, le);
  putU32(out, SYSTEM_FROM, m.systemFrom, le);
  putU32(out, SEQ, m.seq, le);
  putU32(out, THIS_SEQNO, m.thisSeqno >>> 0, le);
  putU32(out, RING_REP, m.ringId.rep, le);
  putU64(out, RING_SEQ, m.ringId.seq, le);
  putU32(out, NODE_ID, m.nodeId, le);
  putU32(out, GUARANTEE, m.guarantee >>> 0, le);
  out.set(m.payload, MCAST_HEADER_LEN);
  return out;
}

/** Parses the inner MCAST of an encapsulated message; null when it is not a v3 MCAST. */
export function decodeInnerMcast(b: Uint8Array): Mcast | null {
  if (b.length < MCAST_HEADER_LEN) return null;
  const magicLe = u16(b, MAGIC, true);
  let le: boolean;
  if (magicLe === TOTEM_MH_MAGIC) le = true;
  else if (u16(b, MAGIC, false) === TOTEM_MH_MAGIC) le = false;
  else return null;
  if (b[TYPE] !== MessageType.MCAST) return null;
  return {
    kind: 'mcast',
    header: {
      littleEndian: le,
      version: b[VERSION]!,
      type: MessageType.MCAST,
      encapsulated: b[ENCAPSULATED_OFF]!,
      nodeid: u32(b, NODEID, le),
      targetNodeid: u32(b, TARGET_NODEID, le),
    },
    trailer: EMPTY,
    systemFrom: u32(b, SYSTEM_FROM, le),
    seq: u32(b, SEQ, le),
    thisSeqno: i32(b, THIS_SEQNO, le),
    ringId: { rep: u32(b, RING_REP, le), seq: u64(b, RING_SEQ, le) },
    nodeId: u32(b, NODE_ID, le),
    guarantee: i32(b, GUARANTEE, le),
    payload: b.subarray(MCAST_HEADER_LEN),
  };
}
