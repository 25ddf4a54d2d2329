/**
 * Acceptance for issue 3: for each config, start real corosync 3.1.7 (one node in a lab
 * namespace; the other nodelist entries are not running) and compare every effective value
 * totemscope computes with what corosync publishes: `corosync-cmapctl runtime.config.totem.*`,
 * `totem.*` for keys runtime does not list, the log ("Token warning every N ms", "Maximum network
 * MTU N") and the UDP sockets corosync listens on (ports per link). All must be equal, and every
 * runtime.config.totem key corosync publishes must be covered.
 */
import assert from 'node:assert/strict';
import os from 'node:os';
import { test } from 'node:test';
import { checkConfigText, parseIpAddrJson, type ConfigReport, type HostAddress } from '../../src/config/index.ts';
import { requireLabPrerequisites, withLab, type Lab } from '../lab/index.ts';

interface Case {
  readonly name: string;
  readonly totem: string;
  /** nodeids 1..n; node 1 (192.0.2.1 / 198.51.100.1) is the one that runs. */
  readonly nodes: number;
  readonly links?: 1 | 2;
  readonly interfaces?: string;
  readonly quorum?: string;
  readonly nodeExtra?: string;
  /** Leave nodeids out (udp/udpu generate them from ring0_addr). */
  readonly noNodeids?: boolean;
  readonly authkey?: boolean;
}

function conf(c: Case): string {
  const nodes = Array.from({ length: c.nodes }, (_, i) => i + 1)
    .map((id) => {
      const link1 = (c.links ?? 1) === 2 ? `\n    ring1_addr: 198.51.100.${id}` : '';
      const nodeid = c.noNodeids === true ? '' : `\n    nodeid: ${id}`;
      return `  node {\n    ring0_addr: 192.0.2.${id}${link1}${nodeid}\n    name: n${id}${c.nodeExtra ?? ''}\n  }`;
    })
    .join('\n');
  return [
    '# totemscope config acceptance',
    'totem {',
    '  version: 2',
    '  cluster_name: tsconf',
    c.totem,
    c.interfaces ?? '',
    '}',
    'logging {',
    '  to_logfile: yes',
    '  logfile: /var/log/corosync/corosync.log',
    '  to_stderr: no',
    '  to_syslog: no',
    '  timestamp: hires',
    '  debug: on',
    '}',
    'quorum {',
    '  provider: corosync_votequorum',
    c.quorum ?? '',
    '}',
    'system {',
    '  sched_rr: no',
    '}',
    'nodelist {',
    nodes,
    '}',
    '',
  ].join('\n');
}

