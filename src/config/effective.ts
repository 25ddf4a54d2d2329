/**
 * Effective totem values, computed the way corosync computes them at startup:
 * 3.1.7 exec/totemconfig.c `totem_config_read` → `totem_volatile_config_read` →
 * `calc_knet_ping_timers` → `totem_config_validate` (netmtu default), and 2.4.6 for `corosyncVersion: 2`
 * (wire-format.md §6.9). Each value carries its origin: `set` (from the file), `derived` (a formula
 * of other values) or `default` (a constant).
 *
 * C details kept on purpose: a timer set to 0 means "use the default" (except token_warning,
 * send_join, heartbeat_failures_allowed, knet_compression_*), consensus is `(int)(float)(1.2·token)`,
 * hold subtracts 1000/HZ with HZ = 100, knet link priority 0 becomes 1, knet ping timers use integer
 * division of the effective token, and the token coefficient counts nodes that have a ring0_addr.
 */
import type { CorosyncConf, CorosyncVersion, InterfaceConf, Setting } from './model.ts';
import { clusterNodes, type ClusterNode, type Transport } from './nodes.ts';

export type Origin = 'set' | 'derived' | 'default';

export interface EffectiveValue {
  /** corosync's name, e.g. `token`, `interface.1.knet_ping_timeout`. */
  readonly name: string;
  readonly value: number | string;
  readonly origin: Origin;
  /** Line of the setting (origin `set`) or of the value it derives from. */
  readonly line?: number;
  /** How it was obtained, e.g. "token 3000 + (5 − 2) × token_coefficient 650". */
  readonly why: string;
  /** Where corosync publishes it: `runtime.config.totem.*` or `totem.*` (undefined: nowhere in cmap). */
  readonly cmapKey?: string;
  readonly unit?: 'ms' | 's' | 'bytes' | '%' | 'messages' | 'rotations';
}

export interface EffectiveLink {
  readonly linknumber: number;
  readonly port: number;
  readonly knetLinkPriority: number;
  readonly knetPingInterval: number;
  readonly knetPingTimeout: number;
  readonly knetPingPrecision: number;
  readonly knetPongCount: number;
  readonly knetTransport: 'udp' | 'sctp';
  /** udp only (multicast group, or 255.255.255.255 with broadcast). */
  readonly mcastaddr?: string;
  readonly ttl: number;
  readonly bindnetaddr?: string;
}

/**
 * The plain object the engine and the analysis consume: every timer in milliseconds, constants
 * as counts. Values are exactly what corosync uses (compare with `corosync-cmapctl runtime.config.totem`).
 */
export interface EffectiveTotem {
  readonly corosyncVersion: CorosyncVersion;
  readonly transport: Transport;
  /** Effective token timeout: token + (nodes − 2) · token_coefficient when nodes > 2. */
  readonly token: number;
  /** token as configured (or its default), before the coefficient. */
  readonly baseToken: number;
  readonly tokenCoefficient: number;
  /** Nodes with a ring0_addr (what the coefficient counts). */
  readonly nodeCount: number;
  readonly tokenRetransmitsBeforeLossConst: number;
  readonly tokenRetransmit: number;
  readonly hold: number;
  /** Percent of token; 0 = warnings off. Always 0 for 2.x (no such option). */
  readonly tokenWarningPercent: number;
  /** token_warning · token / 100 (corosync logs "Token warning every N ms"). */
  readonly tokenWarningMs: number;
  readonly join: number;
  readonly sendJoin: number;
  readonly consensus: number;
  readonly merge: number;
  readonly downcheck: number;
  readonly failRecvConst: number;
  readonly seqnoUnchangedConst: number;
  readonly windowSize: number;
  readonly maxMessages: number;
  readonly missCountConst: number;
  readonly maxNetworkDelay: number;
  readonly heartbeatFailuresAllowed: number;
  /** Maximum totem packet size corosync uses (netmtu; default 1500 udp/udpu, 65536 knet). */
  readonly netmtu: number;
  readonly knetPmtudInterval: number;
  readonly knetMtu: number;
  readonly knetCompressionModel: string;
  readonly knetCompressionThreshold: number;
  readonly knetCompressionLevel: number;
  readonly blockUnlistedIps: boolean;
  readonly cancelTokenHoldOnRetransmit: boolean;
  readonly linkMode: string;
  readonly ipVersion: string;
  readonly crypto: { readonly model: string; readonly cipher: string; readonly hash: string };
  readonly links: readonly EffectiveLink[];
  readonly clusterName: string | undefined;
}

