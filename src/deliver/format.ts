/**
 * Output forms of the delivery view (issue 5 item 3): `read --deliver` text lines and
 * `read --deliver --json` objects.
 */
import { toHex } from '../../dissectors/bytes.ts';
import { formatRingId } from '../../dissectors/totemsrp/types.ts';
import type { DeliveredMessage, DeliveryEvent, DeliveryStats } from './types.ts';

export const DEFAULT_PAYLOAD_BYTES = 64;

export interface DeliverJson {
  /** `rep.seq` in hex, as corosync prints ring ids (`1.d`). */
  readonly ring_id: string;
  readonly seq: number;
  /** Sender nodeid. */
  readonly nodeid: number;
  readonly service: string;
  readonly type: string;
  readonly group: string | null;
  readonly pid: number | null;
  /** Body bytes (the CPG application message for CPG mcasts). */
  readonly size: number;
  /** Body as hex, cut to `payloadBytes`. */
  readonly payload: string;
  readonly summary: string;
  readonly time: number;
  readonly frames: { readonly first: number; readonly last: number };
  readonly recovered: boolean;
}

/** The `--deliver --json` object of one delivered message. */
export function deliverJson(m: DeliveredMessage, payloadBytes = DEFAULT_PAYLOAD_BYTES): DeliverJson {
  const n = Math.max(0, Math.min(m.body.length, Math.floor(payloadBytes)));
  return {
    ring_id: formatRingId(m.ringId),
    seq: m.seq,
    nodeid: m.nodeid,
    service: m.service,
    type: m.type,
    group: m.group,
    pid: m.pid,
    size: m.size,
    payload: toHex(m.body, 0, n),
    summary: m.summary,
    time: m.time,
    frames: { first: m.frames.first, last: m.frames.last },
    recovered: m.recovered,
  };
}

/** One text line per delivered message: ring, seq, sender, service, group, size, summary. */
export function deliverLine(m: DeliveredMessage): string {
  const ring = formatRingId(m.ringId).padEnd(6);
  const seq = String(m.seq).padStart(6);
  const node = String(m.nodeid).padStart(4);
  const svc = m.service.padEnd(10);
  const group = (m.group ?? '-').padEnd(12);
  const size = String(m.size).padStart(7);
  return `${ring} ${seq} ${node} ${svc} ${group} ${size}  ${m.summary}${m.recovered ? ' [recovered]' : ''}`;
}

/** JSON for the events that are not messages (gaps, incomplete messages, errors, ring changes); null for messages. */
export function deliveryEventJson(ev: DeliveryEvent): Record<string, unknown> | null {
  switch (ev.kind) {
    case 'message':
      return null;
    case 'gap':
      return { event: 'gap', ring_id: formatRingId(ev.gap.ringId), from_seq: ev.gap.fromSeq, to_seq: ev.gap.toSeq, count: ev.gap.count, reason: ev.gap.reason };
    case 'incomplete': {
      const i = ev.incomplete;
      return {
        event: 'incomplete',
        ring_id: formatRingId(i.ringId),
        nodeid: i.nodeid,
        layer: i.layer,
        reason: i.reason,
        bytes: i.bytes,
        pieces: i.pieces,
        first_seq: i.firstSeq,
        last_seq: i.lastSeq,
        frames: { first: i.frames.first, last: i.frames.last },
        time: i.time,
      };
    }
    case 'error':
      return {
        event: 'error',
        ring_id: formatRingId(ev.error.ringId),
        seq: ev.error.seq,
        nodeid: ev.error.nodeid,
        frame: ev.error.frame,
        layer: ev.error.layer,
        code: ev.error.error.code,
        offset: ev.error.error.offset,
        message: ev.error.error.message,
      };
    case 'ring':
      return { event: 'ring', ring_id: formatRingId(ev.ringId), previous: ev.previous === null ? null : formatRingId(ev.previous), frame: ev.frame, time: ev.time };
  }
}

/** Text line for a non-message event; null for messages (use deliverLine). */
export function deliveryEventLine(ev: DeliveryEvent): string | null {
  switch (ev.kind) {
    case 'message':
      return null;
    case 'gap':
      return ev.gap.reason === 'capture-start'
        ? `-- ring ${formatRingId(ev.gap.ringId)}: capture began after seq ${ev.gap.toSeq} (${ev.gap.count} earlier seqs not captured)`
        : `-- ring ${formatRingId(ev.gap.ringId)}: seq ${ev.gap.fromSeq}${ev.gap.count > 1 ? `..${ev.gap.toSeq}` : ''} missing from the capture (${ev.gap.count} mcast${ev.gap.count > 1 ? 's' : ''} lost)`;
    case 'incomplete': {
      const i = ev.incomplete;
      return `-- ring ${formatRingId(i.ringId)}: incomplete ${i.layer} message from node ${i.nodeid}: ${i.bytes} bytes in ${i.pieces} piece${i.pieces > 1 ? 's' : ''} (seq ${i.firstSeq}..${i.lastSeq}), ${i.reason}`;
    }
    case 'error':
      return `-- ring ${formatRingId(ev.error.ringId)} seq ${ev.error.seq} node ${ev.error.nodeid} frame ${ev.error.frame}: ${ev.error.layer} ${ev.error.error.toString()}`;
    case 'ring':
      return `-- delivery on ring ${formatRingId(ev.ringId)}${ev.previous === null ? '' : ` (after ${formatRingId(ev.previous)})`} from frame ${ev.frame}`;
  }
}

/** One-paragraph summary of the assembler's counters for the end of `read --deliver`. */
export function deliveryStatsLine(s: DeliveryStats): string {
  return (
    `${s.messages} messages delivered from ${s.orderedMcasts} ordered mcasts (${s.mcasts} seen, ${s.duplicates} duplicate copies, ` +
    `${s.recoveryCopies} recovery copies of which ${s.recoveryDuplicates} already seen, ${s.late} late); ` +
    `${s.gaps} gaps (${s.missingSeqs} mcasts missing), ${s.incomplete} incomplete, ${s.errors} errors`
  );
}
