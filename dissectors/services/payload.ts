/**
 * One MCAST payload (encapsulated = 2) as a single frame shows it, for `read -V` / `--json`:
 * the totempg packet, and for each whole packed message its groups and service message. Pieces
 * of split messages are shown as pieces (assembly is the delivery view's job, src/deliver).
 */
import { node, type FieldNode } from '../catalog.ts';
import { WireError } from '../errors.ts';
import { groupTree, parseGroupedMessage, printableName } from '../totempg/group.ts';
import { TOTEMPG_FIELDS } from '../totempg/fields.ts';
import { parseTotempg, pieceKind, totempgSummary, totempgTree } from '../totempg/packet.ts';
import { SERVICE_FIELDS } from './fields.ts';
import { decodePackedMessage, decodeServiceMessage, serviceSummary, serviceTree } from './dispatch.ts';

/** Tree of a complete packed message (groups + service message); errors become `*.error` nodes. */
export function packedMessageTree(b: Uint8Array, le: boolean): FieldNode[] {
  const grouped = parseGroupedMessage(b, le);
  if (grouped instanceof WireError) return [node(TOTEMPG_FIELDS.error, grouped.toString())];
  const out = groupTree(grouped);
  const first = grouped.groups[0];
  const svc = decodeServiceMessage(first === undefined ? '' : printableName(first), grouped.body, le);
  if (svc instanceof WireError) out.push(node(SERVICE_FIELDS.error, svc.rebase(b.length - grouped.body.length).toString()));
  else out.push(...serviceTree(svc, le));
  return out;
}

/** Field tree of a totempg MCAST payload; a totempg error becomes a `totempg.error` node. */
export function totempgPayloadTree(payload: Uint8Array, le: boolean): FieldNode {
  const p = parseTotempg(payload, le);
  if (p instanceof WireError) return node(TOTEMPG_FIELDS[''], undefined, [node(TOTEMPG_FIELDS.error, p.toString())]);
  return totempgTree(p, (i, piece) => (piece === 'whole' ? packedMessageTree(p.messages[i]!, le) : [node(TOTEMPG_FIELDS.data, p.messages[i]!)]));
}

/** One line: `totempg 3 msg: votequorum nodeinfo node 1 ...; sync barrier ring 1.d` (pieces as `[head 1400 B]`). */
export function totempgPayloadSummary(payload: Uint8Array, le: boolean): string {
  const p = parseTotempg(payload, le);
  if (p instanceof WireError) return `totempg ${p.code}`;
  const parts = p.messages.map((m, i) => {
    const piece = pieceKind(p, i);
    if (piece !== 'whole') return `[${piece} ${m.length} B]`;
    const d = decodePackedMessage(m, le);
    if (d instanceof WireError) return `[${d.code}]`;
    return d.service instanceof WireError ? `[${d.service.code}]` : serviceSummary(d.service, le);
  });
  return `${totempgSummary(p)}: ${parts.join('; ')}`;
}