export interface EffectiveConfig {
  readonly totem: EffectiveTotem;
  /** The table: every value with origin and explanation, in display order. */
  readonly values: readonly EffectiveValue[];
  readonly nodes: readonly ClusterNode[];
  /** Position of the local node when it could be determined. */
  readonly localNodePosition: number | undefined;
  /** Notes on assumptions (e.g. local node unknown: links taken from all nodes). */
  readonly notes: readonly string[];
}

export interface EffectiveOptions {
  /** This host's name (uname nodename) to find the local node in the nodelist. */
  readonly hostname?: string;
  /** This host's addresses (text form) to find the local node. */
  readonly localAddresses?: readonly string[];
  /** Force the local node (nodelist position). */
  readonly localNodePosition?: number;
}

const HZ = 100;
/** MINIMUM_TIMEOUT = 3 · (1000/HZ). */
export const MINIMUM_TIMEOUT = 3 * (1000 / HZ);
/** MINIMUM_TIMEOUT_HOLD = (int)(MINIMUM_TIMEOUT · 0.8 − 1000/HZ) (3.x; 2.x uses MINIMUM_TIMEOUT). */
export const MINIMUM_TIMEOUT_HOLD = Math.trunc(MINIMUM_TIMEOUT * 0.8 - 1000 / HZ);
export const KNET_MAX_PACKET_SIZE = 65536;
export const UDP_NETMTU = 1500;
export const DEFAULT_PORT = 5405;
/** KNET_MAX_HOST (libknet.h): knet nodeids are < 65536. */
export const KNET_MAX_HOST = 65536;

interface Defaults {
  readonly token: number;
  readonly transport: Transport;
}
const DEFAULTS: Readonly<Record<CorosyncVersion, Defaults>> = {
  3: { token: 3000, transport: 'knet' },
  2: { token: 1000, transport: 'udp' },
};

const u32 = (n: number): number => n >>> 0;
/** C `(int)` of a double (truncation), stored into a uint32. */
const cInt = (x: number): number => u32(Math.trunc(x));

export function transportOf(conf: CorosyncConf): Transport | undefined {
  const t = conf.totem.str.transport?.value;
  if (t === undefined) return DEFAULTS[conf.corosyncVersion].transport;
  if (conf.corosyncVersion === 2) return t === 'udpu' ? 'udpu' : t === 'udp' ? 'udp' : undefined;
  return t === 'knet' || t === 'udp' || t === 'udpu' ? t : undefined;
}

/** corosync `generate_cluster_id` + `get_cluster_mcast_addr` (note `% 0xFF`, not `& 0xFF`). */
export function clusterMcastAddr(clusterName: string, linknumber: number, ipv6: boolean): string {
  let value = 0;
  for (const byte of Buffer.from(clusterName, 'utf8')) {
    value = ((value << 1) + (byte > 127 ? byte - 256 : byte)) | 0;
  }
  const id = ((value & 0xffff) + linknumber) & 0xffff;
  return ipv6 ? `ff15::${id.toString(16)}` : `239.192.${id >> 8}.${id % 0xff}`;
}

