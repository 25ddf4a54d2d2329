/**
 * From syntax to meaning: the parsed file turned into corosync's configuration map (the keys
 * corosync 3.1.7's coroparse `main_config_parser_cb` stores in icmap, with the same types and the
 * same integer checks), and a typed model read from that map. Keeps the line of every value.
 *
 * Corosync 2.x (`corosyncVersion: 2`) differs here only in the interface section's link key
 * (`ringnumber` instead of `linknumber`) and in which totem keys exist.
 */
import { finding, type Finding } from './findings.ts';
import { isSection, type ConfDocument, type ConfEntry, type ConfSection } from './parse.ts';

export type CorosyncVersion = 2 | 3;

export type CmapType = 'u8' | 'u16' | 'u32' | 'i32' | 'u64' | 'string';

/** One configuration map entry (`corosync-cmapctl` key) with where it came from. */
export interface CmapEntry {
  readonly value: string | number | bigint;
  readonly type: CmapType;
  readonly line: number;
  readonly column: number;
  /** The key line's column (for "unknown key" findings). */
  readonly keyColumn: number;
}

export interface Setting<T> {
  readonly value: T;
  readonly line: number;
  readonly column: number;
}

/** totem keys coroparse stores as uint32 (3.1.7 list; 2.x has the rrp_* ones too, same parser). */
export const TOTEM_U32_KEYS = [
  'version', 'nodeid', 'threads', 'token', 'token_coefficient', 'token_retransmit', 'token_warning', 'hold',
  'token_retransmits_before_loss_const', 'join', 'send_join', 'consensus', 'merge', 'downcheck', 'fail_recv_const',
  'seqno_unchanged_const', 'rrp_token_expired_timeout', 'rrp_problem_count_timeout', 'rrp_problem_count_threshold',
  'rrp_problem_count_mcast_threshold', 'rrp_autorecovery_check_timeout', 'heartbeat_failures_allowed',
  'max_network_delay', 'window_size', 'max_messages', 'miss_count_const', 'knet_pmtud_interval', 'knet_mtu',
  'knet_compression_threshold', 'netmtu',
] as const;
export type TotemU32Key = (typeof TOTEM_U32_KEYS)[number];

export const TOTEM_STRING_KEYS = [
  'cluster_name', 'transport', 'ip_version', 'crypto_model', 'crypto_cipher', 'crypto_hash', 'secauth', 'keyfile',
  'key', 'link_mode', 'clear_node_high_bit', 'knet_compression_model', 'block_unlisted_ips',
  'cancel_token_hold_on_retransmit', 'rrp_mode', 'crypto_type', 'vsftype',
] as const;
export type TotemStringKey = (typeof TOTEM_STRING_KEYS)[number];

/** Keys that exist only in one major version (checked for "unknown key"). */
const TOTEM_ONLY_V3 = new Set(['token_warning', 'knet_pmtud_interval', 'knet_mtu', 'knet_compression_threshold', 'knet_compression_level', 'knet_compression_model', 'crypto_model', 'link_mode']);
const TOTEM_ONLY_V2 = new Set(['rrp_mode', 'rrp_token_expired_timeout', 'rrp_problem_count_timeout', 'rrp_problem_count_threshold', 'rrp_problem_count_mcast_threshold', 'rrp_autorecovery_check_timeout', 'crypto_type']);

export interface TotemConf {
  readonly u32: Readonly<Partial<Record<TotemU32Key, Setting<number>>>>;
  readonly str: Readonly<Partial<Record<TotemStringKey, Setting<string>>>>;
  readonly knetCompressionLevel?: Setting<number>;
  readonly configVersion?: Setting<bigint>;
  /** Line of the (first) totem section, 0 when absent. */
  readonly line: number;
}

export const INTERFACE_KEYS = [
  'bindnetaddr', 'mcastaddr', 'broadcast', 'mcastport', 'ttl', 'knet_link_priority', 'knet_ping_interval',
  'knet_ping_timeout', 'knet_ping_precision', 'knet_pong_count', 'knet_transport',
] as const;
export type InterfaceKey = (typeof INTERFACE_KEYS)[number];
const INTERFACE_TYPES: Readonly<Record<InterfaceKey, CmapType>> = {
  bindnetaddr: 'string', mcastaddr: 'string', broadcast: 'string', mcastport: 'u16', ttl: 'u8',
  knet_link_priority: 'u8', knet_ping_interval: 'u32', knet_ping_timeout: 'u32', knet_ping_precision: 'u32',
  knet_pong_count: 'u32', knet_transport: 'string',
};

