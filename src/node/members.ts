/** Nodelist lookups the transports share. */
import type { NodeDirectory } from '../config/index.ts';

/**
 * Nodelist members with a link-0 address, highest nodeid first: the lowest (the next ring's likely
 * representative) gets each multicast last. For the leave message this keeps the rep in GATHER
 * until every other member has it: the rep can only reach COMMIT after JOINs from all of them, and
 * COMMIT ignores a late leave.
 */
export function membersForMulticast(nodes: NodeDirectory): { nodeid: number; addr: string }[] {
  const out: { nodeid: number; addr: string }[] = [];
  for (const id of [...nodes.nodeids].reverse()) {
    const a = nodes.addressesOf(id).get(0);
    if (a !== undefined) out.push({ nodeid: id, addr: a });
  }
  return out;
}

export function ring0Address(nodeid: number, nodes: NodeDirectory): string {
  const a = nodes.node(nodeid)?.addresses.get(0);
  if (a === undefined) throw new Error(`nodeid ${nodeid} has no ring0_addr in the nodelist`);
  return a;
}
