/**
 * FieldNode trees (`-V`) and one-line summaries for totemsrp messages; names from fields.ts.
 * Not on the hot path: built only for frames that are shown.
 */
import { node, type FieldNode } from '../catalog.ts';
import { WireError } from '../errors.ts';
import { decodeTotem } from './codec.ts';
import { TOTEM_MH_MAGIC } from './header.ts';
import {
  commitMembEntryFields as ME,
  commitTokenFields as CT,
  headerFields as H,
  mcastFields as MC,
  membJoinFields as MJ,
  mergeDetectFields as MD,
  orfTokenFields as OT,
  ringIdFields as RI,
  rtrItemFields as RT,
  tokenHoldCancelFields as TH,
  totemsrpFields as T,
} from './fields.ts';
import { ENCAPSULATED, formatRingId, isLeave, type RingId, type TotemHeader, type TotemMessage } from './types.ts';

export type TotemTransport = 'udp' | 'udpu' | 'knet' | 'unknown';

export interface TotemTreeContext {
  readonly transport: TotemTransport;
}

/** How deep encapsulated MCASTs are decoded in a tree (real traffic nests once). */
const MAX_ENCAPSULATION_DEPTH = 2;

export function ringIdTree(r: RingId): FieldNode {
  return node(RI[''], formatRingId(r), [node(RI.rep, r.rep), node(RI.seq, r.seq)]);
}

export function headerTree(h: TotemHeader, ctx: TotemTreeContext): FieldNode {
  const unrouted = ctx.transport === 'udp' || ctx.transport === 'udpu';
  return node(H[''], undefined, [
    node(H.magic, TOTEM_MH_MAGIC),
    node(H.byte_order, h.littleEndian ? 'little-endian' : 'big-endian'),
    node(H.version, h.version),
    node(H.type, h.type),
    node(H.encapsulated, h.encapsulated),
    node(H.nodeid, h.nodeid),
    node(H.target_nodeid, h.targetNodeid, undefined, unrouted ? '(not meaningful on udp/udpu)' : undefined),
  ]);
}

function nodeidList(list: readonly number[], item: typeof MJ['proc_list.nodeid']): FieldNode[] {
  const out: FieldNode[] = [];
  for (const n of list) out.push(node(item, n));
  return out;
}

function bodyTree(m: TotemMessage, ctx: TotemTreeContext, depth: number): FieldNode {
  switch (m.kind) {
    case 'orf_token': {
      const children: FieldNode[] = [
        node(OT.seq, m.seq),
        node(OT.token_seq, m.tokenSeq),
        node(OT.aru, m.aru),
        node(OT.aru_addr, m.aruAddr),
        ringIdTree(m.ringId),
        node(OT.backlog, m.backlog),
        node(OT.fcc, m.fcc),
        node(OT.retrans_flg, m.retransFlg),
        node(OT.rtr_list_entries, m.rtrList.length),
      ];
      if (m.rtrList.length > 0) {
        children.push(
          node(
            OT.rtr_list,
            undefined,
            m.rtrList.map((r) => node(RT[''], undefined, [ringIdTree(r.ringId), node(RT.seq, r.seq)])),
          ),
        );
      }
      return node(OT[''], undefined, children);
    }
    case 'mcast': {
      const children: FieldNode[] = [
        node(MC.system_from, m.systemFrom),
        node(MC.seq, m.seq),
        node(MC.this_seqno, m.thisSeqno),
        ringIdTree(m.ringId),
        node(MC.node_id, m.nodeId),
        node(MC.guarantee, m.guarantee),
        node(MC.payload_length, m.payload.length),
      ];
      if (m.header.encapsulated === ENCAPSULATED) {
        // A recovery copy carries a whole old-ring MCAST: decode it like Wireshark does.
        const inner = depth < MAX_ENCAPSULATION_DEPTH ? decodeTotem(m.payload) : undefined;
        if (inner === undefined || inner instanceof WireError) {
          children.push(node(MC.payload, m.payload, undefined, inner instanceof WireError ? `(encapsulated message: ${inner.toString()})` : undefined));
        } else {
          children.push(messageTree(inner, ctx, depth + 1));
        }
      }
      return node(MC[''], undefined, children);
    }
    case 'memb_merge_detect':
      return node(MD[''], undefined, [node(MD.system_from, m.systemFrom), ringIdTree(m.ringId)]);
    case 'memb_join':
      return node(MJ[''], undefined, [
        node(MJ.system_from, m.systemFrom),
        node(MJ.proc_list_entries, m.procList.length),
        node(MJ.failed_list_entries, m.failedList.length),
        node(MJ.ring_seq, m.ringSeq),
        node(MJ.leave, isLeave(m)),
        node(MJ.proc_list, undefined, nodeidList(m.procList, MJ['proc_list.nodeid'])),
        node(MJ.failed_list, undefined, nodeidList(m.failedList, MJ['failed_list.nodeid'])),
      ]);
    case 'memb_commit_token':
      return node(CT[''], undefined, [
        node(CT.token_seq, m.tokenSeq),
        ringIdTree(m.ringId),
        node(CT.retrans_flg, m.retransFlg),
        node(CT.memb_index, m.membIndex),
        node(CT.addr_entries, m.addr.length),
        node(CT.addr, undefined, nodeidList(m.addr, CT['addr.nodeid'])),
        node(
          CT.memb_list,
          undefined,
          m.membList.map((e) =>
            node(ME[''], undefined, [ringIdTree(e.ringId), node(ME.aru, e.aru), node(ME.high_delivered, e.highDelivered), node(ME.received_flg, e.receivedFlg)]),
          ),
        ),
      ]);
    case 'token_hold_cancel':
      return node(TH[''], undefined, [ringIdTree(m.ringId)]);
  }
}

