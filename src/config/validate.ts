/**
 * Semantic checks on a parsed corosync.conf: everything corosync 3.1.7 refuses at startup
 * (exec/totemconfig.c `totem_config_read`/`totem_config_validate`/`totem_volatile_config_validate`,
 * exec/votequorum.c `votequorum_readconfig`) with corosync's own message, plus what corosync.conf(5),
 * votequorum(5) and operator reports warn about (../shared/reference/operators-and-anchors.md §4).
 */
import { selectBindAddress, type BindSelection, type HostAddress, addressBytes, sameAddress } from './addrs.ts';
import { KNET_MAX_HOST, MINIMUM_TIMEOUT, MINIMUM_TIMEOUT_HOLD, type EffectiveConfig } from './effective.ts';
import { finding, type Finding } from './findings.ts';
import { INTERFACE_MAX, type CorosyncConf, type Setting } from './model.ts';

export interface ValidateOptions {
  /** The host's addresses (from `ip -j addr`): enables address selection and MTU checks. */
  readonly addrs?: readonly HostAddress[];
  readonly ignoreLabelledAliases?: boolean;
  /** What reading the key file gave on this host (see live.ts `readKeyfileSize`). */
  readonly keyfile?: KeyfileState;
}

/** The crypto key file as found on the host: its size, or why it could not be read. */
export interface KeyfileState {
  readonly path: string;
  readonly size?: number;
  readonly error?: string;
}

/** TOTEM_PRIVATE_KEY_LEN_MIN / _MAX (= KNET_MIN_KEY_LEN / KNET_MAX_KEY_LEN). */
export const KEY_LEN_MIN = 128;
export const KEY_LEN_MAX = 4096;

/** Which key file corosync reads: totem.keyfile, else (no totem.key) /etc/corosync/authkey. */
export function keyfilePath(conf: CorosyncConf): string | undefined {
  const S = conf.totem.str;
  if (S.keyfile !== undefined) return S.keyfile.value;
  return S.key !== undefined ? undefined : '/etc/corosync/authkey';
}

export interface ValidationResult {
  readonly findings: readonly Finding[];
  /** Address selection per link (only with addrs, udp/udpu or 2.x). */
  readonly bindings: readonly { readonly linknumber: number; readonly corosync: BindSelection; readonly safe: BindSelection }[];
}

const at = (s: { line: number; column?: number } | undefined): { line?: number; column?: number } | undefined => s;

function isMulticastV4(a: string): boolean | undefined {
  const b = addressBytes(a);
  if (b === undefined) return undefined;
  if (b.length === 16) return b[0] === 0xff;
  return ((b[0] ?? 0) >> 4) === 0xe;
}

