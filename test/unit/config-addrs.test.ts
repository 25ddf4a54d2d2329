/**
 * Address selection on `ip -j addr` output recorded in a lab namespace (eth0 192.0.2.1/24 and a
 * floating 192.0.2.100/24 labelled eth0:1). test/integration/config-bindaddr.test.ts shows that real
 * corosync 3.1.7 binds to exactly what the corosync rule picks in both states.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { addressBytes, checkConfigText, parseIpAddrJson, selectBindAddress, type HostAddress } from '../../src/config/index.ts';

function fixture(name: string): HostAddress[] {
  const a = parseIpAddrJson(readFileSync(new URL(`../fixtures/config/${name}`, import.meta.url), 'utf8'));
  if (a instanceof Error) throw a;
  return a;
}

test('ip -j addr parsing: kernel order, labels, secondary flag, IPv4 before IPv6', () => {
  const a = fixture('ip-addr-floating-secondary.json');
  assert.deepEqual(a.map((x) => [x.ifname, x.address, x.prefixlen, x.label, x.secondary]), [
    ['lo', '127.0.0.1', 8, 'lo', false],
    ['eth0', '192.0.2.1', 24, 'eth0', false],
    ['eth0', '192.0.2.100', 24, 'eth0:1', true],
  ]);
  const v6 = parseIpAddrJson(JSON.stringify([{ ifindex: 2, ifname: 'eth0', flags: ['UP'], mtu: 9000, addr_info: [{ family: 'inet6', local: '2001:db8::5', prefixlen: 64 }, { family: 'inet', local: '192.0.2.5', prefixlen: 24 }] }]));
  assert.ok(!(v6 instanceof Error));
  assert.deepEqual(v6.map((x) => [x.family, x.address, x.mtu, x.interfaceUp]), [[4, '192.0.2.5', 9000, true], [6, '2001:db8::5', 9000, true]]);
  assert.ok(parseIpAddrJson('{') instanceof Error);
  assert.ok(parseIpAddrJson('{}') instanceof Error);
});

test('floating IP added after the node address: corosync keeps the node address, but warns (two matches)', () => {
  const a = fixture('ip-addr-floating-secondary.json');
  const c = selectBindAddress('192.0.2.0', a);
  assert.equal(c.chosen?.address, '192.0.2.1');
  assert.equal(c.exact, false);
  assert.deepEqual(c.matches.map((m) => m.address.address), ['192.0.2.1', '192.0.2.100']);
});

test('floating IP first in kernel order: corosync picks the floating address; the safer rule does not; warning', () => {
  const a = fixture('ip-addr-floating-first.json');
  assert.deepEqual(a.filter((x) => x.ifname === 'eth0').map((x) => [x.address, x.label, x.secondary]), [['192.0.2.100', 'eth0:1', false], ['192.0.2.1', 'eth0', true]]);
  assert.equal(selectBindAddress('192.0.2.0', a).chosen?.address, '192.0.2.100');
  assert.equal(selectBindAddress('192.0.2.0', a, { rule: 'safe' }).chosen?.address, '192.0.2.1');
  assert.equal(selectBindAddress('192.0.2.0', a, { rule: 'safe', ignoreLabelledAliases: false }).chosen?.address, '192.0.2.100', 'without alias skipping the primary wins');
  const text = 'totem {\n  version: 2\n  cluster_name: f\n  transport: udp\n  interface {\n    bindnetaddr: 192.0.2.0\n  }\n}\n';
  const report = checkConfigText(text, { addrs: a });
  const warn = report.findings.find((f) => f.code === 'addr.several-matches');
  assert.ok(warn);
  assert.equal(warn.severity, 'warning');
  assert.equal(warn.line, 6);
  assert.match(warn.message, /corosync takes the first in kernel order, 192\.0\.2\.100/);
  assert.equal(report.bindings[0]?.corosync.chosen?.address, '192.0.2.100');
  assert.equal(report.bindings[0]?.safe.chosen?.address, '192.0.2.1');
  // Under 2.x the warning names the nodeid consequence.
  const r2 = checkConfigText(text.replace('transport: udp\n', ''), { addrs: a, corosyncVersion: 2 });
  assert.match(r2.findings.find((f) => f.code === 'addr.several-matches')?.message ?? '', /nodeid generated from it/);
});

test('an exact address match wins under both rules, even when it is second and secondary', () => {
  const a = fixture('ip-addr-floating-first.json');
  for (const rule of ['corosync', 'safe'] as const) {
    const s = selectBindAddress('192.0.2.1', a, { rule });
    assert.equal(s.chosen?.address, '192.0.2.1');
    assert.equal(s.exact, true);
  }
});

test('netmask is the interface\'s: /25 splits 192.0.2.0/24; IPv6 prefixes; families never mix', () => {
  const h = (address: string, prefixlen: number, ifname = 'eth0'): HostAddress => ({ ifname, ifindex: 2, family: address.includes(':') ? 6 : 4, address, prefixlen, secondary: false, deprecated: false, tentative: false, interfaceUp: true, mtu: 1500 });
  const addrs = [h('192.0.2.200', 25, 'eth1'), h('192.0.2.5', 25), h('2001:db8:0:1::5', 64)];
  assert.equal(selectBindAddress('192.0.2.0', addrs).chosen?.address, '192.0.2.5');
  assert.equal(selectBindAddress('192.0.2.128', addrs).chosen?.address, '192.0.2.200');
  assert.equal(selectBindAddress('2001:db8:0:1::', addrs).chosen?.address, '2001:db8:0:1::5');
  assert.equal(selectBindAddress('2001:db8:0:2::', addrs).chosen, undefined);
  assert.equal(selectBindAddress('10.0.0.0', addrs).chosen, undefined);
  assert.equal(selectBindAddress('node1.example.com', addrs).chosen, undefined);
  // The safer rule skips down interfaces and deprecated IPv6 addresses.
  const down = [{ ...h('192.0.2.9', 24), interfaceUp: false }, h('192.0.2.10', 24, 'eth1')];
  assert.equal(selectBindAddress('192.0.2.0', down).chosen?.address, '192.0.2.9');
  assert.equal(selectBindAddress('192.0.2.0', down, { rule: 'safe' }).chosen?.address, '192.0.2.10');
  const dep = [{ ...h('2001:db8::1', 64), deprecated: true }, h('2001:db8::2', 64)];
  assert.equal(selectBindAddress('2001:db8::', dep, { rule: 'safe' }).chosen?.address, '2001:db8::2');
});

test('address literal parsing', () => {
  assert.deepEqual([...(addressBytes('192.0.2.1') ?? [])], [192, 0, 2, 1]);
  assert.equal(addressBytes('256.0.0.1'), undefined);
  assert.deepEqual([...(addressBytes('::ffff:192.0.2.1') ?? [])], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1]);
  assert.deepEqual([...(addressBytes('fe80::1%eth0') ?? [])].slice(0, 2), [0xfe, 0x80]);
  assert.equal(addressBytes('1::2::3'), undefined);
  assert.equal(addressBytes('host'), undefined);
});