function messageTree(m: TotemMessage, ctx: TotemTreeContext, depth: number): FieldNode {
  const children: FieldNode[] = [headerTree(m.header, ctx), bodyTree(m, ctx, depth)];
  if (m.trailer.length > 0) children.push(node(T.trailer, m.trailer));
  return node(T[''], undefined, children);
}

/**
 * The full `-V` tree of one message. `target_nodeid` carries the note "(not meaningful on udp/udpu)"
 * on those transports (wire-format.md §2.2).
 */
export function totemTree(m: TotemMessage, ctx: TotemTreeContext): FieldNode[] {
  return [messageTree(m, ctx, 0)];
}

/** Longest list printed in a summary before it is cut short. */
const SUMMARY_LIST_MAX = 16;

function hexList(seqs: readonly number[]): string {
  const shown = seqs.length > SUMMARY_LIST_MAX ? seqs.slice(0, SUMMARY_LIST_MAX) : seqs;
  const more = seqs.length > shown.length ? ` …+${seqs.length - shown.length}` : '';
  return `[${shown.map((s) => s.toString(16)).join(' ')}${more}]`;
}

function idList(ids: readonly number[]): string {
  const shown = ids.length > SUMMARY_LIST_MAX ? ids.slice(0, SUMMARY_LIST_MAX) : ids;
  const more = ids.length > shown.length ? `,…+${ids.length - shown.length}` : '';
  return `[${shown.join(',')}${more}]`;
}

/**
 * The one-line info column: ring ids as corosync prints them (`1.d`), message seqs in hex like
 * corosync's "Retransmit List", nodeids and counters in decimal.
 */
export function totemSummary(m: TotemMessage): string {
  switch (m.kind) {
    case 'orf_token': {
      let s = `ORF_TOKEN ring ${formatRingId(m.ringId)} seq ${m.seq.toString(16)} aru ${m.aru.toString(16)} token_seq ${m.tokenSeq}`;
      if (m.rtrList.length > 0) s += ` rtr ${m.rtrList.length} ${hexList(m.rtrList.map((r) => r.seq))}`;
      return s;
    }
    case 'mcast': {
      const s = `MCAST ring ${formatRingId(m.ringId)} seq ${m.seq.toString(16)} from ${m.systemFrom} len ${m.payload.length}`;
      return m.header.encapsulated === ENCAPSULATED ? `${s} encapsulated` : s;
    }
    case 'memb_merge_detect':
      return `MERGE_DETECT from ${m.systemFrom} ring ${formatRingId(m.ringId)}`;
    case 'memb_join':
      return `${isLeave(m) ? 'LEAVE' : 'JOIN'} from ${m.systemFrom} ring_seq 0x${m.ringSeq.toString(16)} proc ${idList(m.procList)} failed ${idList(m.failedList)}`;
    case 'memb_commit_token':
      return `COMMIT_TOKEN ring ${formatRingId(m.ringId)} idx ${m.membIndex}/${m.addr.length} tseq ${m.tokenSeq} addr ${idList(m.addr)}`;
    case 'token_hold_cancel':
      return `TOKEN_HOLD_CANCEL from ${m.header.nodeid} ring ${formatRingId(m.ringId)}`;
  }
}