export interface InterfaceConf {
  readonly linknumber: number;
  /** Line of the interface section (first one for this link). */
  readonly line: number;
  readonly bindnetaddr?: Setting<string>;
  readonly mcastaddr?: Setting<string>;
  readonly broadcast?: Setting<string>;
  readonly mcastport?: Setting<number>;
  readonly ttl?: Setting<number>;
  readonly knet_link_priority?: Setting<number>;
  readonly knet_ping_interval?: Setting<number>;
  readonly knet_ping_timeout?: Setting<number>;
  readonly knet_ping_precision?: Setting<number>;
  readonly knet_pong_count?: Setting<number>;
  readonly knet_transport?: Setting<string>;
  /** Deprecated `member { memberaddr }` entries. */
  readonly members: readonly Setting<string>[];
}

/** INTERFACE_MAX (include/corosync/totem/totem.h): links 0..7. */
export const INTERFACE_MAX = 8;

export interface NodeConf {
  /** Position in the nodelist (cmap `nodelist.node.<position>`). */
  readonly position: number;
  readonly line: number;
  readonly nodeid?: Setting<number>;
  readonly name?: Setting<string>;
  readonly quorumVotes?: Setting<number>;
  /** ringX_addr by link number. */
  readonly rings: ReadonlyMap<number, Setting<string>>;
}

export interface QuorumConf {
  readonly line: number;
  readonly provider?: Setting<string>;
  readonly expectedVotes?: Setting<number>;
  readonly votes?: Setting<number>;
  readonly twoNode?: Setting<number>;
  readonly waitForAll?: Setting<number>;
  readonly lastManStanding?: Setting<number>;
  readonly lastManStandingWindow?: Setting<number>;
  readonly autoTieBreaker?: Setting<number>;
  readonly autoTieBreakerNode?: Setting<string>;
  readonly allowDownscale?: Setting<number>;
  readonly expectedVotesTracking?: Setting<number>;
  /** quorum.device present (qdevice). */
  readonly device?: { readonly line: number; readonly model?: Setting<string>; readonly votes?: Setting<number> };
}

export interface LoggingConf {
  readonly line: number;
  readonly options: ReadonlyMap<string, Setting<string>>;
  /** logger_subsys sections by subsys name. */
  readonly subsys: ReadonlyMap<string, ReadonlyMap<string, Setting<string>>>;
}

export interface CorosyncConf {
  readonly corosyncVersion: CorosyncVersion;
  /** Every key as corosync stores it in cmap (last write wins, like icmap_set). */
  readonly cmap: ReadonlyMap<string, CmapEntry>;
  readonly totem: TotemConf;
  readonly interfaces: readonly InterfaceConf[];
  readonly nodes: readonly NodeConf[];
  readonly quorum: QuorumConf;
  readonly logging: LoggingConf;
  readonly system: ReadonlyMap<string, Setting<string>>;
  readonly nozzle: ReadonlyMap<string, Setting<string>>;
  readonly resources: ReadonlyMap<string, Setting<string | number | bigint>>;
  /** Top-level sections present, with their first line. */
  readonly sections: ReadonlyMap<string, number>;
}

export interface BuildResult {
  readonly conf: CorosyncConf;
  /** Value errors corosync reports while reading the file, plus unknown/duplicate key warnings. */
  readonly findings: readonly Finding[];
}

const INT_RANGES: Readonly<Record<Exclude<CmapType, 'string' | 'u64'>, readonly [number, number]>> = {
  u8: [0, 255],
  u16: [0, 65535],
  u32: [0, 4294967295],
  i32: [-2147483648, 2147483647],
};

/** coroparse `safe_atoq`: strtoll base 10, whole string, within the type's range. */
export function parseCInteger(text: string, type: Exclude<CmapType, 'string' | 'u64'>): number | undefined {
  if (!/^[ \t\n\v\f\r]*[+-]?[0-9]+$/.test(text)) return undefined;
  const n = Number(text.trim());
  const [min, max] = INT_RANGES[type];
  return n >= min && n <= max ? n : undefined;
}

/** coroparse `str_to_ull` (strtoull accepts a leading minus and wraps; we reject it). */
function parseULL(text: string): bigint | undefined {
  if (!/^[ \t]*\+?[0-9]+$/.test(text)) return undefined;
  const v = BigInt(text.trim());
  return v <= 0xffffffffffffffffn ? v : undefined;
}

