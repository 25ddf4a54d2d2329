/**
 * Address selection against real corosync 3.1.7 (udpu, the local node's ring0_addr written as the
 * network address 192.0.2.0 so corosync runs its bindnetaddr network match). Three host states in
 * a lab namespace:
 *   A. eth0 192.0.2.1/24 primary + floating 192.0.2.100/24 (label eth0:1, secondary) → .1
 *   B. the node address was re-added after the floating one (promote_secondaries): the floating
 *      address is now first → corosync binds to 192.0.2.100 (the operator failure)
 *   C. ring0_addr 192.0.2.1 exactly: the exact match wins even though it is second → .1
 * The address corosync logs ("The network interface [X] is now up.") must equal what
 * `selectBindAddress` (corosync rule) picks from `ip -j addr`; A and B must warn.
 */
import assert from 'node:assert/strict';
import os from 'node:os';
import { test } from 'node:test';
import { checkConfigText, parseIpAddrJson, selectBindAddress, type HostAddress } from '../../src/config/index.ts';
import { requireLabPrerequisites, withLab, type Lab } from '../lab/index.ts';

function conf(ring0: string): string {
  return `totem {
  version: 2
  cluster_name: tsbind
  transport: udpu
}
logging {
  to_logfile: yes
  logfile: /var/log/corosync/corosync.log
  to_stderr: no
  to_syslog: no
  debug: on
}
quorum {
  provider: corosync_votequorum
}
system {
  sched_rr: no
}
nodelist {
  node {
    ring0_addr: ${ring0}
    nodeid: 1
    name: ${os.hostname()}
  }
  node {
    ring0_addr: 192.0.2.2
    nodeid: 2
    name: tsbind-n2
  }
}
`;
}

async function addrs(lab: Lab): Promise<HostAddress[]> {
  const a = parseIpAddrJson((await lab.exec(1, ['ip', '-j', 'addr'])).stdout);
  if (a instanceof Error) throw a;
  return a;
}

async function corosyncBinds(lab: Lab, text: string): Promise<string> {
  const mark = lab.logMark(1);
  // With its own member address not local, corosync stays in GATHER: wait for the bind line only.
  await lab.startCorosync(1, text, { wait: false });
  try {
    const m = await lab.waitForLog(1, /The network interface \[([^\]]+)\] is now up/, 20_000, mark);
    return m[1] ?? '';
  } finally {
    await lab.stop(1);
  }
}

test('bindnetaddr selection matches real corosync, floating IP warned, exact match wins', { timeout: 180_000 }, async () => {
  requireLabPrerequisites();
  await withLab({ nodes: [1], transport: 'udpu', prefix: 'tsbind' }, async (lab) => {
    await lab.exec(1, ['ip', 'addr', 'add', '192.0.2.100/24', 'dev', 'eth0', 'label', 'eth0:1']);

    // A: node address first.
    let host = await addrs(lab);
    let text = conf('192.0.2.0');
    assert.equal(await corosyncBinds(lab, text), '192.0.2.1');
    assert.equal(selectBindAddress('192.0.2.0', host).chosen?.address, '192.0.2.1');
    let report = checkConfigText(text, { addrs: host, hostname: os.hostname() });
    assert.ok(report.findings.some((f) => f.code === 'addr.several-matches'), 'A warns about two addresses in the subnet');

    // B: floating address first in kernel order.
    await lab.exec(1, ['sysctl', '-w', 'net.ipv4.conf.eth0.promote_secondaries=1']);
    await lab.exec(1, ['ip', 'addr', 'del', '192.0.2.1/24', 'dev', 'eth0']);
    await lab.exec(1, ['ip', 'addr', 'add', '192.0.2.1/24', 'dev', 'eth0']);
    host = await addrs(lab);
    assert.equal(host.find((a) => a.family === 4 && a.ifname === 'eth0')?.address, '192.0.2.100', 'floating address is first now');
    assert.equal(await corosyncBinds(lab, text), '192.0.2.100');
    const sel = selectBindAddress('192.0.2.0', host);
    assert.equal(sel.chosen?.address, '192.0.2.100', 'corosync rule picks what corosync picks');
    assert.equal(selectBindAddress('192.0.2.0', host, { rule: 'safe' }).chosen?.address, '192.0.2.1', 'the safer rule skips the eth0:1 alias');
    report = checkConfigText(text, { addrs: host, hostname: os.hostname() });
    const w = report.findings.find((f) => f.code === 'addr.several-matches');
    assert.ok(w, 'B warns');
    assert.match(w.message, /192\.0\.2\.100/);
    assert.match(w.action, /safer rule would pick 192\.0\.2\.1/);
    assert.ok(report.findings.some((f) => f.code === 'addr.alias-chosen'));

    // C: exact address wins although it is second.
    text = conf('192.0.2.1');
    assert.equal(await corosyncBinds(lab, text), '192.0.2.1');
    const exact = selectBindAddress('192.0.2.1', host);
    assert.equal(exact.chosen?.address, '192.0.2.1');
    assert.equal(exact.exact, true);
    report = checkConfigText(text, { addrs: host, hostname: os.hostname() });
    assert.ok(!report.findings.some((f) => f.code === 'addr.several-matches'), 'no warning with an exact address');
  });
});
