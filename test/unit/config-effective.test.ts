/**
 * Effective totem values (exec/totemconfig.c 3.1.7 and 2.4.6 formulas). The 3.x numbers for 3, 4
 * and 5 nodes were also checked against a running corosync (test/integration/config-effective),
 * and 3650/869/685/4380/912/1825/2737 are the values seen in the reference capture
 * (wire-format.md §6.9).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import {
  buildConf,
  clusterMcastAddr,
  computeEffective,
  findLocalNode,
  generateNodeid,
  loadTotemConfig,
  NodeDirectory,
  parseConfText,
  type CorosyncConf,
  type EffectiveConfig,
} from '../../src/config/index.ts';

function conf(totem: string, nodes: number, opts: { version?: 2 | 3; links?: number; nodeids?: boolean; interfaces?: string } = {}): CorosyncConf {
  const list = Array.from({ length: nodes }, (_, i) => {
    const rings = Array.from({ length: opts.links ?? 1 }, (_, l) => `    ring${l}_addr: ${l === 0 ? '192.0.2' : '198.51.100'}.${i + 1}`).join('\n');
    return `  node {\n${rings}\n${opts.nodeids === false ? '' : `    nodeid: ${i + 1}\n`}    name: n${i + 1}\n  }`;
  }).join('\n');
  const text = `totem {\n  version: 2\n  cluster_name: t\n${totem}\n${opts.interfaces ?? ''}\n}\nnodelist {\n${list}\n}\n`;
  const r = parseConfText(text);
  if (!r.ok) assert.fail(JSON.stringify(r.error));
  return buildConf(r.doc, opts.version ?? 3).conf;
}

const eff = (c: CorosyncConf): EffectiveConfig => computeEffective(c, { localNodePosition: 0 });
const row = (e: EffectiveConfig, name: string) => e.values.find((v) => v.name === name);

test('3.1.7 defaults by node count: token + (n − 2) × 650 and everything derived from it', () => {
  const expected: readonly [number, number, number, number, number, number, number][] = [
    // nodes, token, token_retransmit, hold, consensus, ping_interval, ping_timeout
    [1, 3000, 714, 561, 3600, 750, 1500],
    [2, 3000, 714, 561, 3600, 750, 1500],
    [3, 3650, 869, 685, 4380, 912, 1825],
    [4, 4300, 1023, 808, 5160, 1075, 2150],
    [5, 4950, 1178, 932, 5940, 1237, 2475],
    [16, 12100, 2880, 2294, 14520, 3025, 6050],
  ];
  for (const [n, token, retransmit, hold, consensus, pingInterval, pingTimeout] of expected) {
    const e = eff(conf('', n));
    const t = e.totem;
    assert.deepEqual(
      [t.token, t.tokenRetransmit, t.hold, t.consensus, t.links[0]?.knetPingInterval, t.links[0]?.knetPingTimeout],
      [token, retransmit, hold, consensus, pingInterval, pingTimeout],
      `${n} nodes`,
    );
    assert.equal(t.nodeCount, n);
    assert.equal(t.baseToken, 3000);
    assert.equal(row(e, 'token (effective)')?.origin, n > 2 ? 'derived' : 'default');
    assert.equal(row(e, 'consensus')?.origin, 'derived');
    assert.equal(row(e, 'join')?.origin, 'default');
  }
  const t3 = eff(conf('', 3)).totem;
  assert.equal(t3.tokenWarningMs, 2737);
  assert.deepEqual(
    [t3.join, t3.merge, t3.downcheck, t3.failRecvConst, t3.seqnoUnchangedConst, t3.windowSize, t3.maxMessages, t3.missCountConst, t3.maxNetworkDelay, t3.sendJoin, t3.heartbeatFailuresAllowed, t3.tokenWarningPercent],
    [50, 200, 1000, 2500, 30, 50, 17, 5, 50, 0, 0, 75],
  );
  assert.deepEqual([t3.transport, t3.netmtu, t3.knetPmtudInterval, t3.knetMtu, t3.linkMode, t3.blockUnlistedIps, t3.cancelTokenHoldOnRetransmit], ['knet', 65536, 30, 0, 'passive', true, false]);
  assert.deepEqual(t3.crypto, { model: 'nss', cipher: 'none', hash: 'none' });
  assert.deepEqual(t3.links.map((l) => [l.linknumber, l.port, l.knetLinkPriority, l.knetPongCount, l.knetPingPrecision]), [[0, 5405, 1, 2, 2048]]);
});

test('token set, token_coefficient set, consensus set, zeros mean default', () => {
  let e = eff(conf('  token: 2000\n  token_coefficient: 300', 4));
  assert.equal(e.totem.token, 2600);
  assert.equal(row(e, 'token (effective)')?.why, 'token 2000 + (4 − 2) × token_coefficient 300');
  assert.equal(row(e, 'token')?.origin, 'set');
  assert.equal(row(e, 'token')?.line, 4);
  assert.equal(row(e, 'token_coefficient')?.origin, 'set');
  e = eff(conf('  consensus: 9000', 5));
  assert.equal(e.totem.token, 4950);
  assert.equal(e.totem.consensus, 9000);
  assert.equal(row(e, 'consensus')?.origin, 'set');
  e = eff(conf('  token: 0\n  token_coefficient: 0\n  join: 0\n  token_warning: 0', 5));
  assert.equal(e.totem.token, 3000, 'token 0 → default, coefficient 0 → no scaling');
  assert.equal(e.totem.join, 50, 'join 0 → default');
  assert.equal(e.totem.tokenWarningPercent, 0, 'token_warning 0 is allowed (off)');
  assert.equal(e.totem.tokenWarningMs, 0);
  assert.match(row(e, 'token')?.why ?? '', /token: 0 means default/);
  e = eff(conf('  token: 1500\n  token_retransmits_before_loss_const: 10', 3));
  assert.deepEqual([e.totem.token, e.totem.tokenRetransmit, e.totem.hold, e.totem.consensus], [2150, 210, 158, 2580]);
  e = eff(conf('  token: 4000\n  token_retransmit: 500\n  hold: 200', 4));
  assert.deepEqual([e.totem.token, e.totem.tokenRetransmit, e.totem.hold, e.totem.consensus], [5300, 500, 200, 6360]);
});

test('knet links: ports 5405 + link, priority 0 becomes 1, per-link ping settings, pong_count', () => {
  const e = eff(
    conf('  token: 1500', 3, {
      links: 2,
      interfaces: '  interface {\n    linknumber: 0\n    knet_link_priority: 2\n    knet_pong_count: 3\n  }\n  interface {\n    linknumber: 1\n    knet_link_priority: 0\n    knet_ping_interval: 400\n    knet_ping_timeout: 1200\n    mcastport: 5411\n  }',
    }),
  );
  const [l0, l1] = e.totem.links;
  assert.deepEqual([l0?.port, l0?.knetLinkPriority, l0?.knetPongCount, l0?.knetPingTimeout, l0?.knetPingInterval], [5405, 2, 3, 716, 358]);
  assert.deepEqual([l1?.port, l1?.knetLinkPriority, l1?.knetPongCount, l1?.knetPingTimeout, l1?.knetPingInterval], [5411, 1, 2, 1200, 400]);
  assert.equal(row(e, 'interface.1.knet_link_priority')?.cmapKey, undefined, 'cmap keeps the configured 0');
  assert.equal(row(e, 'interface.0.knet_ping_timeout')?.cmapKey, 'runtime.config.totem.interface.0.knet_ping_timeout');
  assert.equal(l1?.bindnetaddr, '198.51.100.1');
});

test('udp: generated multicast address from cluster_name (corosync quirk: % 0xFF), ports, netmtu 1500', () => {
  assert.equal(clusterMcastAddr('wf', 0, false), '239.192.1.85');
  assert.equal(clusterMcastAddr('wf', 1, false), '239.192.1.86');
  assert.equal(clusterMcastAddr('wf', 0, true), 'ff15::154');
  // 'tsconf' was checked against corosync's totem.interface.0.mcastaddr in the integration test.
  const e = eff(conf('  transport: udp', 2));
  assert.equal(e.totem.links[0]?.mcastaddr, clusterMcastAddr('t', 0, false));
  assert.equal(e.totem.netmtu, 1500);
  assert.equal(e.totem.ipVersion, 'ipv4');
  assert.equal(row(e, 'interface.0.knet_link_priority'), undefined, 'knet-only rows are hidden for udp');
  assert.ok(row(e, 'interface.0.knet_ping_timeout'), 'corosync still publishes ping timers for udp links');
});

test('nodeids: explicit, generated from IPv4 ring0_addr for udp/udpu, clear_node_high_bit, none for knet', () => {
  assert.equal(generateNodeid('192.0.2.1', false), 0xc0000201);
  assert.equal(generateNodeid('192.0.2.1', true), 0x40000201);
  assert.equal(generateNodeid('fe80::1', false), undefined);
  const udpu = eff(conf('  transport: udpu', 3, { nodeids: false }));
  assert.deepEqual(udpu.nodes.map((n) => [n.nodeid, n.nodeidOrigin]), [[0xc0000201, 'generated'], [0xc0000202, 'generated'], [0xc0000203, 'generated']]);
  const knet = eff(conf('', 2, { nodeids: false }));
  assert.deepEqual(knet.nodes.map((n) => n.nodeidOrigin), ['missing', 'missing']);
  const dir = new NodeDirectory(eff(conf('', 3, { links: 2 })).nodes);
  assert.equal(dir.nameOf(2), 'n2');
  assert.equal(dir.nameOf(9), 'node 9');
  assert.deepEqual([...dir.addressesOf(3)], [[0, '192.0.2.3'], [1, '198.51.100.3']]);
  assert.equal(dir.nodeByAddress('198.51.100.2')?.nodeid, 2);
  assert.deepEqual(dir.nodeids, [1, 2, 3]);
});

test('local node: by host name (exact, shortened, domain-stripped) or by address', () => {
  const c = conf('', 3);
  assert.equal(findLocalNode(c, 'n2', []), 1);
  assert.equal(findLocalNode(c, 'n3.example.com', []), 2);
  assert.equal(findLocalNode(c, 'other', ['10.0.0.1', '192.0.2.1']), 0);
  assert.equal(findLocalNode(c, 'other', ['10.0.0.1']), undefined);
});

test('corosync 2.x defaults (--corosync 2): token 1000, udp, 238/180/1200, rrp values, crypto on by default', () => {
  const e = eff(conf('', 2, { version: 2 }));
  const t = e.totem;
  assert.deepEqual([t.token, t.tokenRetransmit, t.hold, t.consensus, t.transport, t.netmtu], [1000, 238, 180, 1200, 'udp', 1500]);
  assert.deepEqual(t.crypto, { model: 'nss', cipher: 'aes256', hash: 'sha1' });
  assert.equal(t.tokenWarningPercent, 0);
  assert.equal(row(e, 'token_warning'), undefined);
  assert.equal(row(e, 'rrp_token_expired_timeout')?.value, 238);
  assert.equal(row(e, 'rrp_problem_count_mcast_threshold')?.value, 100);
  const t3 = eff(conf('', 3, { version: 2 })).totem;
  assert.deepEqual([t3.token, t3.tokenRetransmit, t3.hold, t3.consensus], [1650, 392, 303, 1980]);
  const off = eff(conf('  secauth: off', 2, { version: 2 })).totem;
  assert.deepEqual(off.crypto, { model: 'nss', cipher: 'none', hash: 'none' });
});

test('3.x crypto: secauth on means aes256 + sha256; explicit cipher/hash override', () => {
  assert.deepEqual(eff(conf('  secauth: on', 2)).totem.crypto, { model: 'nss', cipher: 'aes256', hash: 'sha256' });
  assert.deepEqual(eff(conf('  secauth: on\n  crypto_hash: sha512\n  crypto_model: openssl', 2)).totem.crypto, { model: 'openssl', cipher: 'aes256', hash: 'sha512' });
});

test('loadTotemConfig: the reference capture config gives the capture log values', () => {
  const text = readFileSync(new URL('../fixtures/config/capture-knet-plain.conf', import.meta.url), 'utf8');
  const r = loadTotemConfig(text, { addrs: [] });
  assert.ok('totem' in r);
  assert.deepEqual([r.totem.token, r.totem.tokenRetransmit, r.totem.hold, r.totem.consensus, r.totem.tokenWarningMs], [3650, 869, 685, 4380, 2737]);
  assert.deepEqual([r.totem.links[0]?.knetPingInterval, r.totem.links[0]?.knetPingTimeout], [912, 1825]);
  assert.equal(r.nodes.nameOf(3), 'n3');
  const bad = loadTotemConfig('totem {\n');
  assert.ok('error' in bad);
  assert.match(bad.error, /^corosync\.conf:1:1: Missing closing brace/);
});