const ENUMS: Readonly<Record<string, { readonly values: readonly string[]; readonly message: string }>> = {
  'totem.ip_version': { values: ['ipv4', 'ipv6', 'ipv6-4', 'ipv4-6'], message: 'Invalid ip_version type' },
  'totem.crypto_cipher': { values: ['none', 'aes256', 'aes192', 'aes128'], message: 'Invalid cipher type. Should be none, aes256, aes192 or aes128' },
  'totem.crypto_hash': { values: ['none', 'md5', 'sha1', 'sha256', 'sha384', 'sha512'], message: 'Invalid hash type. Should be none, md5, sha1, sha256, sha384 or sha512' },
  // libknet 1.25 as built by Debian: crypto nss, openssl, gcrypt; compression zlib, lz4, lz4hc, lzo2, lzma, bzip2, zstd.
  'totem.crypto_model': { values: ['nss', 'openssl', 'gcrypt'], message: 'Invalid crypto model. Should be nss, openssl, gcrypt' },
  'totem.knet_compression_model': { values: ['none', 'zlib', 'lz4', 'lz4hc', 'lzo2', 'lzma', 'bzip2', 'zstd'], message: 'Invalid compression model. Should be zlib, lz4, lz4hc, lzo2, lzma, bzip2, zstd, none' },
  'system.qb_ipc_type': { values: ['native', 'shm', 'socket'], message: 'Invalid system.qb_ipc_type' },
  'system.sched_rr': { values: ['yes', 'no'], message: 'Invalid system.sched_rr value' },
  'system.move_to_root_cgroup': { values: ['yes', 'no', 'auto'], message: 'Invalid system.move_to_root_cgroup' },
  'system.allow_knet_handle_fallback': { values: ['yes', 'no'], message: 'Invalid system.allow_knet_handle_fallback' },
};
const ENUMS_V2: Readonly<Record<string, { readonly values: readonly string[]; readonly message: string }>> = {
  'totem.ip_version': { values: ['ipv4', 'ipv6'], message: 'Invalid ip_version type' },
  'totem.crypto_cipher': { values: ['none', 'aes256', 'aes192', 'aes128', '3des'], message: 'Invalid cipher type. Should be none, aes256, aes192, aes128 or 3des' },
  'totem.crypto_hash': ENUMS['totem.crypto_hash'] ?? { values: [], message: '' },
};

const QUORUM_U32 = new Set(['expected_votes', 'votes', 'last_man_standing_window', 'leaving_timeout']);
const QUORUM_U8 = new Set(['two_node', 'expected_votes_tracking', 'allow_downscale', 'wait_for_all', 'auto_tie_breaker', 'last_man_standing']);
const QUORUM_KNOWN = new Set([...QUORUM_U32, ...QUORUM_U8, 'provider', 'auto_tie_breaker_node']);
const QDEVICE_U32 = new Set(['timeout', 'sync_timeout', 'votes']);
const LOGGING_KNOWN = new Set([
  'timestamp', 'fileline', 'function_name', 'blackbox', 'to_stderr', 'to_logfile', 'to_syslog', 'logfile',
  'logfile_priority', 'syslog_facility', 'syslog_priority', 'debug', 'subsys', 'tags', 'name',
]);
const SYSTEM_KNOWN = new Set(['qb_ipc_type', 'sched_rr', 'priority', 'move_to_root_cgroup', 'allow_knet_handle_fallback', 'state_dir']);
const NOZZLE_KNOWN = new Set(['name', 'ipaddr', 'ipprefix', 'macaddr']);
const TOP_SECTIONS = new Set(['totem', 'logging', 'quorum', 'nodelist', 'system', 'resources', 'nozzle', 'qb', 'uidgid']);

type State =
  | 'normal' | 'totem' | 'interface' | 'member' | 'logger_subsys' | 'logging_daemon' | 'uidgid' | 'quorum' | 'qdevice'
  | 'nodelist' | 'node' | 'system' | 'resources' | 'resources_sub';

const SECTION_STATES: Readonly<Record<string, State>> = {
  totem: 'totem',
  'totem.interface': 'interface',
  'totem.interface.member': 'member',
  system: 'system',
  'logging.logger_subsys': 'logger_subsys',
  'logging.logging_daemon': 'logging_daemon',
  uidgid: 'uidgid',
  quorum: 'quorum',
  'quorum.device': 'qdevice',
  nodelist: 'nodelist',
  'nodelist.node': 'node',
  resources: 'resources',
  'resources.system': 'resources_sub',
  'resources.system.memory_used': 'resources_sub',
  'resources.process': 'resources_sub',
  'resources.process.memory_used': 'resources_sub',
};

const KEY_NAME_CHARS = /^[a-zA-Z0-9._\-/:]+$/;

class Builder {
  readonly cmap = new Map<string, CmapEntry>();
  readonly findings: Finding[] = [];
  readonly sections = new Map<string, number>();
  nodeNumber = 0;
  readonly nodeLines = new Map<number, number>();
  readonly interfaceLines = new Map<number, number>();
  private failed = false;

  constructor(readonly version: CorosyncVersion) {}

  /** Value errors stop corosync; we keep reading to report more, but mark the build failed. */
  error(e: ConfEntry, code: string, message: string, action: string, corosyncText: string = message): void {
    this.failed = true;
    this.findings.push(finding(code, 'error', { line: e.line, column: e.valueColumn }, message, action, corosyncText));
  }

  warn(at: { line: number; column?: number }, code: string, message: string, action: string, corosyncText?: string): void {
    this.findings.push(finding(code, 'warning', at, message, action, corosyncText));
  }