/** corosync 3.1.7 `find_local_node` steps 1–4 without DNS: hostname, shortened hostname, address text. */
export function findLocalNode(conf: CorosyncConf, hostname: string | undefined, addresses: readonly string[] = []): number | undefined {
  // icmap iterates keys in string order: nodelist.node.10.* comes before nodelist.node.2.*.
  const keys: { pos: number; value: string }[] = [];
  for (const n of [...conf.nodes].sort((a, b) => String(a.position).localeCompare(String(b.position)))) {
    if (n.name !== undefined) keys.push({ pos: n.position, value: n.name.value });
    const r0 = n.rings.get(0);
    if (r0 !== undefined) keys.push({ pos: n.position, value: r0.value });
  }
  const byName = (find: string, stripDomain: boolean): number | undefined => {
    for (const k of keys) {
      const v = stripDomain && k.value.includes('.') ? k.value.slice(0, k.value.indexOf('.')) : k.value;
      if (v === find) return k.pos;
    }
    return undefined;
  };
  if (hostname !== undefined && hostname !== '') {
    const exact = byName(hostname, false);
    if (exact !== undefined) return exact;
    let h = hostname;
    while (h.includes('.')) {
      h = h.slice(0, h.lastIndexOf('.'));
      const p = byName(h, false);
      if (p !== undefined) return p;
    }
    const stripped = byName(h, true);
    if (stripped !== undefined) return stripped;
  }
  for (const a of addresses) {
    const p = byName(a, false);
    if (p !== undefined) return p;
  }
  return undefined;
}

class Table {
  readonly values: EffectiveValue[] = [];
  add(v: EffectiveValue): number {
    this.values.push(v);
    return typeof v.value === 'number' ? v.value : 0;
  }
}

function lineOf(s: Setting<unknown> | undefined): { line?: number } {
  return s !== undefined ? { line: s.line } : {};
}

