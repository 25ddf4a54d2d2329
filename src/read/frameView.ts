/** One frame as the user sees it: the summary line and the full field tree. */
import { node, type FieldNode } from '../../dissectors/catalog.ts';
import { knetSummary, knetTree } from '../../dissectors/knet/index.ts';
import { netTree } from '../../dissectors/net.ts';
import { totempgPayloadTree } from '../../dissectors/services/payload.ts';
import { NOT_ENCAPSULATED } from '../../dissectors/totemsrp/types.ts';
import { totemSummary, totemTree } from '../../dissectors/totemsrp/index.ts';
import { ERROR_FIELDS, PIPELINE_FIELDS } from '../decode/fields.ts';
import type { DecodedFrame } from '../decode/types.ts';

/** Frame, link, IP, UDP, then totemscope's own fields, then the Totem message. */
export function frameTree(f: DecodedFrame): FieldNode[] {
  const out: FieldNode[] =
    f.record !== undefined ? netTree(f.record, f.udp !== undefined ? { kind: 'udp', datagram: f.udp } : undefined) : [];
  if (f.transport !== undefined) out.push(node(PIPELINE_FIELDS.transport, f.transport));
  out.push(node(PIPELINE_FIELDS.status, f.status));
  if (f.ignoredReason !== undefined) out.push(node(PIPELINE_FIELDS.ignored_reason, f.ignoredReason));
  if (f.error !== undefined) {
    out.push(node(ERROR_FIELDS.code, f.error.code), node(ERROR_FIELDS.offset, f.error.offset), node(ERROR_FIELDS.message, f.error.message));
  }
  if (f.knet !== undefined) out.push(...knetTree(f.knet));
  if (f.totem !== undefined) {
    out.push(...totemTree(f.totem, { transport: f.transport ?? 'unknown' }));
    // The totempg layer inside an ordinary MCAST (a recovery copy wraps a whole old-ring MCAST instead).
    if (f.totem.kind === 'mcast' && f.totem.header.encapsulated === NOT_ENCAPSULATED) {
      out.push(totempgPayloadTree(f.totem.payload, f.totem.header.littleEndian));
    }
  }
  return out;
}

function relTime(f: DecodedFrame, first: { sec: number; nsec: number } | undefined): string {
  if (first === undefined) return '0.000000';
  const ns = (f.tsSec - first.sec) * 1e9 + (f.tsNsec - first.nsec);
  return (ns / 1e9).toFixed(6);
}

function info(f: DecodedFrame): string {
  switch (f.status) {
    case 'totem':
      return f.totem !== undefined ? totemSummary(f.totem) : '';
    case 'knet-control':
    case 'fragment':
    case 'duplicate':
      if (f.knet !== undefined) return knetSummary(f.knet);
      break;
    case 'error':
      return `[Malformed: ${f.error?.code ?? '?'} at byte ${f.error?.offset ?? '?'}] ${f.error?.message ?? ''}`;
  }
  switch (f.status) {
    case 'fragment':
      return '[IP fragment, held for reassembly]';
    case 'ignored':
      return `[not corosync: ${f.ignoredReason ?? ''}]`;
    case 'duplicate':
      return '[duplicate]';
    default:
      return '';
  }
}

/** `   12   0.001234 192.0.2.1:5405 → 192.0.2.2:5405 udpu  ORF_TOKEN ring 1.d ...` */
export function frameSummary(f: DecodedFrame, first: { sec: number; nsec: number } | undefined): string {
  const e = f.endpoints;
  const route = e === undefined ? '' : `${e.src}:${e.srcPort} → ${e.dst}:${e.dstPort}`;
  return `${String(f.number).padStart(6)} ${relTime(f, first).padStart(11)} ${route.padEnd(44)} ${(f.transport ?? '').padEnd(5)} ${info(f)}`;
}