  set(key: string, entry: Omit<CmapEntry, 'keyColumn'> & { keyColumn?: number }): void {
    if (!KEY_NAME_CHARS.test(key) || key.length < 3) {
      this.failed = true;
      this.findings.push(
        finding(
          'conf.invalid-key-name',
          'error',
          { line: entry.line, column: entry.keyColumn ?? 1 },
          `"${key}" is not a valid configuration key (allowed: letters, digits and . _ - / :)`,
          'Fix the key name; blanks inside names are not allowed.',
          `Can't store key "${key}" into icmap, returned error is CS_ERR_NAME_TOO_LONG`,
        ),
      );
      return;
    }
    const previous = this.cmap.get(key);
    if (previous !== undefined && previous.line !== entry.line) {
      this.warn(
        { line: entry.line, column: entry.keyColumn ?? 1 },
        'conf.duplicate-key',
        `${key} is set again (first at line ${previous.line}); corosync uses the last value (${String(entry.value)}), the earlier one (${String(previous.value)}) is ignored`,
        'Keep one definition of the key.',
      );
    }
    this.cmap.set(key, { keyColumn: 1, ...entry });
  }

  integer(e: ConfEntry, type: Exclude<CmapType, 'string' | 'u64'>, keyName: string = e.path): number | undefined {
    const n = parseCInteger(e.value, type);
    if (n === undefined) {
      const [min, max] = INT_RANGES[type];
      const text = `Value of key "${keyName}" is expected to be integer in range (${min}..${max}), but "${e.value}" was given`;
      const hint = / #/.test(e.value) ? ' (corosync.conf has no inline comments: put the comment on its own line)' : '';
      this.error(e, 'conf.value-not-integer', `${text}${hint}`, `Write a plain decimal number between ${min} and ${max}.`, text);
    }
    return n;
  }

  get isFailed(): boolean {
    return this.failed;
  }
}

