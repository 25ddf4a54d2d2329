/**
 * The nodelist as the rest of totemscope needs it: nodeid → name and addresses, address → nodeid.
 * nodeids follow corosync 3.1.7 (exec/totemconfig.c): the nodelist `nodeid`, or for udp/udpu with
 * an IPv4 ring0_addr the address as a big-endian integer (`generate_nodeid`), with the high bit
 * cleared when `clear_node_high_bit: yes` (wire-format.md §6.8).
 */
import type { CorosyncConf, NodeConf } from './model.ts';

export type Transport = 'knet' | 'udp' | 'udpu';

export interface ClusterNode {
  readonly position: number;
  readonly line: number;
  /** undefined when it has none and none can be generated (knet, IPv6, host names). */
  readonly nodeid: number | undefined;
  readonly nodeidOrigin: 'set' | 'generated' | 'missing';
  readonly name: string | undefined;
  /** ringX_addr by link number, as written. */
  readonly addresses: ReadonlyMap<number, string>;
  /** quorum_votes, default 1. */
  readonly quorumVotes: number;
}

/** Dotted-quad IPv4 → 32-bit value; undefined for anything else. */
export function ipv4ToInt(text: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (m === null) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return (((parts[0] ?? 0) << 24) | ((parts[1] ?? 0) << 16) | ((parts[2] ?? 0) << 8) | (parts[3] ?? 0)) >>> 0;
}

/** corosync `generate_nodeid`: IPv4 address as a host-order integer; undefined when not IPv4. */
export function generateNodeid(ring0: string, clearHighBit: boolean): number | undefined {
  const v = ipv4ToInt(ring0);
  if (v === undefined) return undefined;
  return clearHighBit ? v & 0x7fffffff : v;
}

export function clusterNodes(conf: CorosyncConf, transport: Transport): ClusterNode[] {
  const clearHighBit = conf.totem.str.clear_node_high_bit?.value === 'yes';
  return conf.nodes.map((n: NodeConf) => {
    const explicit = n.nodeid?.value;
    let nodeid: number | undefined = explicit !== undefined && explicit !== 0 ? explicit : undefined;
    let origin: ClusterNode['nodeidOrigin'] = nodeid !== undefined ? 'set' : 'missing';
    const ring0 = n.rings.get(0)?.value;
    if (nodeid === undefined && transport !== 'knet' && ring0 !== undefined) {
      const g = generateNodeid(ring0, clearHighBit);
      if (g !== undefined) {
        nodeid = g;
        origin = 'generated';
      }
    }
    return {
      position: n.position,
      line: n.line,
      nodeid,
      nodeidOrigin: origin,
      name: n.name?.value,
      addresses: new Map([...n.rings].map(([l, s]) => [l, s.value])),
      quorumVotes: n.quorumVotes?.value ?? 1,
    };
  });
}

/** Lookups over the nodelist. */
export class NodeDirectory {
  private readonly byNodeid = new Map<number, ClusterNode>();
  private readonly byAddr = new Map<string, ClusterNode>();

  constructor(readonly nodes: readonly ClusterNode[]) {
    for (const n of nodes) {
      if (n.nodeid !== undefined && !this.byNodeid.has(n.nodeid)) this.byNodeid.set(n.nodeid, n);
      for (const a of n.addresses.values()) if (!this.byAddr.has(a.toLowerCase())) this.byAddr.set(a.toLowerCase(), n);
    }
  }

  static fromConf(conf: CorosyncConf, transport: Transport): NodeDirectory {
    return new NodeDirectory(clusterNodes(conf, transport));
  }

  node(nodeid: number): ClusterNode | undefined {
    return this.byNodeid.get(nodeid);
  }

  /** `name`, else ring0_addr, else "node <id>". */
  nameOf(nodeid: number): string {
    const n = this.byNodeid.get(nodeid);
    return n?.name ?? n?.addresses.get(0) ?? `node ${nodeid}`;
  }

  /** ringX_addr by link. Empty when the node is unknown. */
  addressesOf(nodeid: number): ReadonlyMap<number, string> {
    return this.byNodeid.get(nodeid)?.addresses ?? new Map();
  }

  /** The node that has this ring address (any link). */
  nodeByAddress(address: string): ClusterNode | undefined {
    return this.byAddr.get(address.toLowerCase());
  }

  get nodeids(): number[] {
    return [...this.byNodeid.keys()].sort((a, b) => a - b);
  }
}
