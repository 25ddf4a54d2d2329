/**
 * Which local address corosync binds to (udp/udpu; with a nodelist the bindnetaddr is the local
 * node's ringX_addr, without one it is `interface { bindnetaddr }`).
 *
 * corosync's rule (3.1.7 and 2.4.6 exec/totemip.c `totemip_iface_check`, same in both): walk
 * getifaddrs() in kernel order (interfaces by index, addresses in the order the kernel keeps them;
 * the same order `ip -j addr` prints), skip other families, and
 *   - an address equal to bindnetaddr wins at once;
 *   - otherwise the FIRST address whose network (address & that interface's netmask) equals
 *     bindnetaddr & the same netmask wins.
 * Nothing else is looked at: not the interface state, not `secondary`, not the label, not IPv6
 * deprecated/tentative flags. With a network-style bindnetaddr (e.g. 192.0.2.0) a floating
 * service address in the same subnet can be picked: under 2.x the nodeid is then generated from
 * that address and the node rejoins as a different node.
 *
 * The safer rule (`rule: 'safe'`): an exact match wins; otherwise, among the matches that are not
 * labelled aliases (`eth0:1`, with `ignoreLabelledAliases`), not on a down interface and not
 * deprecated/tentative IPv6, the first primary one in kernel order, else the first of them; and
 * always warn when several match.
 */

export interface HostAddress {
  readonly ifname: string;
  readonly ifindex: number;
  readonly family: 4 | 6;
  readonly address: string;
  readonly prefixlen: number;
  /** `label` from ip (IPv4 only); an alias looks like `eth0:1`. */
  readonly label?: string;
  readonly secondary: boolean;
  readonly deprecated: boolean;
  readonly tentative: boolean;
  readonly interfaceUp: boolean;
  readonly mtu: number;
}

/** Parses `ip -j addr` (or `ip -j addr show`) JSON into addresses in kernel order. */
export function parseIpAddrJson(text: string): HostAddress[] | Error {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    return new Error(`not JSON from "ip -j addr": ${(e as Error).message}`);
  }
  if (!Array.isArray(data)) return new Error('"ip -j addr" output must be a JSON array');
  const out: HostAddress[] = [];
  for (const link of data as unknown[]) {
    if (typeof link !== 'object' || link === null) continue;
    const l = link as Record<string, unknown>;
    const ifname = typeof l['ifname'] === 'string' ? l['ifname'] : '';
    const ifindex = typeof l['ifindex'] === 'number' ? l['ifindex'] : 0;
    const flags = Array.isArray(l['flags']) ? (l['flags'] as unknown[]).filter((f): f is string => typeof f === 'string') : [];
    const mtu = typeof l['mtu'] === 'number' ? l['mtu'] : 0;
    const infos = Array.isArray(l['addr_info']) ? (l['addr_info'] as unknown[]) : [];
    for (const info of infos) {
      if (typeof info !== 'object' || info === null) continue;
      const a = info as Record<string, unknown>;
      const family = a['family'] === 'inet' ? 4 : a['family'] === 'inet6' ? 6 : undefined;
      const local = a['local'];
      const prefixlen = a['prefixlen'];
      if (family === undefined || typeof local !== 'string' || typeof prefixlen !== 'number') continue;
      out.push({
        ifname,
        ifindex,
        family,
        address: local,
        prefixlen,
        ...(typeof a['label'] === 'string' ? { label: a['label'] } : {}),
        secondary: a['secondary'] === true,
        deprecated: a['deprecated'] === true,
        tentative: a['tentative'] === true,
        interfaceUp: flags.includes('UP'),
        mtu,
      });
    }
  }
  // getifaddrs lists all IPv4 addresses before all IPv6 ones; within a family, ip's order.
  return [...out.filter((a) => a.family === 4), ...out.filter((a) => a.family === 6)];
}

/** Address text → bytes (4 or 16); undefined when not a literal address. */
export function addressBytes(text: string): Uint8Array | undefined {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (v4 !== null) {
    const b = v4.slice(1).map(Number);
    return b.every((x) => x <= 255) ? Uint8Array.from(b) : undefined;
  }
  let s = text.split('%')[0] ?? '';
  if (!s.includes(':')) return undefined;
  // Embedded IPv4 tail (::ffff:1.2.3.4).
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (tail !== null) {
    const b4 = addressBytes(tail[1] ?? '');
    if (b4 === undefined) return undefined;
    s = `${s.slice(0, s.length - (tail[1] ?? '').length)}${(((b4[0] ?? 0) << 8) | (b4[1] ?? 0)).toString(16)}:${(((b4[2] ?? 0) << 8) | (b4[3] ?? 0)).toString(16)}`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] === '' ? [] : (halves[0] ?? '').split(':');
  const rest = halves.length === 2 ? (halves[1] === '' ? [] : (halves[1] ?? '').split(':')) : [];
  const fill = 8 - head.length - rest.length;
  if ((halves.length === 1 && head.length !== 8) || fill < 0) return undefined;
  const groups = [...head, ...Array<string>(halves.length === 2 ? fill : 0).fill('0'), ...rest];
  if (groups.length !== 8 || groups.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    const n = parseInt(g, 16);
    out[2 * i] = n >> 8;
    out[2 * i + 1] = n & 0xff;
  });
  return out;
}

