/**
 * Every validation finding: one config per finding code that must produce it (with its line where
 * it has one), a check that no finding code in src/config is left without a case, and the
 * `config check` exit status.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { checkConfigText, type CheckOptions, type HostAddress } from '../../src/config/index.ts';

interface NodeSpec {
  readonly rings?: readonly string[];
  readonly nodeid?: number | null;
  readonly name?: string | null;
  readonly extra?: string;
}

function nodelist(nodes: readonly NodeSpec[]): string {
  return [
    'nodelist {',
    ...nodes.map((n, i) => {
      const rings = (n.rings ?? [`192.0.2.${i + 1}`]).map((a, l) => (a === '' ? '' : `    ring${l}_addr: ${a}\n`)).join('');
      const id = n.nodeid === null ? '' : `    nodeid: ${n.nodeid ?? i + 1}\n`;
      const name = n.name === null ? '' : `    name: ${n.name ?? `n${i + 1}`}\n`;
      return `  node {\n${rings}${id}${name}${n.extra ?? ''}  }`;
    }),
    '}',
  ].join('\n');
}

const NODES3: readonly NodeSpec[] = [{}, {}, {}];

/** totem first (line 1 = "totem {", line 2 = version, line 3 = cluster_name, line 4.. = totem text). */
function conf(totem: string, opts: { nodes?: readonly NodeSpec[] | null; quorum?: string | null; tail?: string; version?: string } = {}): string {
  return [
    'totem {',
    `  version: ${opts.version ?? '2'}`,
    '  cluster_name: c',
    totem,
    '}',
    opts.quorum === null ? '' : `quorum {\n  provider: corosync_votequorum\n${opts.quorum ?? ''}\n}`,
    opts.nodes === null ? '' : nodelist(opts.nodes ?? NODES3),
    opts.tail ?? '',
    '',
  ].join('\n');
}

function host(address: string, prefixlen: number, o: Partial<HostAddress> = {}): HostAddress {
  return { ifname: 'eth0', ifindex: 2, family: address.includes(':') ? 6 : 4, address, prefixlen, secondary: false, deprecated: false, tentative: false, interfaceUp: true, mtu: 1500, ...o };
}
const LOCAL1: readonly HostAddress[] = [host('127.0.0.1', 8, { ifname: 'lo', ifindex: 1 }), host('192.0.2.1', 24)];

interface Case {
  readonly code: string;
  readonly text: string;
  readonly line?: number;
  readonly opts?: CheckOptions;
}