export function validateConf(conf: CorosyncConf, eff: EffectiveConfig, opts: ValidateOptions = {}): ValidationResult {
  const out: Finding[] = [];
  const v = conf.corosyncVersion;
  const T = conf.totem.u32;
  const S = conf.totem.str;
  const e = eff.totem;
  const add = (f: Finding): void => {
    out.push(f);
  };
  const totemAt = { line: conf.totem.line };
  const err = (code: string, where: { line?: number; column?: number } | undefined, message: string, action: string, corosync?: string): void =>
    add(finding(code, 'error', where, message, action, corosync === undefined ? undefined : `parse error in config: ${corosync}`));
  /** corosync prints these without the "parse error in config: " prefix. */
  const errDirect = (code: string, where: { line?: number; column?: number } | undefined, message: string, action: string, corosync?: string): void =>
    add(finding(code, 'error', where, message, action, corosync));
  const warn = (code: string, where: { line?: number; column?: number } | undefined, message: string, action: string, corosync?: string): void =>
    add(finding(code, 'warning', where, message, action, corosync));
  const info = (code: string, where: { line?: number; column?: number } | undefined, message: string, action: string): void =>
    add(finding(code, 'info', where, message, action));

  // ---------------- structure ----------------
  if (!conf.sections.has('totem')) err('totem.missing', undefined, 'There is no totem section, so totem.version is not 2', 'Add totem { version: 2 cluster_name: NAME }.', 'This totem parser can only parse version 2 configurations.');
  else if (T.version?.value !== 2) {
    err('totem.version', at(T.version) ?? totemAt, T.version === undefined ? 'totem.version is missing; corosync requires version: 2' : `totem.version is ${T.version.value}; corosync only accepts 2`, 'Set version: 2 in the totem section.', 'This totem parser can only parse version 2 configurations.');
  }
  const transportText = S.transport?.value;
  const validTransports = v === 3 ? ['knet', 'udp', 'udpu'] : ['udp', 'udpu', 'iba'];
  if (transportText !== undefined && !validTransports.includes(transportText)) {
    if (v === 3 || transportText === 'knet') {
      errDirect('totem.transport', at(S.transport), `transport "${transportText}" is not one of ${validTransports.join(', ')}`, `Use ${validTransports.join(', ')}.`, v === 3 ? 'Invalid transport type. Should be udpu, udp or knet' : undefined);
    } else warn('totem.transport', at(S.transport), `transport "${transportText}" is not known to corosync 2.x; it falls back to udp`, 'Use udp or udpu.');
  }
  if (S.cluster_name === undefined) {
    info('totem.cluster-name-missing', totemAt, 'No cluster_name: DLM and shared LVM need one, and udp cannot generate a multicast address without it', 'Set cluster_name in the totem section.');
  }
  if (v === 3 && T.nodeid !== undefined) {
    warn('totem.nodeid-deprecated', at(T.nodeid), 'totem.nodeid is ignored by corosync 3: the nodelist (or generated) nodeid is used', 'Remove totem.nodeid and set nodeid in each nodelist node.', 'nodeid in totem section is deprecated and ignored. Nodelist (or autogenerated) nodeid is going to be used.');
  }
  if (v === 3 && S.secauth !== undefined) {
    warn('totem.secauth-deprecated', at(S.secauth), `secauth is deprecated (secauth: ${S.secauth.value}${S.secauth.value === 'on' ? ' means aes256 + sha256' : ''})`, 'Use crypto_cipher and crypto_hash instead.');
  }

  // ---------------- nodelist ----------------
  const nodes = eff.nodes;
  const hasNodelist = conf.nodes.length > 0;
  if (!hasNodelist && v === 3) {
    err('nodelist.missing', undefined, 'There is no nodelist: corosync 3 finds the local node and its link addresses only through the nodelist', 'Add nodelist { node { ring0_addr: ... nodeid: N name: ... } } for every node.', 'No valid name found for local host');
  }
  const node0 = conf.nodes.find((n) => n.position === 0);
  if (hasNodelist && node0 !== undefined && !node0.rings.has(0) && node0.name === undefined) {
    warn('nodelist.first-node-empty', { line: node0.line }, 'The first node has neither ring0_addr nor name, so corosync treats the whole nodelist as absent', 'Give every node a ring0_addr (and a name).');
  }
  for (const n of conf.nodes) {
    if (!n.rings.has(0)) {
      warn('node.ring0-missing', { line: n.line }, `Node at line ${n.line} has no ring0_addr: it is not counted on link 0 (token_coefficient, membership)`, 'Every node must have at least ring0_addr (corosync.conf(5)).');
    }
    for (const [l, s] of n.rings) {
      if (addressBytes(s.value) === undefined) {
        info('node.address-hostname', at(s), `ring${l}_addr ${s.value} is a host name: corosync resolves it with getaddrinfo at startup (ip_version decides the family) and refuses to start if it cannot`, 'Prefer IP addresses, or make sure DNS or /etc/hosts resolve it to the same network on every node.');
      }
      if (l >= INTERFACE_MAX) err('node.link-number', at(s), `ring${l}_addr: link number ${l} is above the maximum ${INTERFACE_MAX - 1}`, `Use ring0_addr … ring${INTERFACE_MAX - 1}_addr.`, `interface ring number ${l} is bigger than allowed maximum ${INTERFACE_MAX - 1}`);
      if (l > 0 && e.transport !== 'knet' && v === 3) warn('node.extra-link-non-knet', at(s), `ring${l}_addr is ignored/invalid with transport ${e.transport}: only knet has more than one link`, 'Remove it or use transport knet.');
    }
  }
  for (const n of nodes) {
    const src = conf.nodes.find((x) => x.position === n.position);
    const ring0 = n.addresses.get(0);
    if (n.nodeid === undefined) {
      if (e.transport === 'knet') {
        errDirect('node.nodeid-missing-knet', { line: n.line }, `Node ${n.name ?? ring0 ?? `at line ${n.line}`} has no nodeid (or nodeid 0); knet requires one`, 'Set nodeid: N (1..65535) in every node.', `Knet requires an explicit nodeid to be specified for address '${ring0 ?? ''}'.`);
      } else if (ring0 !== undefined && ring0.includes(':')) {
        errDirect('node.nodeid-missing-ipv6', { line: n.line }, `Node ${ring0} has an IPv6 address and no nodeid; nodeids can only be generated from IPv4 addresses`, 'Set nodeid: N in the node.', `An IPV6 network requires that a node ID be specified for address '${ring0}'.`);
      } else if (ring0 !== undefined) {
        warn('node.nodeid-missing', { line: n.line }, `Node ${ring0} has no nodeid; it is generated from the address only if ${ring0} resolves to IPv4 on every node`, 'Set an explicit nodeid for every node.');
      }
    } else if (n.nodeidOrigin === 'generated') {
      info('node.nodeid-generated', { line: n.line }, `Node ${ring0 ?? ''} gets nodeid ${n.nodeid} generated from its IPv4 address; it changes if the address changes`, 'Set explicit nodeids (required when moving to knet).');
    } else if (e.transport === 'knet' && n.nodeid >= KNET_MAX_HOST) {
      errDirect('node.nodeid-too-big-knet', at(src?.nodeid), `nodeid ${n.nodeid} is too big for knet (must be < ${KNET_MAX_HOST})`, 'Use nodeids 1..65535.', `Knet requires nodeid to be less than ${KNET_MAX_HOST} for address '${ring0 ?? ''}'.`);
    }
    if (src?.nodeid?.value === 0) {
      warn('node.nodeid-zero', at(src.nodeid), 'nodeid 0 is reserved and is treated as "no nodeid"', 'Use a nodeid of 1 or more.');
    }
  }
  // Duplicate nodeids (incl. generated), addresses, names.
  const seenIds = new Map<number, number>();
  for (const n of nodes) {
    if (n.nodeid === undefined) continue;
    const prev = seenIds.get(n.nodeid);
    if (prev !== undefined) {
      const gen = n.nodeidOrigin === 'generated' ? `(autogenerated from ${n.addresses.get(0) ?? ''})` : '';
      errDirect('node.nodeid-duplicate', { line: n.line }, `nodeid ${n.nodeid} is used by the nodes at lines ${prev} and ${n.line}`, 'Give every node its own nodeid.', `Nodeid ${n.nodeid}${gen} appears twice in corosync.conf`);
    } else seenIds.set(n.nodeid, n.line);
  }
  const seenAddr = new Map<string, number>();
  for (const n of nodes) {
    for (const [l, a] of n.addresses) {
      const key = `${l}/${addressBytes(a)?.join('.') ?? a.toLowerCase()}`;
      const prev = seenAddr.get(key);
      if (prev !== undefined) err('node.address-duplicate', { line: n.line }, `ring${l}_addr ${a} is also the address of the node at line ${prev}`, 'Each node needs its own address on every link.');
      else seenAddr.set(key, n.line);
    }
  }
  const seenNames = new Map<string, number>();
  for (const n of nodes) {
    if (n.name === undefined) continue;
    const prev = seenNames.get(n.name);
    if (prev !== undefined) err('node.name-duplicate', { line: n.line }, `name ${n.name} is also used by the node at line ${prev}: corosync finds the local node by name and would take the first`, 'Give every node a unique name.');
    else seenNames.set(n.name, n.line);
  }
  // Links per node and names for multi-link.
  const linkCounts = new Map<number, number>();
  for (const n of nodes) for (const l of n.addresses.keys()) linkCounts.set(l, (linkCounts.get(l) ?? 0) + 1);
  const configured = e.links.map((l) => l.linknumber);
  if (configured.length > 1 && v === 3) {
    const missingName = nodes.filter((n) => n.name === undefined);
    if (missingName.length > 0) {
      err('nodelist.names-required', { line: missingName[0]?.line ?? 0 }, `With ${configured.length} links every node needs a name; ${missingName.length} node(s) have none`, 'Add name: HOSTNAME to every node.', "for a multi-link configuration, all nodes must have a 'name' attribute");
    }
    const counts = configured.map((l) => linkCounts.get(l) ?? 0);
    if (new Set(counts).size > 1) {
      const detail = configured.map((l) => `link ${l}: ${linkCounts.get(l) ?? 0} node(s)`).join(', ');
      err('nodelist.link-count-mismatch', undefined, `Not every node has an address on every link (${detail}); a node without an address on a link cannot talk over it`, 'Give every node a ringX_addr for every configured link, or remove the link.', 'Not all nodes have the same number of links');
    }
  }
  // Same IP family on each link.
  for (const l of linkCounts.keys()) {
    const fam = new Map<number, string>();
    for (const n of nodes) {
      const a = n.addresses.get(l);
      if (a === undefined) continue;
      const b = addressBytes(a);
      if (b !== undefined && !fam.has(b.length)) fam.set(b.length, a);
    }
    if (fam.size > 1) {
      const [a1, a2] = [...fam.values()];
      err('nodelist.mixed-families', undefined, `Link ${l} mixes IPv4 and IPv6 addresses (${a1 ?? ''} and ${a2 ?? ''}): those nodes cannot talk to each other on it`, 'Use one address family per link.', `Nodes for link ${l} have different IP families (compared ${a2 ?? ''} with ${a1 ?? ''})`);
    }
  }
  if (eff.localNodePosition === undefined && eff.notes.some((n) => n.startsWith('The local node is not'))) {
    err('nodelist.local-node-missing', undefined, 'This host (by host name or addresses) is not in the nodelist', 'Add this host to the nodelist, or give its node a name equal to the host name.', 'No valid name found for local host');
  }
  const localNode = eff.localNodePosition !== undefined ? nodes.find((n) => n.position === eff.localNodePosition) : undefined;
  if (localNode !== undefined && localNode.nodeid === undefined && e.transport === 'knet') {
    errDirect('nodelist.local-nodeid-knet', { line: localNode.line }, 'The local node has no nodeid; knet requires one', 'Set nodeid in the local node.', 'Knet requires an explicit nodeid for the local node');
  }

  // ---------------- interfaces / links ----------------
  for (const i of conf.interfaces) {
    if (i.linknumber >= INTERFACE_MAX) err('interface.link-number', { line: i.line }, `Interface link number ${i.linknumber} is above the maximum ${INTERFACE_MAX - 1}`, `Use linknumber 0..${INTERFACE_MAX - 1}.`, `interface ring number ${i.linknumber} is bigger than allowed maximum ${INTERFACE_MAX - 1}`);
    if (hasNodelist && i.bindnetaddr !== undefined) {
      warn('interface.bindnetaddr-with-nodelist', at(i.bindnetaddr), 'bindnetaddr is ignored because there is a nodelist: the local node\'s ringX_addr is used', 'Remove bindnetaddr.', 'interface section bindnetaddr is used together with nodelist. Nodelist one is going to be used.');
    }
    if (i.members.length > 0) {
      warn(hasNodelist ? 'interface.members-ignored' : 'interface.members-deprecated', i.members[0], hasNodelist ? 'member sections are ignored because there is a nodelist' : 'member sections are deprecated', 'Move members to the nodelist.', hasNodelist ? 'member section is used together with nodelist. Members ignored.' : 'member section is deprecated.');
    }
    if (i.ttl !== undefined && i.ttl.value !== 1 && e.transport !== 'udp') {
      err('interface.ttl-non-multicast', at(i.ttl), `ttl only applies to multicast (udp); this is ${e.transport}`, 'Remove ttl.', `Can only set ttl on multicast transport types for interface ${i.linknumber}`);
    }
    if (v === 3 && i.knet_link_priority !== undefined && i.knet_link_priority.value !== 1 && e.transport !== 'knet') {
      err('interface.priority-non-knet', at(i.knet_link_priority), `knet_link_priority only applies to knet; this is ${e.transport}`, 'Remove knet_link_priority.', `Can only set link priority on knet transport type for interface ${i.linknumber}`);
    }
    if (i.mcastport !== undefined && i.mcastport.value === 0) {
      err('interface.port-zero', at(i.mcastport), 'mcastport 0 is not a port', 'Remove mcastport (default 5405 + link) or set a port.', `No multicast port specified for interface ${i.linknumber}`);
    }
    if (i.mcastaddr !== undefined && e.transport !== 'udp' && v === 3) {
      warn('interface.mcastaddr-ignored', at(i.mcastaddr), `mcastaddr is only used by transport udp; ${e.transport} ignores it`, 'Remove mcastaddr.');
    }
    if (i.broadcast?.value === 'yes' && i.mcastaddr !== undefined) {
      warn('interface.broadcast-and-mcastaddr', at(i.broadcast), 'broadcast: yes replaces mcastaddr with 255.255.255.255', 'Set either broadcast or mcastaddr, not both.');
    }
    if (e.transport === 'knet' && v === 3) {
      const pi = i.knet_ping_interval;
      const pt = i.knet_ping_timeout;
      if ((pi === undefined) !== (pt === undefined)) {
        warn('interface.ping-pair', at(pi ?? pt), 'knet_ping_interval and knet_ping_timeout are a pair: only one is set, the other is computed from the token', 'Set both or neither.');
      }
      if (i.knet_transport?.value !== undefined && !['udp', 'sctp'].includes(i.knet_transport.value)) {
        errDirect('interface.knet-transport', at(i.knet_transport), `knet_transport "${i.knet_transport.value}" is not udp or sctp`, 'Use udp or sctp.', "Unrecognised knet_transport. expected 'udp' or 'sctp'");
      }
    }
  }
  if (v === 3 && e.transport !== 'knet' && configured.length > 1) {
    err('totem.links-non-knet', totemAt, `${configured.length} links are configured but only knet supports more than one`, 'Use transport knet or a single link.', `${configured.length} is too many configured interfaces for non-Knet transport.`);
  }
  if (v === 3 && configured.length === 0) {
    err('totem.no-interfaces', undefined, 'No link is configured (no local node address in the nodelist and no interface section)', 'Add ring0_addr to the nodes.', 'No interfaces defined');
  }
  // udp multicast addresses.
  if (e.transport === 'udp' || v === 2) {
    for (const l of e.links) {
      const src = conf.interfaces.find((i) => i.linknumber === l.linknumber)?.mcastaddr;
      if (l.mcastaddr === undefined) {
        if (e.transport === 'udp') err('interface.mcastaddr-missing', totemAt, `udp link ${l.linknumber} has no multicast address (no mcastaddr and no cluster_name to generate one)`, 'Set cluster_name or interface { mcastaddr }.', `No multicast address specified for interface ${l.linknumber}`);
        continue;
      }
      if (l.mcastaddr === '255.255.255.255') continue;
      const mc = isMulticastV4(l.mcastaddr);
      if (mc === false && e.transport === 'udp') err('interface.mcastaddr-not-multicast', at(src), `mcastaddr ${l.mcastaddr} is not a multicast address`, 'Use an address in 239.0.0.0/8 (administratively scoped).', `mcastaddr is not a correct multicast address for interface ${l.linknumber}`);
      else if (/^224\./.test(l.mcastaddr)) warn('interface.mcastaddr-224', at(src), `mcastaddr ${l.mcastaddr} is in 224.x.x.x, the "config" multicast range (224.0.0.x is link-local control traffic)`, 'Use a 239.x.x.x address (corosync.conf(5): "Avoid 224.x.x.x").');
      const bind = l.bindnetaddr;
      if (bind !== undefined && e.transport === 'udp') {
        const fb = addressBytes(bind)?.length;
        const fm = addressBytes(l.mcastaddr)?.length;
        if (fb !== undefined && fm !== undefined && fb !== fm) err('interface.mcastaddr-family', at(src), `mcastaddr ${l.mcastaddr} and bind address ${bind} are of different IP families`, 'Use a multicast address of the bind address family.', `Multicast address family does not match bind address family for interface ${l.linknumber}`);
      }
    }
    if (e.transport === 'udp') {
      for (let a = 0; a < e.links.length; a++) {
        for (let b = a + 1; b < e.links.length; b++) {
          const x = e.links[a];
          const y = e.links[b];
          if (x === undefined || y === undefined || x.mcastaddr === undefined || y.mcastaddr !== x.mcastaddr) continue;
          if (Math.abs(x.port - y.port) <= 1) err('interface.mcast-pair-collision', undefined, `Links ${x.linknumber} and ${y.linknumber} use ${x.mcastaddr} with ports ${x.port}/${y.port}; udp uses mcastport and mcastport − 1, so they collide`, 'Use different multicast addresses or ports at least 2 apart.', v === 2 ? 'Interfaces multicast address/port pair must differ' : undefined);
        }
      }
    }
  }

  // ---------------- link mode / priorities (knet) ----------------
  if (v === 3) {
    const mode = S.link_mode?.value;
    if (mode !== undefined && !['active', 'passive', 'rr'].includes(mode)) {
      err('totem.link-mode', at(S.link_mode), `link_mode "${mode}" is not active, passive or rr`, 'Use passive (default), active or rr.', `The Knet link mode "${mode}" specified is invalid.  It must be active, passive or rr.\n`);
    }
    if (mode !== undefined && e.transport !== 'knet') warn('totem.link-mode-non-knet', at(S.link_mode), `link_mode only applies to knet; ${e.transport} ignores it`, 'Remove link_mode.');
    if (e.transport === 'knet' && e.links.length > 1) {
      const prios = e.links.map((l) => l.knetLinkPriority);
      const anySet = conf.interfaces.some((i) => i.knet_link_priority !== undefined);
      if ((e.linkMode === 'active' || e.linkMode === 'rr') && anySet) {
        warn('knet.priority-ignored', at(conf.interfaces.find((i) => i.knet_link_priority !== undefined)?.knet_link_priority), `knet_link_priority is ignored in link_mode ${e.linkMode}: every link carries traffic`, 'Remove the priorities or use link_mode passive.');
      }
      if (e.linkMode === 'passive') {
        const max = Math.max(...prios);
        const top = e.links.filter((l) => l.knetLinkPriority === max);
        if (top.length > 1) info('knet.priority-tie', totemAt, `Links ${top.map((l) => l.linknumber).join(', ')} share the highest priority ${max}: passive mode uses the lowest link id (${top[0]?.linknumber ?? 0}) first`, 'Set knet_link_priority per interface to choose the preferred link.');
        const best = top[0];
        if (best !== undefined) {
          const missing = nodes.filter((n) => !n.addresses.has(best.linknumber));
          if (missing.length > 0) err('knet.priority-link-unreachable', totemAt, `The preferred link ${best.linknumber} (priority ${max}) has no address for ${missing.map((n) => n.name ?? `node at line ${n.line}`).join(', ')}: those nodes cannot talk over the link passive mode prefers`, 'Give every node an address on that link or lower its priority.');
        }
      }
    }
    if (e.transport === 'knet') {
      for (const l of e.links) {
        if (l.knetPingTimeout > e.token) {
          warn('knet.ping-timeout-above-token', at(conf.interfaces.find((i) => i.linknumber === l.linknumber)?.knet_ping_timeout), `Link ${l.linknumber}: knet_ping_timeout ${l.knetPingTimeout} ms is longer than the token timeout ${e.token} ms, so the token is lost before knet declares the link down and fails over`, 'Leave knet_ping_timeout unset (token / pong_count) or keep it below the token.');
        }
        if (l.knetPingInterval >= l.knetPingTimeout) {
          warn('knet.ping-interval-vs-timeout', undefined, `Link ${l.linknumber}: knet_ping_interval ${l.knetPingInterval} ms is not below knet_ping_timeout ${l.knetPingTimeout} ms; links flap`, 'Make the interval a fraction of the timeout (default timeout / 2).');
        }
      }
    }
  }

  // ---------------- crypto ----------------
  const cipherOn = e.crypto.cipher !== 'none';
  const hashOn = e.crypto.hash !== 'none';
  if (cipherOn && !hashOn) errDirect('crypto.cipher-without-hash', at(S.crypto_cipher ?? S.secauth), `crypto_cipher ${e.crypto.cipher} needs a crypto_hash other than none`, 'Set crypto_hash (sha256 is the usual choice).', 'crypto_cipher requires crypto_hash with value other than none');
  if (v === 3 && e.transport !== 'knet' && (cipherOn || hashOn)) {
    err('crypto.non-knet', at(S.crypto_cipher ?? S.crypto_hash ?? S.secauth), `Crypto (${e.crypto.cipher}/${e.crypto.hash}) is set but ${e.transport} cannot encrypt in corosync 3`, 'Use transport knet, or set crypto_cipher: none and crypto_hash: none.', 'crypto_cipher & crypto_hash are only valid for the Knet transport.');
  }
  if (v === 3 && e.transport === 'knet' && !cipherOn && !hashOn) {
    info('crypto.off', totemAt, 'knet traffic is neither encrypted nor authenticated', 'Consider crypto_cipher: aes256 and crypto_hash: sha256 with a corosync-keygen authkey.');
  }
  if (v === 3 && e.transport === 'knet' && !cipherOn && hashOn) {
    info('crypto.hash-only', at(S.crypto_hash), `Messages are authenticated (${e.crypto.hash}) but not encrypted`, 'Set crypto_cipher if the cluster network is not trusted.');
  }
  if ((cipherOn || hashOn) && S.key !== undefined && S.keyfile === undefined) {
    warn('crypto.inline-key', at(S.key), 'The key is stored in corosync.conf (totem.key); anyone who can read the file has it', 'Use a keyfile (corosync-keygen) instead.');
  }
  if ((cipherOn || hashOn) && S.key !== undefined && S.key.value.length < 128 && S.keyfile === undefined) {
    errDirect('crypto.key-too-short', at(S.key), `totem.key is ${S.key.value.length} bytes; the minimum is 128`, 'Use a 128..4096-byte key (corosync-keygen writes 256).', 'key is too short');
  }

  if ((cipherOn || hashOn) && opts.keyfile !== undefined) {
    const k = opts.keyfile;
    if (k.error !== undefined) errDirect('crypto.keyfile-unreadable', at(S.keyfile) ?? totemAt, `Crypto is on but the key file ${k.path} cannot be read: ${k.error}`, 'Create it with corosync-keygen and copy the same file to every node.', `Could not open ${k.path}: ${k.error}`);
    else if (k.size !== undefined && k.size < KEY_LEN_MIN) errDirect('crypto.keyfile-too-short', at(S.keyfile) ?? totemAt, `The key file ${k.path} has ${k.size} bytes; the minimum is ${KEY_LEN_MIN}`, 'Regenerate it with corosync-keygen (256 bytes).', `Could only read ${k.size * 8} bits of minimum ${KEY_LEN_MIN * 8} bits from ${k.path}.`);
    else if (k.size !== undefined && k.size > KEY_LEN_MAX) info('crypto.keyfile-long', at(S.keyfile) ?? totemAt, `The key file ${k.path} has ${k.size} bytes; corosync uses only the first ${KEY_LEN_MAX}`, 'Use a key of 128..4096 bytes.');
  }

  // ---------------- timers (totem_volatile_config_validate) ----------------
  const timerMin = (name: string, value: number, s: Setting<number> | undefined, min: number, corosyncName: string): void => {
    if (value < min) err(`totem.${name}-too-small`, at(s) ?? totemAt, `${name} ${value} ms is below the minimum ${min} ms`, `Raise ${name} to at least ${min} ms.`, `The ${corosyncName} parameter (${value} ms) may not be less than (${min} ms).`);
  };
  timerMin('max_network_delay', e.maxNetworkDelay, T.max_network_delay, MINIMUM_TIMEOUT, 'max_network_delay');
  timerMin('token', e.token, T.token, MINIMUM_TIMEOUT, 'token timeout');
  if (v === 3 && e.tokenWarningPercent > 100) err('totem.token_warning-range', at(T.token_warning), `token_warning ${e.tokenWarningPercent}% is above 100`, 'Use 0 (off) .. 100.', `The token warning parameter (${e.tokenWarningPercent}%) must be between 0 (disabled) and 100.`);
  if (e.tokenRetransmit < MINIMUM_TIMEOUT) {
    if (T.token_retransmit !== undefined) timerMin('token_retransmit', e.tokenRetransmit, T.token_retransmit, MINIMUM_TIMEOUT, 'token retransmit timeout');
    else err('totem.token_retransmit-too-small', at(T.token_retransmits_before_loss_const ?? T.token) ?? totemAt, `token / (token_retransmits_before_loss_const + 0.2) = ${e.tokenRetransmit} ms is below ${MINIMUM_TIMEOUT} ms`, 'Raise token or lower token_retransmits_before_loss_const.', 'Not appropriate token or token_retransmits_before_loss_const value set');
  }
  const holdMin = v === 3 ? MINIMUM_TIMEOUT_HOLD : MINIMUM_TIMEOUT;
  if (e.hold < holdMin || e.hold > 0x7fffffff) timerMin('hold', e.hold > 0x7fffffff ? -1 : e.hold, T.hold, holdMin, 'token hold timeout');
  timerMin('join', e.join, T.join, MINIMUM_TIMEOUT, 'join timeout');
  timerMin('consensus', e.consensus, T.consensus, MINIMUM_TIMEOUT, 'consensus timeout');
  if (e.consensus < e.join) err('totem.consensus-below-join', at(T.consensus) ?? totemAt, `consensus ${e.consensus} ms is below join ${e.join} ms`, 'Raise consensus (default 1.2 × token).', `The consensus timeout parameter (${e.consensus} ms) may not be less than join timeout (${e.join} ms).`);
  timerMin('merge', e.merge, T.merge, MINIMUM_TIMEOUT, 'merge timeout');
  timerMin('downcheck', e.downcheck, T.downcheck, MINIMUM_TIMEOUT, 'downcheck timeout');

  // Operator-level timer advice.
  const minConsensus = Math.trunc(Math.fround(1.2 * e.token));
  if (T.consensus !== undefined && T.consensus.value !== 0 && e.consensus < minConsensus) {
    const sev = e.nodeCount > 2 && e.consensus < e.token ? 'error' : 'warning';
    add(finding('totem.consensus-below-1.2-token', sev, at(T.consensus), `consensus ${e.consensus} ms is below 1.2 × token (${minConsensus} ms with the effective token ${e.token} ms)${e.nodeCount > 2 && e.consensus < e.token ? `; with ${e.nodeCount} nodes a consensus below the token risks odd membership changes` : ''}`, `Remove consensus (it follows 1.2 × token) or set it to at least ${minConsensus}.`));
  }
  if (T.token_retransmit !== undefined && T.token_retransmit.value !== 0 && T.token !== undefined && e.tokenRetransmit * (e.tokenRetransmitsBeforeLossConst + 0.2) > e.token * 1.05) {
    warn('totem.token_retransmit-vs-token', at(T.token_retransmit), `token_retransmit ${e.tokenRetransmit} ms × ${e.tokenRetransmitsBeforeLossConst} retransmits does not fit in the token ${e.token} ms`, 'Leave token_retransmit unset; it follows the token.');
  }
  if (T.hold !== undefined && T.hold.value !== 0 && e.hold >= e.tokenRetransmit) {
    warn('totem.hold-above-retransmit', at(T.hold), `hold ${e.hold} ms is not below token_retransmit ${e.tokenRetransmit} ms: the token is retransmitted while it is being held`, 'Leave hold unset (0.8 × token_retransmit − 10).');
  }
  if (v === 3 && e.tokenWarningPercent > 0 && e.tokenWarningMs < e.tokenRetransmit) {
    const text = `The token warning interval (${e.tokenWarningMs} ms) is less than the token retransmit timeout (${e.tokenRetransmit} ms) which can lead to spurious token warnings. Consider increasing the token_warning parameter.`;
    add(finding('totem.token-warning-spurious', 'info', at(T.token_warning), text, 'Increase token_warning.', text));
  }
  if (e.heartbeatFailuresAllowed > 0) info('totem.heartbeat', at(T.heartbeat_failures_allowed), `Heartbeat failure detection is on (${e.heartbeatFailuresAllowed} failures × token_retransmit + max_network_delay); it can declare nodes dead on lossy networks`, 'Use only on low-loss networks.');
  if (e.nodeCount > 32 && e.sendJoin === 0) info('totem.send-join', at(T.send_join) ?? totemAt, `${e.nodeCount} nodes and send_join 0: all nodes send JOIN at once when a ring forms`, 'Set send_join (about 80 ms for 128 nodes) as corosync.conf(5) advises.');
  if (T.token !== undefined && e.transport !== undefined && e.token < 1000 && e.nodeCount > 0) {
    info('totem.short-token', at(T.token), `The effective token is ${e.token} ms: a scheduling pause or a brief network hiccup longer than that forms a new membership`, 'Measure token rotation under load before going below the default (3000 ms in 3.1).');
  }
  if (v === 3 && S.block_unlisted_ips?.value === 'no') warn('totem.block-unlisted-ips', at(S.block_unlisted_ips), 'block_unlisted_ips: no lets nodes that are not in the nodelist (e.g. with an old config) join', 'Keep the default (yes).');

  // Window and MTU.
  const bufLimit = Math.floor(256000 / e.netmtu);
  if (e.windowSize > bufLimit && T.window_size !== undefined) warn('totem.window-size', at(T.window_size), `window_size ${e.windowSize} is above 256000 / netmtu = ${bufLimit}: slow nodes can overflow kernel receive buffers (Retransmit List in the logs)`, `Keep window_size ≤ ${bufLimit}.`);
  if (e.maxMessages > bufLimit && T.max_messages !== undefined) warn('totem.max-messages', at(T.max_messages), `max_messages ${e.maxMessages} is above 256000 / netmtu = ${bufLimit}`, `Keep max_messages ≤ ${bufLimit}.`);
  if (e.maxMessages > e.windowSize) warn('totem.max-messages-above-window', at(T.max_messages), `max_messages ${e.maxMessages} is above window_size ${e.windowSize}`, 'Keep max_messages ≤ window_size.');
  if (T.netmtu !== undefined && T.netmtu.value > 1500 && e.transport !== 'knet') {
    warn('totem.netmtu-jumbo', at(T.netmtu), `netmtu ${T.netmtu.value} needs jumbo frames on every NIC and switch${T.netmtu.value === 9000 ? '; with 9000, Linux adds 18 bytes of header and some hardware fails (8982 is known to work)' : ''}`, 'Make sure every device supports the frame size, or use 1500.');
  }

  // ---------------- 2.x RRP ----------------
  if (v === 2) {
    const mode = S.rrp_mode?.value ?? 'none';
    if (!['none', 'active', 'passive'].includes(mode)) err('totem.rrp-mode', at(S.rrp_mode), `rrp_mode "${mode}" is not none, active or passive`, 'Use passive.', `The RRP mode "${mode}" specified is invalid.  It must be none, active, or passive.\n`);
    const ifCount = e.links.length;
    if (mode === 'none' && ifCount > 1) err('totem.rrp-too-many', totemAt, `${ifCount} interfaces but rrp_mode none`, 'Set rrp_mode: passive.', `${ifCount} is too many configured interfaces for the rrp_mode setting ${mode}.`);
    if (mode === 'active') warn('totem.rrp-active', at(S.rrp_mode), 'rrp_mode active is not recommended (only passive is tested)', 'Use passive.');
    const row = (n: string): number => Number(eff.values.find((x) => x.name === n)?.value ?? 0);
    const threshold = row('rrp_problem_count_threshold');
    const expired = row('rrp_token_expired_timeout');
    if (ifCount > 1 && threshold * expired > e.token - 50) {
      warn('totem.rrp-threshold-vs-token', at(T.rrp_problem_count_threshold ?? T.rrp_token_expired_timeout ?? T.token), `rrp_problem_count_threshold ${threshold} × rrp_token_expired_timeout ${expired} ms = ${threshold * expired} ms is not at least 50 ms below the token ${e.token} ms: a full reconfiguration can happen before a ring is marked faulty`, 'Lower the threshold or the expired timeout, or raise the token.');
    }
    if (threshold < 2) err('totem.rrp-threshold-min', at(T.rrp_problem_count_threshold), `rrp_problem_count_threshold ${threshold} is below 2`, 'Use at least 2.', `The RRP problem count threshold (${threshold} problem count) may not be less than (2 problem count).`);
  }

  // ---------------- quorum (votequorum) ----------------
  const Q = conf.quorum;
  if (Q.provider === undefined) {
    info('quorum.no-provider', Q.line > 0 ? { line: Q.line } : undefined, 'No quorum provider: this node never loses quorum, so a partitioned node keeps running resources', 'Set quorum { provider: corosync_votequorum } for Pacemaker clusters.');
  } else if (Q.provider.value === 'corosync_votequorum') {
    const nodeCount = nodes.length;
    if (nodeCount === 0 && Q.expectedVotes === undefined) errDirect('quorum.no-nodelist-no-expected', at(Q.provider), 'votequorum needs a nodelist or quorum.expected_votes', 'Add a nodelist (or expected_votes).', 'configuration error: nodelist or quorum.expected_votes must be configured!');
    const twoNode = (Q.twoNode?.value ?? 0) !== 0;
    if (twoNode && nodeCount > 2) warn('quorum.two-node-more-nodes', at(Q.twoNode), `two_node is set but the nodelist has ${nodeCount} nodes: it only takes effect with 2 nodes, yet it still turns on wait_for_all`, 'Remove two_node for clusters of more than two nodes.');
    if (twoNode && Q.device !== undefined) errDirect('quorum.two-node-qdevice', at(Q.twoNode), 'two_node and a quorum device cannot be used together', 'Remove two_node when using qdevice.', 'configuration error: two_node and quorum device cannot be configured at the same time!');
    if (twoNode && (Q.autoTieBreaker?.value ?? 0) !== 0) warn('quorum.two-node-atb', at(Q.autoTieBreaker), 'two_node and auto_tie_breaker are not compatible; corosync disables two_node', 'Choose one of them.', 'two_node and auto_tie_breaker are both specified but are not compatible.');
    if (nodeCount === 2 && !twoNode && Q.device === undefined && (Q.expectedVotes === undefined || Q.expectedVotes.value > 1)) {
      info('quorum.two-nodes-without-two-node', at(Q.provider), 'Two nodes without two_node: when one node fails the other loses quorum', 'Set two_node: 1 (with fencing) or add a quorum device.');
    }
    const votes = nodes.reduce((s, n) => s + n.quorumVotes, 0);
    const atb = (Q.autoTieBreaker?.value ?? 0) !== 0;
    const wfa = Q.waitForAll !== undefined ? Q.waitForAll.value !== 0 : twoNode;
    if (atb && votes % 2 === 1 && !wfa) {
      if ((Q.lastManStanding?.value ?? 0) !== 0) errDirect('quorum.atb-lms-odd', at(Q.autoTieBreaker), 'auto_tie_breaker and last_man_standing with an odd number of votes and no wait_for_all: corosync refuses to start', 'Disable last_man_standing and enable wait_for_all.', 'configuration error: auto_tie_breaker & last_man_standing not available in odd sized cluster');
      else warn('quorum.atb-odd-no-wfa', at(Q.autoTieBreaker), 'auto_tie_breaker with an odd number of votes needs wait_for_all; corosync disables auto_tie_breaker', 'Set wait_for_all: 1.');
    }
    if (Q.device !== undefined && (Q.lastManStanding?.value ?? 0) !== 0) errDirect('quorum.qdevice-lms', at(Q.lastManStanding), 'A quorum device is not compatible with last_man_standing', 'Remove last_man_standing.', 'configuration error: quorum.device is not compatible with last_man_standing');
    if (Q.expectedVotes !== undefined && nodeCount > 0 && Q.expectedVotes.value !== votes + (Q.device?.votes?.value ?? 0)) {
      warn('quorum.expected-votes-mismatch', at(Q.expectedVotes), `expected_votes ${Q.expectedVotes.value} differs from the nodelist's ${votes} votes; expected_votes overrides the nodelist`, 'Remove expected_votes when there is a nodelist.');
    }
    if (Q.autoTieBreakerNode !== undefined && !atb) warn('quorum.atb-node-meaningless', at(Q.autoTieBreakerNode), 'auto_tie_breaker_node: is meaningless if auto_tie_breaker is set to 0', 'Set auto_tie_breaker: 1 or remove auto_tie_breaker_node.', 'auto_tie_breaker_node: is meaningless if auto_tie_breaker is set to 0');
  } else if (Q.provider.value !== 'corosync_votequorum') {
    err('quorum.provider', at(Q.provider), `quorum provider "${Q.provider.value}" is not corosync_votequorum`, 'Use provider: corosync_votequorum.');
  }

  // ---------------- logging ----------------
  const lo = conf.logging.options;
  if (lo.get('to_logfile')?.value === 'yes' && lo.get('logfile') === undefined) {
    err('logging.logfile-missing', at(lo.get('to_logfile')), 'to_logfile: yes without logfile', 'Set logfile: /var/log/corosync/corosync.log.');
  }
  if (lo.get('to_logfile')?.value === 'no' && lo.get('logfile') !== undefined) {
    warn('logging.logfile-unused', at(lo.get('logfile')), 'logfile is set but to_logfile is no', 'Remove logfile or set to_logfile: yes.');
  }
  for (const [k, s] of lo) {
    if (['to_stderr', 'to_logfile', 'to_syslog', 'fileline', 'function_name'].includes(k) && !['yes', 'no', 'on', 'off'].includes(s.value)) {
      warn('logging.bool', at(s), `logging.${k} is "${s.value}"; expected yes or no`, 'Use yes or no.');
    }
  }

  // ---------------- address selection and MTU ----------------
  const bindings: { linknumber: number; corosync: BindSelection; safe: BindSelection }[] = [];
  if (opts.addrs !== undefined) {
    const usesIfaceCheck = e.transport !== 'knet' || v === 2;
    for (const l of e.links) {
      const bind = l.bindnetaddr;
      if (bind === undefined) continue;
      const corosyncSel = selectBindAddress(bind, opts.addrs, { rule: 'corosync' });
      const safeSel = selectBindAddress(bind, opts.addrs, { rule: 'safe', ignoreLabelledAliases: opts.ignoreLabelledAliases ?? true });
      bindings.push({ linknumber: l.linknumber, corosync: corosyncSel, safe: safeSel });
      const bindSrc = localNode !== undefined ? conf.nodes.find((n) => n.position === localNode.position)?.rings.get(l.linknumber) : conf.interfaces.find((i) => i.linknumber === l.linknumber)?.bindnetaddr;
      if (addressBytes(bind) === undefined) continue;
      if (corosyncSel.chosen === undefined) {
        if (usesIfaceCheck) err('addr.no-match', at(bindSrc), `Link ${l.linknumber}: no local address is in the network of ${bind}; corosync cannot bind (it waits for the interface to come up)`, 'Configure the address on this host or fix the bind address.');
        else err('addr.local-missing', at(bindSrc), `Link ${l.linknumber}: the local node's address ${bind} is not configured on this host`, 'Configure the address on this host or fix ring addresses.');
        continue;
      }
      if (!usesIfaceCheck && !corosyncSel.exact) {
        err('addr.local-missing', at(bindSrc), `Link ${l.linknumber}: the local node's address ${bind} is not configured on this host (knet binds to exactly this address)`, 'Configure the address on this host.');
        continue;
      }
      if (usesIfaceCheck && !corosyncSel.exact && localNode !== undefined) {
        err('addr.local-not-exact', at(bindSrc), `Link ${l.linknumber}: the local node's address ${bind} is not an address of this host; corosync binds to ${corosyncSel.chosen.address} (network match) but the nodelist names ${bind} as this node, so it never forms a membership (stays in GATHER)`, `Set ring${l.linknumber}_addr to this host's own address${safeSel.chosen !== undefined ? ` (${safeSel.chosen.address} by the safer rule)` : ''}.`);
      }
      if (usesIfaceCheck && !corosyncSel.exact && corosyncSel.matches.length > 1) {
        const list = corosyncSel.matches.map((m) => `${m.address.address}/${m.address.prefixlen} on ${m.address.label ?? m.address.ifname}${m.address.secondary ? ' (secondary)' : ''}`).join(', ');
        warn('addr.several-matches', at(bindSrc), `Link ${l.linknumber}: ${corosyncSel.matches.length} local addresses are in the network of ${bind} (${list}); corosync takes the first in kernel order, ${corosyncSel.chosen.address}. A floating service address in the cluster subnet can be taken instead of the node's own${v === 2 ? ' and, without an explicit nodeid, the node rejoins with a nodeid generated from it and splits the cluster' : ''}`, `Set the exact node address (ring${l.linknumber}_addr / bindnetaddr) instead of a network address${safeSel.chosen !== undefined && safeSel.chosen.address !== corosyncSel.chosen.address ? `; the safer rule would pick ${safeSel.chosen.address}` : ''}, and keep service addresses out of the cluster subnet.`);
      }
      if (corosyncSel.chosen.secondary || (corosyncSel.chosen.label !== undefined && corosyncSel.chosen.label.includes(':'))) {
        warn('addr.alias-chosen', at(bindSrc), `Link ${l.linknumber}: corosync binds to ${corosyncSel.chosen.address}, a ${corosyncSel.chosen.secondary ? 'secondary' : 'labelled alias'} address (${corosyncSel.chosen.label ?? corosyncSel.chosen.ifname})`, 'Bind to the interface\'s primary address.');
      }
      if (!corosyncSel.chosen.interfaceUp) warn('addr.interface-down', at(bindSrc), `Link ${l.linknumber}: ${corosyncSel.chosen.ifname} is down`, `Bring ${corosyncSel.chosen.ifname} up.`);
      const ifMtu = corosyncSel.chosen.mtu;
      if (ifMtu > 0) {
        if (e.transport !== 'knet' && e.netmtu > ifMtu) {
          warn('addr.netmtu-above-mtu', at(T.netmtu), `netmtu ${e.netmtu} is above the MTU ${ifMtu} of ${corosyncSel.chosen.ifname}: full-size totem packets are fragmented or dropped`, `Set netmtu to ${ifMtu} or less.`);
        }
        if (e.transport === 'knet' && e.knetMtu > ifMtu) {
          warn('addr.knet-mtu-above-mtu', at(T.knet_mtu), `knet_mtu ${e.knetMtu} is above the MTU ${ifMtu} of ${corosyncSel.chosen.ifname}`, `Set knet_mtu to ${ifMtu} or less, or 0 (PMTUd).`);
        }
      }
    }
    // Other nodes' addresses that are local too (a copied config on the wrong host, or a floating address).
    for (const n of nodes) {
      if (localNode !== undefined && n.position === localNode.position) continue;
      for (const [l, a] of n.addresses) {
        const hit = opts.addrs.find((h) => sameAddress(h.address, a));
        if (hit !== undefined) warn('addr.other-node-local', { line: n.line }, `ring${l}_addr ${a} of ${n.name ?? `node at line ${n.line}`} is configured on this host (${hit.label ?? hit.ifname})`, 'Check that the nodelist addresses are right and that no floating address uses a node address.');
      }
    }
  }
  return { findings: out, bindings };
}