function stringChecks(b: Builder, e: ConfEntry): void {
  if (/^(["']).*\1$/.test(e.value) && e.value.length >= 2) {
    b.warn(
      { line: e.line, column: e.valueColumn },
      'conf.quoted-value',
      `The value of ${e.key} is ${e.value} with the quotes: corosync does not strip quotes`,
      'Remove the quotes unless they are meant to be part of the value.',
    );
  } else if (/[ \t]#/.test(e.value)) {
    b.warn(
      { line: e.line, column: e.valueColumn + e.value.search(/[ \t]#/) + 1 },
      'conf.inline-comment',
      `The value of ${e.key} is "${e.value}": corosync has no inline comments, the # text is part of the value`,
      'Move the comment to its own line.',
    );
  }
}

function unknownKey(b: Builder, e: ConfEntry, where: string): void {
  b.warn({ line: e.line, column: e.keyColumn }, 'conf.unknown-key', `Unknown key ${e.key} in ${where}: corosync stores it but nothing reads it`, 'Check the spelling against corosync.conf(5) or remove it.');
}

interface InterfaceData {
  linknumber: number;
  linkLine: number;
  values: Map<InterfaceKey, { entry: ConfEntry; value: string | number }>;
  members: ConfEntry[];
}

interface LoggerData {
  subsys?: ConfEntry;
  name?: ConfEntry;
  items: ConfEntry[];
}

function walk(b: Builder, section: ConfSection, state: State, iface: InterfaceData | undefined, logger: LoggerData | undefined): void {
  for (const item of section.items) {
    if (isSection(item)) {
      enterSection(b, item, state, iface, logger);
      continue;
    }
    handleItem(b, item, state, iface, logger);
  }
}

function enterSection(b: Builder, s: ConfSection, parentState: State, parentIface: InterfaceData | undefined, parentLogger: LoggerData | undefined): void {
  const state = SECTION_STATES[s.path] ?? parentState;
  if (!s.path.includes('.')) {
    if (!b.sections.has(s.path)) b.sections.set(s.path, s.line);
    if (!TOP_SECTIONS.has(s.path)) {
      b.warn({ line: s.line, column: s.column }, 'conf.unknown-section', `Unknown top-level section ${s.name}: corosync stores its keys but nothing reads them`, 'Check the section name against corosync.conf(5).');
    }
  }
  if (state === 'nodelist' && s.path === 'nodelist') {
    if (b.nodeNumber > 0) {
      b.warn({ line: s.line, column: s.column }, 'nodelist.second-section', `A second nodelist section starts again at node position 0: its nodes overwrite the keys of the first ${b.nodeNumber} node(s)`, 'Put every node into one nodelist section.');
    }
    b.nodeNumber = 0;
  }
  if (state === 'interface' && s.path === 'totem.interface') {
    const data: InterfaceData = { linknumber: 0, linkLine: s.line, values: new Map(), members: [] };
    walk(b, s, state, data, undefined);
    endInterface(b, data);
    return;
  }
  if ((state === 'logger_subsys' && s.path === 'logging.logger_subsys') || (state === 'logging_daemon' && s.path === 'logging.logging_daemon')) {
    const data: LoggerData = { items: [] };
    walk(b, s, state, undefined, data);
    endLogger(b, s, state, data);
    return;
  }
  if (state === 'node' && s.path === 'nodelist.node') {
    if (!b.nodeLines.has(b.nodeNumber)) b.nodeLines.set(b.nodeNumber, s.line);
    walk(b, s, state, undefined, undefined);
    b.nodeNumber++;
    return;
  }
  walk(b, s, state, parentIface, parentLogger);
}

function handleItem(b: Builder, e: ConfEntry, state: State, iface: InterfaceData | undefined, logger: LoggerData | undefined): void {
  const at = { line: e.line, column: e.valueColumn, keyColumn: e.keyColumn };
  switch (state) {
    case 'totem': {
      const key = e.path.slice('totem.'.length);
      if ((TOTEM_U32_KEYS as readonly string[]).includes(key)) {
        const n = b.integer(e, 'u32');
        if (n !== undefined) b.set(e.path, { value: n, type: 'u32', ...at });
        if (b.version === 3 && TOTEM_ONLY_V2.has(key)) {
          b.warn({ line: e.line, column: e.keyColumn }, 'totem.obsolete-key', `${key} is a corosync 2.x (RRP) option; corosync 3 reads it but ignores it`, 'Remove it; with knet use link_mode and knet_link_priority instead.');
        }
        if (b.version === 2 && TOTEM_ONLY_V3.has(key)) unknownKey(b, e, 'totem (corosync 2.x)');
        return;
      }
      if (key === 'knet_compression_level') {
        const n = b.integer(e, 'i32');
        if (n !== undefined) b.set(e.path, { value: n, type: 'i32', ...at });
        if (b.version === 2) unknownKey(b, e, 'totem (corosync 2.x)');
        return;
      }
      if (key === 'config_version') {
        const v = parseULL(e.value);
        if (v === undefined) {
          const text = `Value of key "${e.path}" is expected to be integer in range (0..18446744073709551615), but "${e.value}" was given`;
          b.error(e, 'conf.value-not-integer', text, 'Write a plain decimal number.', text);
        } else b.set(e.path, { value: v, type: 'u64', ...at });
        return;
      }
      const en = (b.version === 2 ? ENUMS_V2[e.path] : undefined) ?? (b.version === 3 ? ENUMS[e.path] : undefined);
      if (en !== undefined && !en.values.includes(e.value)) {
        b.error(e, 'conf.invalid-value', `${en.message} (got "${e.value}")`, `Use one of: ${en.values.join(', ')}.`, en.message);
        return;
      }
      if (!(TOTEM_STRING_KEYS as readonly string[]).includes(key)) unknownKey(b, e, 'totem');
      else if (b.version === 3 && TOTEM_ONLY_V2.has(key)) {
        b.warn({ line: e.line, column: e.keyColumn }, 'totem.obsolete-key', `${key} is a corosync 2.x option; corosync 3 ignores it`, key === 'rrp_mode' ? 'Remove it; knet links are configured with link_mode and knet_link_priority.' : 'Remove it.');
      } else if (b.version === 2 && TOTEM_ONLY_V3.has(key)) unknownKey(b, e, 'totem (corosync 2.x)');
      stringChecks(b, e);
      b.set(e.path, { value: e.value, type: 'string', ...at });
      return;
    }
    case 'interface': {
      if (iface === undefined) return;
      const linkKey = b.version === 3 ? 'linknumber' : 'ringnumber';
      if (e.key === linkKey) {
        const n = b.integer(e, 'u8', e.path);
        if (n !== undefined) {
          iface.linknumber = n;
          iface.linkLine = e.line;
        }
        return;
      }
      if ((INTERFACE_KEYS as readonly string[]).includes(e.key)) {
        const key = e.key as InterfaceKey;
        const type = INTERFACE_TYPES[key];
        if (b.version === 2 && key.startsWith('knet_')) {
          unknownKey(b, e, 'interface (corosync 2.x)');
          b.set(e.path, { value: e.value, type: 'string', ...at });
          return;
        }
        let value: string | number | undefined = e.value;
        if (type !== 'string' && type !== 'u64') value = b.integer(e, type);
        if (value === undefined) return;
        const previous = iface.values.get(key);
        if (previous !== undefined) {
          b.warn({ line: e.line, column: e.keyColumn }, 'conf.duplicate-key', `${key} is set twice in this interface section (first at line ${previous.entry.line}); the last value is used`, 'Keep one definition of the key.');
        }
        iface.values.set(key, { entry: e, value });
        return;
      }
      if (e.key === (b.version === 3 ? 'ringnumber' : 'linknumber')) {
        b.warn({ line: e.line, column: e.keyColumn }, 'interface.wrong-link-key', `corosync ${b.version} reads ${linkKey}, not ${e.key}: this interface section is treated as link ${iface.linknumber}`, `Rename ${e.key} to ${linkKey}.`);
      } else unknownKey(b, e, 'interface');
      b.set(e.path, { value: e.value, type: 'string', ...at });
      return;
    }
    case 'member': {
      if (iface === undefined) return;
      if (e.key !== 'memberaddr') {
        b.error(e, 'interface.member-key', 'Only memberaddr is allowed in member section', 'Use memberaddr: or (better) move the member to the nodelist.');
        return;
      }
      iface.members.push(e);
      return;
    }
    case 'node': {
      const key = `nodelist.node.${b.nodeNumber}.${e.key}`;
      if (e.key === 'nodeid' || e.key === 'quorum_votes') {
        const n = b.integer(e, 'u32', key);
        if (n !== undefined) b.set(key, { value: n, type: 'u32', ...at });
        return;
      }
      const ring = /^ring(\d+)_addr$/.exec(e.key);
      if (ring === null && e.key !== 'name') unknownKey(b, e, 'node');
      else stringChecks(b, e);
      b.set(key, { value: e.value, type: 'string', ...at });
      return;
    }
    case 'quorum':
    case 'qdevice': {
      const key = e.path;
      const sub = state === 'quorum' ? key.slice('quorum.'.length) : key.slice('quorum.device.'.length);
      if (state === 'quorum' && QUORUM_U32.has(sub)) {
        const n = b.integer(e, 'u32');
        if (n !== undefined) b.set(key, { value: n, type: 'u32', ...at });
        return;
      }
      if (state === 'quorum' && QUORUM_U8.has(sub)) {
        const n = b.integer(e, 'u8');
        if (n !== undefined) b.set(key, { value: n, type: 'u8', ...at });
        return;
      }
      if (state === 'qdevice' && (QDEVICE_U32.has(sub) || sub === 'master_wins')) {
        const n = b.integer(e, sub === 'master_wins' ? 'u8' : 'u32');
        if (n !== undefined) b.set(key, { value: n, type: sub === 'master_wins' ? 'u8' : 'u32', ...at });
        return;
      }
      if (state === 'quorum' && !QUORUM_KNOWN.has(sub)) unknownKey(b, e, 'quorum');
      b.set(key, { value: e.value, type: 'string', ...at });
      return;
    }
    case 'logger_subsys':
    case 'logging_daemon': {
      if (logger === undefined) return;
      if (e.key === 'subsys') logger.subsys = e;
      else if (e.key === 'name' && state === 'logging_daemon') logger.name = e;
      else {
        if (!LOGGING_KNOWN.has(e.key)) unknownKey(b, e, 'logger_subsys');
        logger.items.push(e);
      }
      return;
    }
    case 'uidgid': {
      if (e.key === 'uid' || e.key === 'gid') {
        b.set(`uidgid.config.${e.key}.${e.value}`, { value: 1, type: 'u8', ...at });
        return;
      }
      b.error(e, 'uidgid.invalid-key', 'uidgid: Only uid and gid are allowed items', 'Use uid: or gid: only.');
      return;
    }
    case 'system': {
      const en = ENUMS[e.path];
      if (en !== undefined && !en.values.includes(e.value)) {
        b.error(e, 'conf.invalid-value', `${en.message} (got "${e.value}")`, `Use one of: ${en.values.join(', ')}.`, en.message);
        return;
      }
      if (e.path.split('.').length === 2 && !SYSTEM_KNOWN.has(e.key)) unknownKey(b, e, 'system');
      b.set(e.path, { value: e.value, type: 'string', ...at });
      return;
    }
    case 'resources':
    case 'resources_sub': {
      if (e.key === 'watchdog_timeout' && state === 'resources') {
        const n = b.integer(e, 'u32');
        if (n !== undefined) b.set(e.path, { value: n, type: 'u32', ...at });
        return;
      }
      if (e.key === 'poll_period' && state === 'resources_sub') {
        const v = parseULL(e.value);
        if (v === undefined) {
          const text = `Value of key "${e.path}" is expected to be integer in range (0..18446744073709551615), but "${e.value}" was given`;
          b.error(e, 'conf.value-not-integer', text, 'Write a plain decimal number.', text);
        } else b.set(e.path, { value: v, type: 'u64', ...at });
        return;
      }
      b.set(e.path, { value: e.value, type: 'string', ...at });
      return;
    }
    case 'nodelist':
      unknownKey(b, e, 'nodelist (only node { } sections belong here)');
      b.set(e.path, { value: e.value, type: 'string', ...at });
      return;
    case 'normal': {
      const top = e.path.split('.')[0] ?? '';
      if (!e.path.includes('.')) unknownKey(b, e, 'the top level');
      else if (top === 'logging' && e.path.split('.').length === 2 && !LOGGING_KNOWN.has(e.key)) unknownKey(b, e, 'logging');
      else if (top === 'nozzle' && !NOZZLE_KNOWN.has(e.key)) unknownKey(b, e, 'nozzle');
      b.set(e.path, { value: e.value, type: 'string', ...at });
      return;
    }
  }
}

function endInterface(b: Builder, d: InterfaceData): void {
  if (!b.interfaceLines.has(d.linknumber)) b.interfaceLines.set(d.linknumber, d.linkLine);
  else {
    b.warn({ line: d.linkLine }, 'interface.duplicate-link', `A second interface section for link ${d.linknumber}: its keys overwrite the first one's (line ${b.interfaceLines.get(d.linknumber) ?? 0})`, `Give each interface section its own ${b.version === 3 ? 'linknumber' : 'ringnumber'}.`);
  }
  for (const [key, { entry, value }] of d.values) {
    b.set(`totem.interface.${d.linknumber}.${key}`, {
      value,
      type: INTERFACE_TYPES[key],
      line: entry.line,
      column: entry.valueColumn,
      keyColumn: entry.keyColumn,
    });
  }
  d.members.forEach((m, i) => {
    b.set(`totem.interface.${d.linknumber}.member.${i}`, { value: m.value, type: 'string', line: m.line, column: m.valueColumn, keyColumn: m.keyColumn });
  });
}

function endLogger(b: Builder, s: ConfSection, state: State, d: LoggerData): void {
  if (state === 'logger_subsys') {
    if (d.subsys === undefined) {
      b.findings.push(finding('logging.subsys-missing', 'error', { line: s.line }, 'No subsys key in logger_subsys directive', 'Add subsys: NAME (e.g. QUORUM) to the logger_subsys section.', 'No subsys key in logger_subsys directive'));
      return;
    }
    const name = d.subsys.value;
    for (const e of d.items) b.set(`logging.logger_subsys.${name}.${e.key}`, { value: e.value, type: 'string', line: e.line, column: e.valueColumn, keyColumn: e.keyColumn });
    b.set(`logging.logger_subsys.${name}.subsys`, { value: name, type: 'string', line: d.subsys.line, column: d.subsys.valueColumn });
    return;
  }
  if (d.name === undefined) {
    b.findings.push(finding('logging.daemon-name-missing', 'error', { line: s.line }, 'No name key in logging_daemon directive', 'Add name: to the logging_daemon section.', 'No name key in logging_daemon directive'));
    return;
  }
  const daemon = d.name.value;
  for (const e of d.items) {
    const base = daemon === 'corosync' ? 'logging' : `logging.logging_daemon.${daemon}`;
    const key = d.subsys === undefined ? `${base}.${e.key}` : `${daemon === 'corosync' ? 'logging.logger_subsys' : base}.${d.subsys.value}.${e.key}`;
    b.set(key, { value: e.value, type: 'string', line: e.line, column: e.valueColumn, keyColumn: e.keyColumn });
  }
}

function setting<T>(e: CmapEntry | undefined, pick: (v: CmapEntry['value']) => T | undefined): Setting<T> | undefined {
  if (e === undefined) return undefined;
  const value = pick(e.value);
  return value === undefined ? undefined : { value, line: e.line, column: e.column };
}
const asNumber = (v: CmapEntry['value']): number | undefined => (typeof v === 'number' ? v : undefined);
const asString = (v: CmapEntry['value']): string | undefined => (typeof v === 'string' ? v : undefined);
const asBig = (v: CmapEntry['value']): bigint | undefined => (typeof v === 'bigint' ? v : undefined);

function readModel(b: Builder, doc: ConfDocument): CorosyncConf {
  const cmap = b.cmap;
  const get = (k: string): CmapEntry | undefined => cmap.get(k);
  const u32: Partial<Record<TotemU32Key, Setting<number>>> = {};
  for (const k of TOTEM_U32_KEYS) {
    const s = setting(get(`totem.${k}`), asNumber);
    if (s !== undefined) u32[k] = s;
  }
  const str: Partial<Record<TotemStringKey, Setting<string>>> = {};
  for (const k of TOTEM_STRING_KEYS) {
    const s = setting(get(`totem.${k}`), asString);
    if (s !== undefined) str[k] = s;
  }
  const level = setting(get('totem.knet_compression_level'), asNumber);
  const configVersion = setting(get('totem.config_version'), asBig);
  const totem: TotemConf = {
    u32,
    str,
    ...(level !== undefined ? { knetCompressionLevel: level } : {}),
    ...(configVersion !== undefined ? { configVersion } : {}),
    line: b.sections.get('totem') ?? 0,
  };

  const links = new Set<number>();
  for (const k of cmap.keys()) {
    const m = /^totem\.interface\.(\d+)\./.exec(k);
    if (m !== null) links.add(Number(m[1]));
  }
  const interfaces: InterfaceConf[] = [...links].sort((x, y) => x - y).map((link) => {
    const out: Record<string, unknown> = { linknumber: link, line: b.interfaceLines.get(link) ?? 0 };
    for (const key of INTERFACE_KEYS) {
      const e = get(`totem.interface.${link}.${key}`);
      if (e !== undefined) out[key] = { value: e.value, line: e.line, column: e.column };
    }
    const members: Setting<string>[] = [];
    for (let i = 0; ; i++) {
      const s = setting(get(`totem.interface.${link}.member.${i}`), asString);
      if (s === undefined) break;
      members.push(s);
    }
    out['members'] = members;
    return out as unknown as InterfaceConf;
  });

  const positions = new Set<number>();
  for (const k of cmap.keys()) {
    const m = /^nodelist\.node\.(\d+)\./.exec(k);
    if (m !== null) positions.add(Number(m[1]));
  }
  const nodes: NodeConf[] = [...positions].sort((x, y) => x - y).map((pos) => {
    const p = `nodelist.node.${pos}.`;
    const rings = new Map<number, Setting<string>>();
    for (const [k, e] of cmap) {
      if (!k.startsWith(p)) continue;
      const m = /^ring(\d+)_addr$/.exec(k.slice(p.length));
      const s = setting(e, asString);
      if (m !== null && s !== undefined) rings.set(Number(m[1]), s);
    }
    const nodeid = setting(get(`${p}nodeid`), asNumber);
    const name = setting(get(`${p}name`), asString);
    const votes = setting(get(`${p}quorum_votes`), asNumber);
    return {
      position: pos,
      line: b.nodeLines.get(pos) ?? 0,
      rings: new Map([...rings].sort((x, y) => x[0] - y[0])),
      ...(nodeid !== undefined ? { nodeid } : {}),
      ...(name !== undefined ? { name } : {}),
      ...(votes !== undefined ? { quorumVotes: votes } : {}),
    };
  });

  const q = (k: string): Setting<number> | undefined => setting(get(`quorum.${k}`), asNumber);
  const quorumFields: Record<string, Setting<number> | Setting<string> | undefined> = {
    provider: setting(get('quorum.provider'), asString),
    expectedVotes: q('expected_votes'),
    votes: q('votes'),
    twoNode: q('two_node'),
    waitForAll: q('wait_for_all'),
    lastManStanding: q('last_man_standing'),
    lastManStandingWindow: q('last_man_standing_window'),
    autoTieBreaker: q('auto_tie_breaker'),
    autoTieBreakerNode: setting(get('quorum.auto_tie_breaker_node'), asString),
    allowDownscale: q('allow_downscale'),
    expectedVotesTracking: q('expected_votes_tracking'),
  };
  let deviceLine = 0;
  const findDevice = (s: ConfSection): void => {
    for (const it of s.items) {
      if (!isSection(it)) continue;
      if (it.path === 'quorum.device' && deviceLine === 0) deviceLine = it.line;
      findDevice(it);
    }
  };
  findDevice(doc.root);
  const deviceModel = setting(get('quorum.device.model'), asString);
  const deviceVotes = setting(get('quorum.device.votes'), asNumber);
  const quorum = {
    line: b.sections.get('quorum') ?? 0,
    ...Object.fromEntries(Object.entries(quorumFields).filter(([, v]) => v !== undefined)),
    ...(deviceLine > 0 ? { device: { line: deviceLine, ...(deviceModel !== undefined ? { model: deviceModel } : {}), ...(deviceVotes !== undefined ? { votes: deviceVotes } : {}) } } : {}),
  } as QuorumConf;

  const options = new Map<string, Setting<string>>();
  const subsys = new Map<string, Map<string, Setting<string>>>();
  const system = new Map<string, Setting<string>>();
  const nozzle = new Map<string, Setting<string>>();
  const resources = new Map<string, Setting<string | number | bigint>>();
  for (const [k, e] of cmap) {
    const s = { value: e.value, line: e.line, column: e.column };
    const parts = k.split('.');
    if (parts[0] === 'logging' && parts.length === 2 && typeof e.value === 'string') options.set(parts[1] ?? '', s as Setting<string>);
    else if (parts[0] === 'logging' && parts[1] === 'logger_subsys' && parts.length === 4 && typeof e.value === 'string') {
      const name = parts[2] ?? '';
      const m = subsys.get(name) ?? new Map<string, Setting<string>>();
      m.set(parts[3] ?? '', s as Setting<string>);
      subsys.set(name, m);
    } else if (parts[0] === 'system' && typeof e.value === 'string') system.set(parts.slice(1).join('.'), s as Setting<string>);
    else if (parts[0] === 'nozzle' && typeof e.value === 'string') nozzle.set(parts.slice(1).join('.'), s as Setting<string>);
    else if (parts[0] === 'resources') resources.set(parts.slice(1).join('.'), s);
  }

  return {
    corosyncVersion: b.version,
    cmap,
    totem,
    interfaces,
    nodes,
    quorum,
    logging: { line: b.sections.get('logging') ?? 0, options, subsys },
    system,
    nozzle,
    resources,
    sections: b.sections,
  };
}

/** Builds the configuration map and the typed model from a parsed file. */
export function buildConf(doc: ConfDocument, corosyncVersion: CorosyncVersion = 3): BuildResult {
  const b = new Builder(corosyncVersion);
  walk(b, doc.root, 'normal', undefined, undefined);
  const conf = readModel(b, doc);
  return { conf, findings: b.findings };
}