/** Computes every effective totem value for the config. */
export function computeEffective(conf: CorosyncConf, opts: EffectiveOptions = {}): EffectiveConfig {
  const v = conf.corosyncVersion;
  const d = DEFAULTS[v];
  const notes: string[] = [];
  const transport = transportOf(conf) ?? d.transport;
  const t = new Table();
  const T = conf.totem.u32;
  const S = conf.totem.str;
  const runtime = (name: string): string => `runtime.config.totem.${name}`;
  const nodes = clusterNodes(conf, transport);

  /** A uint32 timer: set (non-zero unless zero is allowed) or default. */
  const timer = (name: keyof typeof T & string, def: number, defWhy: string, allowZero = false, unit: EffectiveValue['unit'] = 'ms', defOrigin: Origin = 'default', defLine?: number): number => {
    const s = T[name];
    if (s !== undefined && (allowZero || s.value !== 0)) {
      return t.add({ name, value: s.value, origin: 'set', line: s.line, why: `set to ${s.value}`, cmapKey: runtime(name), unit });
    }
    const zeroNote = s !== undefined ? ` (${name}: 0 means default)` : '';
    return t.add({ name, value: def, origin: defOrigin, ...(defLine !== undefined ? { line: defLine } : {}), why: `${defWhy}${zeroNote}`, cmapKey: runtime(name), unit });
  };

  // Nodelist presence (3.x: node 0 has name or ring0_addr; 2.x: node 0 has ring0_addr).
  const node0 = conf.nodes.find((n) => n.position === 0);
  const hasNodelist = node0 !== undefined && (node0.rings.has(0) || (v === 3 && node0.name !== undefined));
  let localPos = opts.localNodePosition;
  if (localPos === undefined && hasNodelist) {
    localPos = findLocalNode(conf, opts.hostname, opts.localAddresses);
    if (localPos === undefined && (opts.hostname !== undefined || (opts.localAddresses?.length ?? 0) > 0)) {
      notes.push('The local node is not in the nodelist (by host name or address): corosync would refuse to start ("No valid name found for local host").');
    }
  }
  const localNode = localPos !== undefined ? conf.nodes.find((n) => n.position === localPos) : undefined;

  // Link 0 member count: nodes with ring0_addr (nodelist), else deprecated interface members.
  const iface0 = conf.interfaces.find((i) => i.linknumber === 0);
  const nodeCount = hasNodelist ? conf.nodes.filter((n) => n.rings.has(0)).length : (iface0?.members.length ?? 0);

  // Configured links.
  const linkSet = new Set<number>();
  for (const i of conf.interfaces) {
    if (i.linknumber >= 8) continue;
    if ((transport === 'udp' || v === 2) && i.bindnetaddr === undefined) continue;
    linkSet.add(i.linknumber);
  }
  if (hasNodelist) {
    if (localNode !== undefined) for (const l of localNode.rings.keys()) linkSet.add(l);
    else {
      for (const n of conf.nodes) for (const l of n.rings.keys()) linkSet.add(l);
      if (conf.nodes.length > 0) notes.push('Local node not determined (no --addrs/--live match): links are taken from every node in the nodelist.');
    }
  }
  const links = [...linkSet].filter((l) => l < 8).sort((a, b) => a - b);

  // --- totem_volatile_config_read, in corosync's order ---
  const retrans = timer('token_retransmits_before_loss_const', 4, 'default 4', false, 'messages');
  const tokenSet = T.token !== undefined && T.token.value !== 0;
  const baseToken = tokenSet ? (T.token?.value ?? d.token) : d.token;
  t.add({ name: 'token', value: baseToken, origin: tokenSet ? 'set' : 'default', ...lineOf(T.token), why: tokenSet ? `set to ${baseToken}` : `default ${d.token}${T.token !== undefined ? ' (token: 0 means default)' : ''}`, ...(tokenSet ? { cmapKey: 'totem.token' } : {}), unit: 'ms' });
  const tokenLine = T.token?.line;
  let tokenWarning = 0;
  if (v === 3) tokenWarning = timer('token_warning', 75, 'default 75', true, '%');
  let token = baseToken;
  let coefficient = T.token_coefficient?.value ?? 650;
  if (nodeCount > 2 && (v === 3 || links.length > 0)) {
    token = u32(baseToken + (nodeCount - 2) * coefficient);
    t.add({
      name: 'token (effective)',
      value: token,
      origin: 'derived',
      ...(tokenLine !== undefined ? { line: tokenLine } : {}),
      why: `token ${baseToken} + (${nodeCount} − 2) × token_coefficient ${coefficient}`,
      cmapKey: runtime('token'),
      unit: 'ms',
    });
  } else {
    coefficient = T.token_coefficient?.value ?? 650;
    t.values.push({ name: 'token (effective)', value: token, origin: T.token !== undefined && T.token.value !== 0 ? 'set' : 'default', ...(tokenLine !== undefined ? { line: tokenLine } : {}), why: `${nodeCount} node(s) with ring0_addr: token_coefficient not applied (needs > 2)`, cmapKey: runtime('token'), unit: 'ms' });
  }
  t.add({ name: 'token_coefficient', value: coefficient, origin: T.token_coefficient !== undefined ? 'set' : 'default', ...lineOf(T.token_coefficient), why: T.token_coefficient !== undefined ? `set to ${coefficient}` : 'default 650', ...(T.token_coefficient !== undefined ? { cmapKey: 'totem.token_coefficient' } : {}), unit: 'ms' });
  const maxNetworkDelay = timer('max_network_delay', 50, 'default 50');
  const windowSize = timer('window_size', 50, 'default 50', false, 'messages');
  const maxMessages = timer('max_messages', 17, 'default 17', false, 'messages');
  const missCountConst = timer('miss_count_const', 5, 'default 5', false, 'messages');
  let knetPmtudInterval = 0;
  let knetMtu = 0;
  if (v === 3) {
    knetPmtudInterval = timer('knet_pmtud_interval', 30, 'default 30', false, 's');
    knetMtu = timer('knet_mtu', 0, 'default 0 (PMTUd)', false, 'bytes');
  }
  const tokenRetransmit = timer('token_retransmit', cInt(token / (retrans + 0.2)), `token ${token} / (token_retransmits_before_loss_const ${retrans} + 0.2)`, false, 'ms', 'derived', tokenLine);
  const hold = timer('hold', cInt(tokenRetransmit * 0.8 - 1000 / HZ), `token_retransmit ${tokenRetransmit} × 0.8 − 1000/HZ (10)`, false, 'ms', 'derived', T.token_retransmit?.line ?? tokenLine);
  const join = timer('join', 50, 'default 50');
  const consensus = timer('consensus', cInt(Math.fround(1.2 * token)), `1.2 × token ${token}`, false, 'ms', 'derived', tokenLine);
  const merge = timer('merge', 200, 'default 200');
  const downcheck = timer('downcheck', 1000, 'default 1000');
  const failRecvConst = timer('fail_recv_const', 2500, 'default 2500', false, 'rotations');
  const seqnoUnchangedConst = timer('seqno_unchanged_const', 30, 'default 30', false, 'rotations');
  const sendJoin = timer('send_join', 0, 'default 0', true);
  const heartbeatFailuresAllowed = timer('heartbeat_failures_allowed', 0, 'default 0 (off)', true, 'messages');
  let knetCompressionThreshold = 0;
  let knetCompressionLevel = 0;
  let knetCompressionModel = 'none';
  if (v === 2) {
    timer('rrp_problem_count_timeout', 2000, 'default 2000');
    const threshold = timer('rrp_problem_count_threshold', 10, 'default 10', false, 'messages');
    timer('rrp_problem_count_mcast_threshold', threshold * 10, `10 × rrp_problem_count_threshold ${threshold}`, false, 'messages', 'derived', T.rrp_problem_count_threshold?.line);
    timer('rrp_token_expired_timeout', tokenRetransmit, `token_retransmit ${tokenRetransmit}`, false, 'ms', 'derived');
    timer('rrp_autorecovery_check_timeout', 1000, 'default 1000');
  } else {
    knetCompressionThreshold = timer('knet_compression_threshold', 0, 'default 0 (knet then uses 100)', true, 'bytes');
    const lvl = conf.totem.knetCompressionLevel;
    knetCompressionLevel = t.add({ name: 'knet_compression_level', value: lvl?.value ?? 0, origin: lvl !== undefined ? 'set' : 'default', ...lineOf(lvl), why: lvl !== undefined ? `set to ${lvl.value}` : 'default 0', cmapKey: runtime('knet_compression_level') });
    const model = S.knet_compression_model;
    knetCompressionModel = model?.value ?? 'none';
    t.add({ name: 'knet_compression_model', value: knetCompressionModel, origin: model !== undefined ? 'set' : 'default', ...lineOf(model), why: model !== undefined ? `set to ${model.value}` : 'default none', cmapKey: runtime('knet_compression_model') });
  }
  const yesNo = (name: 'block_unlisted_ips' | 'cancel_token_hold_on_retransmit', def: boolean): boolean => {
    const s = S[name];
    const val = s?.value === 'yes' ? true : s?.value === 'no' ? false : def;
    const origin: Origin = s?.value === 'yes' || s?.value === 'no' ? 'set' : 'default';
    t.add({ name, value: val ? 1 : 0, origin, ...lineOf(s), why: origin === 'set' ? `set to ${s?.value ?? ''}` : `default ${def ? 'yes' : 'no'}${s !== undefined ? ` ("${s.value}" is neither yes nor no)` : ''}`, cmapKey: runtime(name) });
    return val;
  };
  const blockUnlistedIps = yesNo('block_unlisted_ips', true);
  const cancelTokenHoldOnRetransmit = yesNo('cancel_token_hold_on_retransmit', false);

  const tokenWarningMs = Math.floor(u32(tokenWarning * token) / 100);
  if (v === 3) t.add({ name: 'token_warning (ms)', value: tokenWarningMs, origin: 'derived', ...lineOf(T.token_warning), why: tokenWarning === 0 ? 'token warnings disabled' : `token_warning ${tokenWarning}% × token ${token} / 100`, unit: 'ms' });

  // --- transport, mtu, crypto ---
  t.add({ name: 'transport', value: transport, origin: S.transport !== undefined ? 'set' : 'default', ...lineOf(S.transport), why: S.transport !== undefined ? `set to ${S.transport.value}` : `default ${d.transport}`, ...(S.transport !== undefined ? { cmapKey: 'totem.transport' } : {}) });
  const netmtuSet = T.netmtu !== undefined && T.netmtu.value !== 0;
  const netmtuDefault = v === 3 && transport === 'knet' ? KNET_MAX_PACKET_SIZE : UDP_NETMTU;
  const netmtu = t.add({ name: 'netmtu', value: netmtuSet ? (T.netmtu?.value ?? 0) : netmtuDefault, origin: netmtuSet ? 'set' : 'default', ...lineOf(T.netmtu), why: netmtuSet ? `set to ${T.netmtu?.value ?? 0}` : `default for ${transport}${v === 3 && transport === 'knet' ? ' (KNET_MAX_PACKET_SIZE)' : ''}`, ...(netmtuSet ? { cmapKey: 'totem.netmtu' } : {}), unit: 'bytes' });
  let linkMode = 'passive';
  if (v === 3) {
    linkMode = S.link_mode?.value ?? 'passive';
    t.add({ name: 'link_mode', value: linkMode, origin: S.link_mode !== undefined ? 'set' : 'default', ...lineOf(S.link_mode), why: S.link_mode !== undefined ? `set to ${linkMode}` : 'default passive' });
  } else {
    linkMode = S.rrp_mode?.value ?? 'none';
    t.add({ name: 'rrp_mode', value: linkMode, origin: S.rrp_mode !== undefined ? 'set' : 'default', ...lineOf(S.rrp_mode), why: S.rrp_mode !== undefined ? `set to ${linkMode}` : 'default none' });
  }
  const ipVersionDefault = v === 2 ? 'ipv4' : transport === 'udp' ? 'ipv4' : 'ipv6-4';
  const ipVersion = S.ip_version?.value ?? ipVersionDefault;
  t.add({ name: 'ip_version', value: ipVersion, origin: S.ip_version !== undefined ? 'set' : 'default', ...lineOf(S.ip_version), why: S.ip_version !== undefined ? `set to ${ipVersion}` : `default for ${transport}` });

  const crypto = cryptoOf(conf, t);

  // --- links ---
  const broadcastUse = conf.interfaces.some((i) => i.broadcast?.value === 'yes');
  const clusterName = S.cluster_name?.value;
  const effLinks: EffectiveLink[] = [];
  for (const l of links) {
    const i: InterfaceConf | undefined = conf.interfaces.find((x) => x.linknumber === l);
    const p = `interface.${l}.`;
    const portSet = i?.mcastport;
    const defPort = broadcastUse ? DEFAULT_PORT + 2 * l : v === 3 ? DEFAULT_PORT + l : DEFAULT_PORT;
    const port = t.add({ name: `${p}port`, value: portSet?.value ?? defPort, origin: portSet !== undefined ? 'set' : 'default', ...lineOf(portSet), why: portSet !== undefined ? `mcastport ${portSet.value}` : broadcastUse ? `5405 + 2 × link ${l} (broadcast)` : v === 3 ? `5405 + link ${l}` : 'default 5405', ...(portSet !== undefined || (transport === 'udp' && v === 3) || v === 2 ? { cmapKey: `totem.interface.${l}.mcastport` } : {}) });
    const knet = transport === 'knet';
    const knetOnly = (row: EffectiveValue): number => (knet ? t.add(row) : typeof row.value === 'number' ? row.value : 0);
    const pr = i?.knet_link_priority;
    const priority = knetOnly({ name: `${p}knet_link_priority`, value: pr !== undefined && pr.value !== 0 ? pr.value : 1, origin: pr !== undefined && pr.value !== 0 ? 'set' : 'default', ...lineOf(pr), why: pr !== undefined ? (pr.value !== 0 ? `set to ${pr.value}` : '0 becomes 1 (configure_link_params)') : 'default 1', ...(pr !== undefined && pr.value !== 0 ? { cmapKey: `totem.interface.${l}.knet_link_priority` } : {}) });
    const pc = i?.knet_pong_count;
    const pong = knetOnly({ name: `${p}knet_pong_count`, value: pc !== undefined && pc.value !== 0 ? pc.value : 2, origin: pc !== undefined && pc.value !== 0 ? 'set' : 'default', ...lineOf(pc), why: pc !== undefined && pc.value !== 0 ? `set to ${pc.value}` : 'default 2', ...(pc !== undefined && pc.value !== 0 ? { cmapKey: `totem.interface.${l}.knet_pong_count` } : {}) });
    const pt = i?.knet_ping_timeout;
    const v3only = (row: EffectiveValue): number => (v === 3 ? t.add(row) : typeof row.value === 'number' ? row.value : 0);
    const pingTimeout = v3only({ name: `${p}knet_ping_timeout`, value: pt !== undefined && pt.value !== 0 ? pt.value : Math.floor(token / pong), origin: pt !== undefined && pt.value !== 0 ? 'set' : 'derived', ...(pt !== undefined ? lineOf(pt) : tokenLine !== undefined ? { line: tokenLine } : {}), why: pt !== undefined && pt.value !== 0 ? `set to ${pt.value}` : `token ${token} / knet_pong_count ${pong}`, cmapKey: `runtime.config.totem.interface.${l}.knet_ping_timeout`, unit: 'ms' });
    const pi = i?.knet_ping_interval;
    const pingInterval = v3only({ name: `${p}knet_ping_interval`, value: pi !== undefined && pi.value !== 0 ? pi.value : Math.floor(token / (pong * 2)), origin: pi !== undefined && pi.value !== 0 ? 'set' : 'derived', ...(pi !== undefined ? lineOf(pi) : tokenLine !== undefined ? { line: tokenLine } : {}), why: pi !== undefined && pi.value !== 0 ? `set to ${pi.value}` : `token ${token} / (2 × knet_pong_count ${pong})`, cmapKey: `runtime.config.totem.interface.${l}.knet_ping_interval`, unit: 'ms' });
    const pp = i?.knet_ping_precision;
    const precision = knetOnly({ name: `${p}knet_ping_precision`, value: pp !== undefined && pp.value !== 0 ? pp.value : 2048, origin: pp !== undefined && pp.value !== 0 ? 'set' : 'default', ...lineOf(pp), why: pp !== undefined && pp.value !== 0 ? `set to ${pp.value}` : 'default 2048 samples', ...(pp !== undefined && pp.value !== 0 ? { cmapKey: `totem.interface.${l}.knet_ping_precision` } : {}) });
    const kt = i?.knet_transport?.value === 'sctp' ? 'sctp' : 'udp';
    const ttl = i?.ttl?.value ?? 1;
    let mcastaddr: string | undefined;
    if (transport === 'udp' || v === 2) {
      if (broadcastUse && l === 0) mcastaddr = '255.255.255.255';
      else if (i?.mcastaddr !== undefined) mcastaddr = i.mcastaddr.value;
      else if (clusterName !== undefined) {
        const bind0 = conf.interfaces.find((x) => x.linknumber === 0)?.bindnetaddr?.value ?? localNode?.rings.get(0)?.value ?? '';
        const v6 = v === 3 ? bind0.includes(':') : ipVersion === 'ipv6';
        mcastaddr = clusterMcastAddr(clusterName, l, v6);
      }
      if (mcastaddr !== undefined) {
        t.add({ name: `${p}mcastaddr`, value: mcastaddr, origin: i?.mcastaddr !== undefined ? 'set' : 'derived', ...lineOf(i?.mcastaddr ?? S.cluster_name), why: broadcastUse && l === 0 ? 'broadcast: yes' : i?.mcastaddr !== undefined ? `set to ${mcastaddr}` : `generated from cluster_name "${clusterName ?? ''}"`, cmapKey: `totem.interface.${l}.mcastaddr` });
      }
    }
    const bindnet = localNode?.rings.get(l)?.value ?? i?.bindnetaddr?.value;
    effLinks.push({
      linknumber: l,
      port,
      knetLinkPriority: priority,
      knetPingInterval: pingInterval,
      knetPingTimeout: pingTimeout,
      knetPingPrecision: precision,
      knetPongCount: pong,
      knetTransport: kt,
      ttl,
      ...(mcastaddr !== undefined ? { mcastaddr } : {}),
      ...(bindnet !== undefined ? { bindnetaddr: bindnet } : {}),
    });
  }

  const totem: EffectiveTotem = {
    corosyncVersion: v,
    transport,
    token,
    baseToken,
    tokenCoefficient: coefficient,
    nodeCount,
    tokenRetransmitsBeforeLossConst: retrans,
    tokenRetransmit,
    hold,
    tokenWarningPercent: tokenWarning,
    tokenWarningMs,
    join,
    sendJoin,
    consensus,
    merge,
    downcheck,
    failRecvConst,
    seqnoUnchangedConst,
    windowSize,
    maxMessages,
    missCountConst,
    maxNetworkDelay,
    heartbeatFailuresAllowed,
    netmtu,
    knetPmtudInterval,
    knetMtu,
    knetCompressionModel,
    knetCompressionThreshold,
    knetCompressionLevel,
    blockUnlistedIps,
    cancelTokenHoldOnRetransmit,
    linkMode,
    ipVersion,
    crypto,
    links: effLinks,
    clusterName,
  };
  return { totem, values: t.values, nodes, localNodePosition: localPos, notes };
}