const CASES: readonly Case[] = [
  { name: 'knet, 2 nodes, token unset (3000), two_node', totem: '  transport: knet', nodes: 2, quorum: '  two_node: 1' },
  { name: 'knet, 3 nodes, token 1000', totem: '  transport: knet\n  token: 1000', nodes: 3 },
  { name: 'knet, 4 nodes, token 2000, token_coefficient 300', totem: '  token: 2000\n  token_coefficient: 300', nodes: 4 },
  { name: 'knet, 5 nodes, token unset, consensus 9000', totem: '  transport: knet\n  consensus: 9000', nodes: 5 },
  {
    name: 'knet, two links, priorities, per-link ping settings, link_mode passive',
    totem: '  transport: knet\n  token: 1500\n  link_mode: passive',
    nodes: 3,
    links: 2,
    interfaces: [
      '  interface {', '    linknumber: 0', '    knet_link_priority: 2', '    knet_pong_count: 3', '  }',
      '  interface {', '    linknumber: 1', '    knet_link_priority: 0', '    knet_ping_interval: 400', '    knet_ping_timeout: 1200', '    knet_ping_precision: 1024', '    mcastport: 5411', '  }',
    ].join('\n'),
  },
  { name: 'udpu, 3 nodes, token 1500, 10 retransmits', totem: '  transport: udpu\n  token: 1500\n  token_retransmits_before_loss_const: 10', nodes: 3 },
  { name: 'udp multicast, 2 nodes, generated mcastaddr, token_warning 50, netmtu 1400', totem: '  transport: udp\n  token_warning: 50\n  netmtu: 1400', nodes: 2 },
  {
    name: 'knet, 5 nodes, token 0 and coefficient 0, many constants set, compression',
    totem: [
      '  token: 0', '  token_coefficient: 0', '  window_size: 100', '  max_messages: 20', '  merge: 500', '  join: 100',
      '  fail_recv_const: 5000', '  seqno_unchanged_const: 50', '  miss_count_const: 10', '  send_join: 20', '  downcheck: 2000',
      '  max_network_delay: 100', '  knet_pmtud_interval: 60', '  knet_mtu: 1400', '  block_unlisted_ips: no',
      '  cancel_token_hold_on_retransmit: yes', '  knet_compression_model: zlib', '  knet_compression_threshold: 200',
      '  knet_compression_level: 5', '  token_warning: 0', '  heartbeat_failures_allowed: 3',
    ].join('\n'),
    nodes: 5,
  },
  { name: 'udpu, 4 nodes, token_retransmit and hold set', totem: '  transport: udpu\n  token: 4000\n  token_retransmit: 500\n  hold: 200', nodes: 4 },
  { name: 'knet, 3 nodes, crypto aes256/sha256 (authkey), secauth-free', totem: '  crypto_cipher: aes256\n  crypto_hash: sha256\n  token: 2500', nodes: 3, authkey: true },
  { name: 'udpu, 3 nodes, nodeids generated from IPv4 ring0_addr', totem: '  transport: udpu', nodes: 3, noNodeids: true },
  { name: 'udp, 2 nodes, nodeids generated with clear_node_high_bit', totem: '  transport: udp\n  clear_node_high_bit: yes', nodes: 2, noNodeids: true },
];

function hostAddrs(json: string): HostAddress[] {
  const a = parseIpAddrJson(json);
  if (a instanceof Error) throw a;
  return a;
}