const CASES: readonly Case[] = [
  // structure
  { code: 'totem.missing', text: nodelist(NODES3) },
  { code: 'totem.version', text: conf('', { version: '3' }), line: 2 },
  { code: 'totem.transport', text: conf('  transport: tcp'), line: 4 },
  { code: 'totem.cluster-name-missing', text: 'totem {\n  version: 2\n}\n' + nodelist(NODES3) },
  { code: 'totem.nodeid-deprecated', text: conf('  nodeid: 5'), line: 4 },
  { code: 'totem.secauth-deprecated', text: conf('  secauth: on'), line: 4 },
  { code: 'totem.obsolete-key', text: conf('  rrp_mode: passive'), line: 4 },
  // nodelist
  { code: 'nodelist.missing', text: conf('', { nodes: null }) },
  { code: 'nodelist.first-node-empty', text: conf('', { nodes: [{ rings: [''], name: null }, {}] }) },
  { code: 'node.ring0-missing', text: conf('', { nodes: [{}, { rings: [''] }] }) },
  { code: 'node.link-number', text: conf('', { nodes: [{ extra: '    ring9_addr: 10.0.0.1\n' }, {}] }) },
  { code: 'node.extra-link-non-knet', text: conf('  transport: udpu', { nodes: [{ rings: ['192.0.2.1', '198.51.100.1'] }, {}] }) },
  { code: 'node.nodeid-missing-knet', text: conf('', { nodes: [{ nodeid: null }, {}] }), line: 11 },
  { code: 'node.nodeid-missing-ipv6', text: conf('  transport: udpu', { nodes: [{ rings: ['2001:db8::1'], nodeid: null }, { rings: ['2001:db8::2'] }] }) },
  { code: 'node.nodeid-missing', text: conf('  transport: udpu', { nodes: [{ rings: ['host-a'], nodeid: null }, {}] }) },
  { code: 'node.address-hostname', text: conf('', { nodes: [{ rings: ['node-a.example.com'] }, {}] }), line: 12 },
  { code: 'node.nodeid-generated', text: conf('  transport: udpu', { nodes: [{ nodeid: null }, {}] }) },
  { code: 'node.nodeid-too-big-knet', text: conf('', { nodes: [{ nodeid: 70000 }, {}] }) },
  { code: 'node.nodeid-zero', text: conf('  transport: udpu', { nodes: [{ nodeid: 0 }, {}] }) },
  { code: 'node.nodeid-duplicate', text: conf('', { nodes: [{ nodeid: 4 }, { nodeid: 4 }] }) },
  { code: 'node.address-duplicate', text: conf('', { nodes: [{ rings: ['192.0.2.1'] }, { rings: ['192.0.2.1'] }] }) },
  { code: 'node.name-duplicate', text: conf('', { nodes: [{ name: 'a' }, { name: 'a' }] }) },
  { code: 'nodelist.names-required', text: conf('', { nodes: [{ rings: ['192.0.2.1', '198.51.100.1'], name: null }, { rings: ['192.0.2.2', '198.51.100.2'] }] }) },
  { code: 'nodelist.link-count-mismatch', text: conf('', { nodes: [{ rings: ['192.0.2.1', '198.51.100.1'] }, { rings: ['192.0.2.2'] }] }) },
  { code: 'nodelist.mixed-families', text: conf('', { nodes: [{ rings: ['192.0.2.1'] }, { rings: ['2001:db8::2'] }] }) },
  { code: 'nodelist.local-node-missing', text: conf(''), opts: { hostname: 'elsewhere', addrs: [host('10.9.9.9', 24)] } },
  { code: 'nodelist.local-nodeid-knet', text: conf('', { nodes: [{ nodeid: null }, {}] }), opts: { hostname: 'n1' } },
  // interfaces
  { code: 'interface.link-number', text: conf('  interface {\n    linknumber: 9\n    knet_link_priority: 2\n  }') },
  { code: 'interface.bindnetaddr-with-nodelist', text: conf('  interface {\n    bindnetaddr: 192.0.2.0\n  }'), line: 5 },
  { code: 'interface.members-ignored', text: conf('  interface {\n    member {\n      memberaddr: 192.0.2.1\n    }\n  }') },
  { code: 'interface.members-deprecated', text: conf('  transport: udpu\n  interface {\n    bindnetaddr: 192.0.2.0\n    member {\n      memberaddr: 192.0.2.1\n    }\n  }', { nodes: null }) },
  { code: 'interface.ttl-non-multicast', text: conf('  interface {\n    ttl: 4\n  }'), line: 5 },
  { code: 'interface.priority-non-knet', text: conf('  transport: udpu\n  interface {\n    knet_link_priority: 4\n  }'), line: 6 },
  { code: 'interface.port-zero', text: conf('  interface {\n    mcastport: 0\n  }') },
  { code: 'interface.mcastaddr-ignored', text: conf('  interface {\n    mcastaddr: 239.1.1.1\n  }') },
  { code: 'interface.broadcast-and-mcastaddr', text: conf('  transport: udp\n  interface {\n    broadcast: yes\n    mcastaddr: 239.1.1.1\n  }') },
  { code: 'interface.ping-pair', text: conf('  interface {\n    knet_ping_interval: 200\n  }') },
  { code: 'interface.knet-transport', text: conf('  interface {\n    knet_transport: tcp\n  }') },
  { code: 'interface.wrong-link-key', text: conf('  interface {\n    ringnumber: 1\n  }') },
  { code: 'interface.duplicate-link', text: conf('  interface {\n    knet_link_priority: 2\n  }\n  interface {\n    knet_link_priority: 3\n  }') },
  { code: 'interface.member-key', text: conf('  interface {\n    member {\n      addr: 1\n    }\n  }') },
  { code: 'totem.links-non-knet', text: conf('  transport: udpu', { nodes: [{ rings: ['192.0.2.1', '198.51.100.1'] }, { rings: ['192.0.2.2', '198.51.100.2'] }] }) },
  { code: 'totem.no-interfaces', text: conf('', { nodes: [{ rings: [''] }, { rings: [''] }] }) },
  { code: 'interface.mcastaddr-missing', text: 'totem {\n  version: 2\n  transport: udp\n}\n' + nodelist(NODES3) },
  { code: 'interface.mcastaddr-not-multicast', text: conf('  transport: udp\n  interface {\n    mcastaddr: 10.1.1.1\n  }'), line: 6 },
  { code: 'interface.mcastaddr-224', text: conf('  transport: udp\n  interface {\n    mcastaddr: 224.0.0.100\n  }'), line: 6 },
  { code: 'interface.mcastaddr-family', text: conf('  transport: udp\n  interface {\n    mcastaddr: ff15::1\n  }'), opts: { hostname: 'n1' } },
  { code: 'interface.mcast-pair-collision', text: conf('  transport: udp\n  interface {\n    linknumber: 0\n    bindnetaddr: 192.0.2.0\n    mcastaddr: 239.1.1.1\n  }\n  interface {\n    linknumber: 1\n    bindnetaddr: 198.51.100.0\n    mcastaddr: 239.1.1.1\n    mcastport: 5406\n  }', { nodes: null }) },
  // knet links
  { code: 'totem.link-mode', text: conf('  link_mode: fastest'), line: 4 },
  { code: 'totem.link-mode-non-knet', text: conf('  transport: udpu\n  link_mode: active') },
  { code: 'knet.priority-ignored', text: conf('  link_mode: active\n  interface {\n    linknumber: 1\n    knet_link_priority: 5\n  }', { nodes: [{ rings: ['192.0.2.1', '198.51.100.1'] }, { rings: ['192.0.2.2', '198.51.100.2'] }] }) },
  { code: 'knet.priority-tie', text: conf('', { nodes: [{ rings: ['192.0.2.1', '198.51.100.1'] }, { rings: ['192.0.2.2', '198.51.100.2'] }] }) },
  { code: 'knet.priority-link-unreachable', text: conf('  interface {\n    linknumber: 1\n    knet_link_priority: 9\n  }', { nodes: [{ rings: ['192.0.2.1', '198.51.100.1'] }, { rings: ['192.0.2.2'] }] }) },
  { code: 'knet.ping-timeout-above-token', text: conf('  token: 1000\n  interface {\n    knet_ping_interval: 500\n    knet_ping_timeout: 5000\n  }'), line: 7 },
  { code: 'knet.ping-interval-vs-timeout', text: conf('  interface {\n    knet_ping_interval: 900\n    knet_ping_timeout: 800\n  }') },
  // crypto
  { code: 'crypto.cipher-without-hash', text: conf('  crypto_cipher: aes256\n  crypto_hash: none'), line: 4 },
  { code: 'crypto.non-knet', text: conf('  transport: udpu\n  crypto_cipher: aes256\n  crypto_hash: sha256'), line: 5 },
  { code: 'crypto.off', text: conf('') },
  { code: 'crypto.hash-only', text: conf('  crypto_hash: sha1'), line: 4 },
  { code: 'crypto.inline-key', text: conf(`  crypto_hash: sha1\n  key: ${'k'.repeat(200)}`), line: 5 },
  { code: 'crypto.key-too-short', text: conf('  crypto_hash: sha1\n  key: short'), line: 5 },
  { code: 'crypto.keyfile-unreadable', text: conf('  crypto_cipher: aes256\n  crypto_hash: sha256'), opts: { keyfile: (path) => ({ path, error: 'ENOENT' }) } },
  { code: 'crypto.keyfile-too-short', text: conf('  crypto_hash: sha256\n  keyfile: /etc/corosync/short.key'), line: 5, opts: { keyfile: (path) => ({ path, size: 64 }) } },
  { code: 'crypto.keyfile-long', text: conf('  crypto_hash: sha256'), opts: { keyfile: (path) => ({ path, size: 5000 }) } },
  // timers
  { code: 'totem.max_network_delay-too-small', text: conf('  max_network_delay: 10'), line: 4 },
  { code: 'totem.token-too-small', text: conf('  token: 20', { nodes: [{}, {}] }), line: 4 },
  { code: 'totem.token_warning-range', text: conf('  token_warning: 150'), line: 4 },
  { code: 'totem.token_retransmit-too-small', text: conf('  token: 100\n  token_retransmits_before_loss_const: 10', { nodes: [{}, {}] }) },
  { code: 'totem.token_retransmit-too-small', text: conf('  token_retransmit: 20'), line: 4 },
  { code: 'totem.hold-too-small', text: conf('  hold: 5'), line: 4 },
  { code: 'totem.join-too-small', text: conf('  join: 10'), line: 4 },
  { code: 'totem.consensus-too-small', text: conf('  consensus: 10'), line: 4 },
  { code: 'totem.consensus-below-join', text: conf('  join: 500\n  consensus: 400'), line: 5 },
  { code: 'totem.merge-too-small', text: conf('  merge: 10'), line: 4 },
  { code: 'totem.downcheck-too-small', text: conf('  downcheck: 10'), line: 4 },
  { code: 'totem.consensus-below-1.2-token', text: conf('  token: 5000\n  consensus: 4000'), line: 5 },
  { code: 'totem.token_retransmit-vs-token', text: conf('  token: 1000\n  token_retransmit: 900', { nodes: [{}, {}] }), line: 5 },
  { code: 'totem.hold-above-retransmit', text: conf('  hold: 900'), line: 4 },
  { code: 'totem.token-warning-spurious', text: conf('  token_warning: 10') },
  { code: 'totem.heartbeat', text: conf('  heartbeat_failures_allowed: 3'), line: 4 },
  { code: 'totem.send-join', text: conf('', { nodes: Array.from({ length: 33 }, () => ({})) }) },
  { code: 'totem.short-token', text: conf('  token: 500', { nodes: [{}, {}] }), line: 4 },
  { code: 'totem.block-unlisted-ips', text: conf('  block_unlisted_ips: no'), line: 4 },
  { code: 'totem.window-size', text: conf('  transport: udpu\n  window_size: 300'), line: 5 },
  { code: 'totem.max-messages', text: conf('  transport: udpu\n  max_messages: 200\n  window_size: 200') },
  { code: 'totem.max-messages-above-window', text: conf('  max_messages: 60'), line: 4 },
  { code: 'totem.netmtu-jumbo', text: conf('  transport: udpu\n  netmtu: 9000'), line: 5 },
  // 2.x
  { code: 'totem.rrp-mode', text: conf('  rrp_mode: both'), opts: { corosyncVersion: 2 } },
  { code: 'totem.rrp-too-many', text: conf('', { nodes: [{ rings: ['192.0.2.1', '198.51.100.1'] }, { rings: ['192.0.2.2', '198.51.100.2'] }] }), opts: { corosyncVersion: 2, hostname: 'n1' } },
  { code: 'totem.rrp-active', text: conf('  rrp_mode: active'), opts: { corosyncVersion: 2 } },
  { code: 'totem.rrp-threshold-vs-token', text: conf('  rrp_mode: passive\n  rrp_problem_count_threshold: 20', { nodes: [{ rings: ['192.0.2.1', '198.51.100.1'] }, { rings: ['192.0.2.2', '198.51.100.2'] }] }), opts: { corosyncVersion: 2, hostname: 'n1' } },
  { code: 'totem.rrp-threshold-min', text: conf('  rrp_problem_count_threshold: 1'), opts: { corosyncVersion: 2 } },
  // quorum
  { code: 'quorum.no-provider', text: conf('', { quorum: null }) },
  { code: 'quorum.provider', text: 'totem {\n  version: 2\n}\nquorum {\n  provider: corosync_quorum\n}\n' + nodelist(NODES3), line: 5 },
  { code: 'quorum.no-nodelist-no-expected', text: conf('  transport: udpu\n  interface {\n    bindnetaddr: 192.0.2.0\n  }', { nodes: null }) },
  { code: 'quorum.two-node-more-nodes', text: conf('', { quorum: '  two_node: 1' }), line: 8 },
  { code: 'quorum.two-node-qdevice', text: conf('', { nodes: [{}, {}], quorum: '  two_node: 1\n  device {\n    model: net\n    votes: 1\n  }' }) },
  { code: 'quorum.two-node-atb', text: conf('', { nodes: [{}, {}], quorum: '  two_node: 1\n  auto_tie_breaker: 1' }) },
  { code: 'quorum.two-nodes-without-two-node', text: conf('', { nodes: [{}, {}] }) },
  { code: 'quorum.atb-odd-no-wfa', text: conf('', { quorum: '  auto_tie_breaker: 1' }) },
  { code: 'quorum.atb-lms-odd', text: conf('', { quorum: '  auto_tie_breaker: 1\n  last_man_standing: 1' }) },
  { code: 'quorum.qdevice-lms', text: conf('', { quorum: '  last_man_standing: 1\n  device {\n    model: net\n  }' }) },
  { code: 'quorum.expected-votes-mismatch', text: conf('', { quorum: '  expected_votes: 5' }) },
  { code: 'quorum.atb-node-meaningless', text: conf('', { quorum: '  auto_tie_breaker_node: lowest' }) },
  // logging
  { code: 'logging.logfile-missing', text: conf('', { tail: 'logging {\n  to_logfile: yes\n}' }) },
  { code: 'logging.logfile-unused', text: conf('', { tail: 'logging {\n  to_logfile: no\n  logfile: /tmp/x\n}' }) },
  { code: 'logging.bool', text: conf('', { tail: 'logging {\n  to_syslog: maybe\n}' }) },
  { code: 'logging.daemon-name-missing', text: conf('', { tail: 'logging {\n  logging_daemon {\n    debug: on\n  }\n}' }) },
  { code: 'logging.subsys-missing', text: conf('', { tail: 'logging {\n  logger_subsys {\n    debug: on\n  }\n}' }) },
  // parse-level
  { code: 'conf.duplicate-key', text: conf('  token: 1\n  token: 2') },
  { code: 'conf.inline-comment', text: conf('  cluster_name: a # b') },
  { code: 'conf.quoted-value', text: conf("  link_mode: 'passive'") },
  { code: 'conf.invalid-key-name', text: conf('  to ken: 1') },
  { code: 'conf.invalid-value', text: conf('  ip_version: ipv5') },
  { code: 'conf.unknown-key', text: conf('  tokn: 1') },
  { code: 'conf.unknown-section', text: conf('', { tail: 'totme {\n}' }) },
  { code: 'conf.value-not-integer', text: conf('  token: 3s') },
  { code: 'nodelist.second-section', text: conf('', { tail: nodelist([{}]) }) },
  { code: 'uidgid.invalid-key', text: conf('', { tail: 'uidgid {\n  user: x\n}' }) },
  // addresses (udpu: corosync's network match; knet: exact address)
  { code: 'addr.no-match', text: conf('  transport: udpu'), opts: { hostname: 'n1', addrs: [host('10.0.0.1', 24)] } },
  { code: 'addr.local-missing', text: conf(''), opts: { hostname: 'n1', addrs: [host('192.0.2.77', 24)] } },
  { code: 'addr.local-not-exact', text: conf('  transport: udpu'), opts: { hostname: 'n1', addrs: [host('192.0.2.77', 24)] } },
  { code: 'addr.several-matches', text: conf('  transport: udp\n  interface {\n    bindnetaddr: 192.0.2.0\n  }', { nodes: null }), opts: { addrs: [host('192.0.2.100', 24, { label: 'eth0:1' }), host('192.0.2.1', 24, { secondary: true })] } },
  { code: 'addr.alias-chosen', text: conf('  transport: udp\n  interface {\n    bindnetaddr: 192.0.2.0\n  }', { nodes: null }), opts: { addrs: [host('192.0.2.100', 24, { label: 'eth0:1', secondary: true })] } },
  { code: 'addr.interface-down', text: conf(''), opts: { hostname: 'n1', addrs: [host('192.0.2.1', 24, { interfaceUp: false })] } },
  { code: 'addr.netmtu-above-mtu', text: conf('  transport: udpu'), opts: { hostname: 'n1', addrs: [host('192.0.2.1', 24, { mtu: 1400 })] } },
  { code: 'addr.knet-mtu-above-mtu', text: conf('  knet_mtu: 9000'), opts: { hostname: 'n1', addrs: LOCAL1 } },
  { code: 'addr.other-node-local', text: conf(''), opts: { hostname: 'n1', addrs: [...LOCAL1, host('192.0.2.2', 24, { secondary: true })] } },
];