function cryptoOf(conf: CorosyncConf, t: Table): EffectiveTotem['crypto'] {
  const S = conf.totem.str;
  const v = conf.corosyncVersion;
  const secauth = S.secauth?.value;
  let cipher: string;
  let hash: string;
  let why: string;
  if (v === 3) {
    cipher = secauth === 'on' ? 'aes256' : 'none';
    hash = secauth === 'on' ? 'sha256' : 'none';
    why = secauth === 'on' ? 'secauth: on' : 'default none';
  } else {
    cipher = secauth === 'off' ? 'none' : 'aes256';
    hash = secauth === 'off' ? 'none' : 'sha1';
    why = secauth === 'off' ? 'secauth: off' : 'default (2.x secauth defaults to on)';
  }
  const ciphers = v === 3 ? ['none', 'aes256', 'aes192', 'aes128'] : ['none', 'aes256', 'aes192', 'aes128', '3des'];
  const hashes = ['none', 'md5', 'sha1', 'sha256', 'sha384', 'sha512'];
  const c = S.crypto_cipher;
  const h = S.crypto_hash;
  if (c !== undefined && ciphers.includes(c.value)) cipher = c.value;
  if (h !== undefined && hashes.includes(h.value)) hash = h.value;
  const model = v === 3 ? (S.crypto_model?.value ?? 'nss') : 'nss';
  if (v === 3) t.add({ name: 'crypto_model', value: model, origin: S.crypto_model !== undefined ? 'set' : 'default', ...lineOf(S.crypto_model), why: S.crypto_model !== undefined ? `set to ${model}` : 'default nss' });
  t.add({ name: 'crypto_cipher', value: cipher, origin: c !== undefined ? 'set' : secauth !== undefined ? 'derived' : 'default', ...lineOf(c ?? S.secauth), why: c !== undefined ? `set to ${c.value}` : why });
  t.add({ name: 'crypto_hash', value: hash, origin: h !== undefined ? 'set' : secauth !== undefined ? 'derived' : 'default', ...lineOf(h ?? S.secauth), why: h !== undefined ? `set to ${h.value}` : why });
  return { model, cipher, hash };
}