async function compare(lab: Lab, c: Case, addrs: readonly HostAddress[]): Promise<number> {
  const text = conf(c);
  const report: ConfigReport = checkConfigText(text, { addrs, hostname: os.hostname() });
  assert.ok(report.effective, `${c.name}: no effective values (${JSON.stringify(report.findings)})`);
  const errors = report.findings.filter((f) => f.severity === 'error');
  assert.deepEqual(errors, [], `${c.name}: unexpected error findings`);
  const eff = report.effective;
  assert.equal(eff.localNodePosition, 0, `${c.name}: local node found`);

  const mark = lab.logMark(1);
  await lab.startCorosync(1, text, c.authkey === true ? { authkey: Buffer.alloc(256, 7) } : {});
  let compared = 0;
  try {
    const runtime = await lab.cmap(1, 'runtime.config.totem.');
    const totem = await lab.cmap(1, 'totem.');
    const cmap = { ...runtime, ...totem };
    for (const v of eff.values) {
      if (v.cmapKey === undefined) continue;
      const actual = cmap[v.cmapKey];
      assert.notEqual(actual, undefined, `${c.name}: corosync has no ${v.cmapKey} (we computed ${v.name} = ${v.value})`);
      assert.equal(String(actual), String(v.value), `${c.name}: ${v.name} (${v.cmapKey}): corosync ${String(actual)}, totemscope ${v.value} (${v.why})`);
      compared++;
    }
    // Every runtime key corosync publishes is one we compute.
    const covered = new Set(eff.values.map((v) => v.cmapKey));
    const missing = Object.keys(runtime).filter((k) => !covered.has(k));
    assert.deepEqual(missing, [], `${c.name}: runtime keys totemscope does not compute`);

    // nodeids (corosync writes generated ones back into the nodelist).
    const nodelist = await lab.cmap(1, 'nodelist.node.');
    for (const n of eff.nodes) {
      assert.equal(nodelist[`nodelist.node.${n.position}.nodeid`], n.nodeid, `${c.name}: nodeid of node ${n.position}`);
      compared++;
    }

    // Values only in the log.
    const log = lab.log(1).slice(mark);
    const t = eff.totem;
    if (t.tokenWarningPercent > 0) {
      const m = /Token warning every (\d+) ms/.exec(log);
      assert.ok(m, `${c.name}: no "Token warning every" line`);
      assert.equal(Number(m[1]), t.tokenWarningMs, `${c.name}: token warning ms`);
    } else assert.match(log, /Token warnings disabled/);
    compared++;
    const mtu = /Maximum network MTU (\d+)/.exec(log);
    assert.ok(mtu, `${c.name}: no "Maximum network MTU" line`);
    // totemsrp subtracts 2 · sizeof(struct mcast) = 90 bytes (wire-format.md §2.2).
    assert.equal(Number(mtu[1]), t.netmtu - 90, `${c.name}: netmtu`);
    compared++;
    const tk = /Token Timeout \((\d+) ms\) retransmit timeout \((\d+) ms\)/.exec(log);
    assert.ok(tk, `${c.name}: no "Token Timeout" line`);
    assert.equal(Number(tk[1]), t.token);
    assert.equal(Number(tk[2]), t.tokenRetransmit);
    const hold = /token hold \((\d+) ms\) retransmits before loss \((\d+) retrans\)/.exec(log);
    assert.ok(hold);
    assert.equal(Number(hold[1]), t.hold);
    assert.equal(Number(hold[2]), t.tokenRetransmitsBeforeLossConst);
    const jc = /join \((\d+) ms\) send_join \((\d+) ms\) consensus \((\d+) ms\) merge \((\d+) ms\)/.exec(log);
    assert.ok(jc);
    assert.deepEqual(jc.slice(1).map(Number), [t.join, t.sendJoin, t.consensus, t.merge]);
    compared += 8;

    // knet link priorities: libknet logs "link: host: N link: L priority set to: P" for each remote host.
    if (t.transport === 'knet') {
      for (const l of t.links) {
        for (const n of eff.nodes.filter((x) => x.nodeid !== 1)) {
          const m = new RegExp(`link: host: ${n.nodeid ?? 0} link: ${l.linknumber} priority set to: (\\d+)`).exec(log);
          assert.ok(m, `${c.name}: no priority line for host ${n.nodeid ?? 0} link ${l.linknumber}`);
          assert.equal(Number(m[1]), l.knetLinkPriority, `${c.name}: knet_link_priority of link ${l.linknumber}`);
          compared++;
        }
      }
    }

    // Ports per link: the sockets corosync listens on.
    const ss = (await lab.exec(1, ['ss', '-Hulnp'])).stdout;
    for (const l of t.links) {
      const local = l.bindnetaddr ?? '';
      if (t.transport === 'udp') assert.match(ss, new RegExp(`:${l.port}\\b`), `${c.name}: udp port ${l.port}`);
      else assert.ok(ss.includes(`${local}:${l.port}`), `${c.name}: link ${l.linknumber} expected a socket on ${local}:${l.port}, ss:\n${ss}`);
      compared++;
    }
  } finally {
    await lab.stop(1);
  }
  return compared;
}

test('effective totem values equal real corosync 3.1.7 (runtime.config.totem, totem.*, log, sockets)', { timeout: 600_000 }, async (t) => {
  requireLabPrerequisites();
  await withLab({ nodes: [1], transport: 'knet', links: 2, prefix: 'tscfg' }, async (lab) => {
    const addrs = hostAddrs((await lab.exec(1, ['ip', '-j', 'addr'])).stdout);
    let total = 0;
    for (const c of CASES) {
      await t.test(c.name, async () => {
        total += await compare(lab, c, addrs);
      });
    }
    t.diagnostic(`${CASES.length} configs, ${total} values compared`);
  });
});