function masked(bytes: Uint8Array, prefixlen: number): string {
  const out = Array.from(bytes, (b, i) => {
    const bits = Math.max(0, Math.min(8, prefixlen - 8 * i));
    return b & ((0xff << (8 - bits)) & 0xff);
  });
  return out.join('.');
}

export function sameAddress(a: string, b: string): boolean {
  const x = addressBytes(a);
  const y = addressBytes(b);
  return x !== undefined && y !== undefined && x.length === y.length && x.every((v, i) => v === y[i]);
}

export type BindRule = 'corosync' | 'safe';

export interface BindMatch {
  readonly address: HostAddress;
  readonly exact: boolean;
}

export interface BindSelection {
  readonly bindnetaddr: string;
  readonly rule: BindRule;
  /** The address the rule picks (undefined: nothing matches; corosync cannot bind). */
  readonly chosen: HostAddress | undefined;
  readonly exact: boolean;
  /** Every address in bindnetaddr's network (under its interface's netmask), kernel order. */
  readonly matches: readonly BindMatch[];
  /** Why this one, in words. */
  readonly reason: string;
}

export interface BindOptions {
  readonly rule?: BindRule;
  /** Safe rule: skip labelled aliases such as eth0:1. Default true. */
  readonly ignoreLabelledAliases?: boolean;
}

function isLabelledAlias(a: HostAddress): boolean {
  return a.label !== undefined && a.label !== a.ifname && a.label.startsWith(`${a.ifname}:`);
}

/** Runs corosync's (or the safer) address selection over the host's addresses. */
export function selectBindAddress(bindnetaddr: string, addrs: readonly HostAddress[], opts: BindOptions = {}): BindSelection {
  const rule = opts.rule ?? 'corosync';
  const bn = addressBytes(bindnetaddr);
  const matches: BindMatch[] = [];
  if (bn !== undefined) {
    for (const a of addrs) {
      const ab = addressBytes(a.address);
      if (ab === undefined || ab.length !== bn.length) continue;
      const exact = ab.every((v, i) => v === bn[i]);
      if (exact || masked(ab, a.prefixlen) === masked(bn, a.prefixlen)) matches.push({ address: a, exact });
    }
  }
  const exactMatch = matches.find((m) => m.exact);
  if (bn === undefined) {
    return { bindnetaddr, rule, chosen: undefined, exact: false, matches, reason: `${bindnetaddr} is not an IP address literal (a host name is resolved by corosync; not evaluated here)` };
  }
  if (exactMatch !== undefined) {
    return { bindnetaddr, rule, chosen: exactMatch.address, exact: true, matches, reason: `${exactMatch.address.address} on ${exactMatch.address.ifname} is exactly bindnetaddr` };
  }
  if (matches.length === 0) {
    return { bindnetaddr, rule, chosen: undefined, exact: false, matches, reason: `no local address is in the network of ${bindnetaddr}` };
  }
  if (rule === 'corosync') {
    const first = matches[0]?.address;
    return { bindnetaddr, rule, chosen: first, exact: false, matches, reason: `first address in kernel order whose network equals ${bindnetaddr}'s under ${first?.ifname ?? ''}'s /${first?.prefixlen ?? 0}` };
  }
  const ignoreAliases = opts.ignoreLabelledAliases ?? true;
  const usable = matches.filter((m) => {
    const a = m.address;
    return a.interfaceUp && !a.deprecated && !a.tentative && !(ignoreAliases && isLabelledAlias(a));
  });
  const pick = (usable.find((m) => !m.address.secondary) ?? usable[0])?.address;
  if (pick === undefined) {
    const first = matches[0]?.address;
    return { bindnetaddr, rule, chosen: first, exact: false, matches, reason: `every match is ${ignoreAliases ? 'a labelled alias, ' : ''}on a down interface or not yet usable; falling back to the first match in kernel order` };
  }
  return { bindnetaddr, rule, chosen: pick, exact: false, matches, reason: `first ${pick.secondary ? '' : 'primary '}address on an up interface${ignoreAliases ? ', not a labelled alias,' : ''} in ${bindnetaddr}'s network (kernel order)` };
}