for (const c of CASES) {
  test(`finding ${c.code}${c.line !== undefined ? ` at line ${c.line}` : ''}`, () => {
    const report = checkConfigText(c.text, c.opts);
    const hit = report.findings.filter((f) => f.code === c.code);
    assert.ok(hit.length > 0, `${c.code} not produced; got ${report.findings.map((f) => `${f.code}@${f.line ?? '-'}`).join(', ')}`);
    if (c.line !== undefined) assert.ok(hit.some((f) => f.line === c.line), `${c.code} at line ${c.line}; got lines ${hit.map((f) => f.line ?? '-').join(',')}`);
    for (const f of hit) {
      assert.ok(f.message.length > 10 && f.action.length > 5, 'has a reason and an action');
      if (f.severity === 'error') assert.equal(report.ok, false);
    }
  });
}

test('every finding code in src/config has a case above', () => {
  const src = ['validate.ts', 'model.ts', 'check.ts'].map((f) => readFileSync(new URL(`../../src/config/${f}`, import.meta.url), 'utf8')).join('\n');
  const codes = new Set<string>();
  for (const m of src.matchAll(/(?:err|errDirect|warn|info|add\(finding|finding|b\.error|b\.warn)\(\s*(?:\{[^}]*\},\s*)?'([a-z0-9]+\.[a-z0-9._-]+)'/g)) codes.add(m[1] ?? '');
  for (const m of src.matchAll(/'([a-z]+\.[a-z0-9-]+)'\s*:\s*'[a-z]+\.[a-z0-9-]+'/g)) codes.add(m[1] ?? '');
  for (const name of ['max_network_delay', 'token', 'token_retransmit', 'hold', 'join', 'consensus', 'merge', 'downcheck']) codes.add(`totem.${name}-too-small`);
  codes.add('interface.members-ignored');
  codes.add('interface.members-deprecated');
  codes.delete('conf.syntax');
  const covered = new Set(CASES.map((c) => c.code));
  const missing = [...codes].filter((c) => !covered.has(c)).sort();
  assert.deepEqual(missing, []);
  assert.ok(codes.size > 100, `found ${codes.size} codes`);
});

test('a clean 3-node knet config has no errors or warnings', () => {
  const report = checkConfigText(conf('  crypto_cipher: aes256\n  crypto_hash: sha256'), { hostname: 'n1', addrs: LOCAL1 });
  assert.deepEqual(report.findings.filter((f) => f.severity !== 'info').map((f) => f.code), []);
  assert.equal(report.ok, true);
});

test('corosync verbatim messages for refusals', () => {
  const kf = checkConfigText(conf('  crypto_hash: sha256'), { keyfile: (path) => ({ path, size: 64 }) });
  assert.equal(kf.findings.find((f) => f.code === 'crypto.keyfile-too-short')?.corosync, 'Could only read 512 bits of minimum 1024 bits from /etc/corosync/authkey.');
  const r = checkConfigText(conf('  transport: udpu\n  crypto_cipher: aes256\n  crypto_hash: sha256'));
  assert.equal(r.findings.find((f) => f.code === 'crypto.non-knet')?.corosync, 'parse error in config: crypto_cipher & crypto_hash are only valid for the Knet transport.');
  const k = checkConfigText(conf('', { nodes: [{ nodeid: null }, {}] }));
  assert.equal(k.findings.find((f) => f.code === 'node.nodeid-missing-knet')?.corosync, "Knet requires an explicit nodeid to be specified for address '192.0.2.1'.");
  const d = checkConfigText(conf('  transport: udpu', { nodes: [{ nodeid: null }, { nodeid: 0xc0000201 }] }));
  assert.equal(d.findings.find((f) => f.code === 'node.nodeid-duplicate')?.corosync, 'Nodeid 3221225985 appears twice in corosync.conf');
});

test('totemscope config check: exit status 0 / 1 / 2, JSON output', () => {
  const bin = new URL('../../bin/totemscope.mjs', import.meta.url).pathname;
  const fixture = new URL('../fixtures/config/capture-knet-plain.conf', import.meta.url).pathname;
  const ok = spawnSync(process.execPath, [bin, 'config', 'check', fixture, '--json'], { encoding: 'utf8' });
  assert.equal(ok.status, 0, ok.stderr);
  const json = JSON.parse(ok.stdout) as { ok: boolean; totem: { token: number }; values: unknown[] };
  assert.equal(json.ok, true);
  assert.equal(json.totem.token, 3650);
  const addrs = new URL('../fixtures/config/ip-addr-floating-first.json', import.meta.url).pathname;
  const udp = new URL('../fixtures/config/capture-udp.conf', import.meta.url).pathname;
  const bad = spawnSync(process.execPath, [bin, 'config', 'check', udp, '--addrs', addrs], { encoding: 'utf8' });
  assert.equal(bad.status, 1, 'udp config whose subnet is not on this host: error');
  assert.match(bad.stdout, /addr\.no-match/);
  const missing = spawnSync(process.execPath, [bin, 'config', 'check', '/nonexistent/corosync.conf'], { encoding: 'utf8' });
  assert.equal(missing.status, 2);
});
