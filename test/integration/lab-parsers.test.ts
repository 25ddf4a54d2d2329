// The lab's pure helpers on real outputs: generated configs, cmapctl/quorumtool/cpgclient/log
// parsers, and the CPG message checksum against bodies corosync carried in a bundled sample.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  cpgMessageChecksum,
  parseCmap,
  parseCorosyncLog,
  parseCpgLog,
  parseCpgMessageHeader,
  parseQuorumStatus,
  renderCorosyncConf,
  type ClusterConfig,
} from '../lab/index.ts';

const SAMPLES = fileURLToPath(new URL('../../samples/', import.meta.url));

function config(over: Partial<ClusterConfig>): ClusterConfig {
  return {
    clusterName: 'lab',
    transport: 'udpu',
    links: 1,
    corosyncNodes: [1, 2, 3],
    extraNodes: [],
    crypto: undefined,
    compression: undefined,
    linkMode: undefined,
    linkPriority: undefined,
    token: 1000,
    tokenCoefficient: undefined,
    consensus: undefined,
    join: undefined,
    totem: {},
    interfaces: [],
    quorum: {},
    nodeOptions: {},
    mcastAddr: ['239.192.1.1', '239.192.1.2'],
    debug: true,
    schedRr: false,
    addr: (n, l) => `${l === 0 ? '192.0.2' : '198.51.100'}.${n}`,
    ...over,
  };
}

test('renderCorosyncConf: udpu defaults, two_node, extra node, knet links and crypto, udp mcast', () => {
  const udpu = renderCorosyncConf(config({}));
  assert.match(udpu, /transport: udpu\n  token: 1000\n/);
  assert.match(udpu, /timestamp: hires/);
  assert.match(udpu, /sched_rr: no/);
  assert.doesNotMatch(udpu, /two_node/);
  assert.doesNotMatch(udpu, /crypto_/);
  assert.equal(udpu.match(/ring0_addr: 192\.0\.2\.\d/g)?.length, 3);

  assert.match(renderCorosyncConf(config({ corosyncNodes: [1, 2] })), /two_node: 1/);
  const extra = renderCorosyncConf(config({ corosyncNodes: [1, 2], extraNodes: [{ id: 9, name: 'totemscope', quorumVotes: 0 }] }));
  assert.doesNotMatch(extra, /two_node/);
  assert.match(extra, /ring0_addr: 192\.0\.2\.9\n    nodeid: 9\n    name: totemscope\n    quorum_votes: 0/);

  const knet = renderCorosyncConf(
    config({
      transport: 'knet',
      links: 2,
      linkPriority: [2, 1],
      linkMode: 'passive',
      crypto: { cipher: 'aes128', hash: 'sha1' },
      compression: { model: 'lz4', threshold: 10 },
      token: undefined,
    }),
  );
  assert.doesNotMatch(knet, /token:/);
  assert.match(knet, /crypto_cipher: aes128\n  crypto_hash: sha1/);
  assert.match(knet, /knet_compression_model: lz4\n  knet_compression_threshold: 10/);
  assert.match(knet, /interface \{\n    linknumber: 1\n    knet_link_priority: 1\n  \}/);
  assert.match(knet, /ring1_addr: 198\.51\.100\.3/);

  const udp = renderCorosyncConf(config({ transport: 'udp' }));
  assert.match(udp, /interface \{\n    linknumber: 0\n    mcastaddr: 239\.192\.1\.1\n  \}/);
});

test('parseCmap and parseQuorumStatus on real tool output', () => {
  const cmap = parseCmap(
    [
      'runtime.config.totem.token (u32) = 1650',
      'runtime.members.1.ip (str) = r(0) ip(192.0.2.1) ',
      'runtime.members.1.status (str) = joined',
      'totem.cluster_name (str) = lab',
      'stats.srp.avg_token_workload (u32) = 0',
      'stats.knet.node2.link0.latency_ave (u32) = 52',
      'runtime.totem.pg.mrp.srp.orf_token_rx (u64) = 18446744073709551615',
    ].join('\n'),
  );
  assert.equal(cmap['runtime.config.totem.token'], 1650);
  assert.equal(cmap['runtime.members.1.ip'], 'r(0) ip(192.0.2.1)');
  assert.equal(cmap['runtime.members.1.status'], 'joined');
  assert.equal(cmap['runtime.totem.pg.mrp.srp.orf_token_rx'], '18446744073709551615');

  const q = parseQuorumStatus(
    'Quorum information\n------------------\nDate:             Sun Nov 22 05:32:58 2026\nQuorum provider:  corosync_votequorum\n' +
      'Nodes:            3\nNode ID:          1\nRing ID:          1.d\nQuorate:          Yes\n\nVotequorum information\n' +
      '----------------------\nExpected votes:   3\nHighest expected: 3\nTotal votes:      3\nQuorum:           2  \n' +
      'Flags:            Quorate \n\nMembership information\n----------------------\n    Nodeid      Votes Name\n' +
      '         1          1 n1 (local)\n         2          1 n2\n         3          1 n3\n',
  );
  assert.equal(q.ringId, '1.d');
  assert.equal(q.quorate, true);
  assert.equal(q.quorum, 2);
  assert.deepEqual(q.flags, ['Quorate']);
  assert.deepEqual(q.members.map((m) => [m.nodeid, m.votes]), [[1, 1], [2, 1], [3, 1]]);
});

test('parseCorosyncLog on a bundled sample and a stderr-format reference log', () => {
  const kill = parseCorosyncLog(readFileSync(`${SAMPLES}udpu-kill-restart/node1.log`, 'utf8'), 2026);
  const left = kill.memberships.find((m) => m.left.includes(2));
  assert.ok(left, 'node 2 leaving is logged');
  assert.ok(kill.memberships.some((m) => m.joined.includes(2) && m.time > left.time), 'node 2 rejoins');
  assert.ok(kill.tokenTimeouts.length >= 1);
  for (let i = 1; i < kill.memberships.length; i++) {
    assert.ok((kill.memberships[i]?.seq ?? 0n) > (kill.memberships[i - 1]?.seq ?? 0n), 'ring seqs grow');
  }
  // corosync's stderr format (the reference captures' logs) has no "[pid] host corosync" part.
  const ref = parseCorosyncLog(
    [
      'Nov 22 04:33:02.128 notice  [TOTEM ] A new membership (1.5) was formed. Members joined: 1',
      'Nov 22 04:33:02.541 info    [KNET  ] rx: host: 2 link: 0 is up',
      'Nov 22 04:33:02.760 notice  [TOTEM ] A new membership (1.9) was formed. Members joined: 2',
      'Nov 22 04:33:03.213 notice  [TOTEM ] A new membership (1.d) was formed. Members joined: 3',
    ].join('\n'),
    2026,
  );
  assert.deepEqual(ref.memberships.map((m) => m.ringId), ['1.5', '1.9', '1.d']);
  assert.equal(ref.lines[0]?.pid, 0);
  assert.ok(ref.knetLinks.some((e) => e.up));
});

test('parseCpgLog: the sample clients agree on one delivery order', () => {
  const logs = [1, 2, 3].map((n) => parseCpgLog(readFileSync(`${SAMPLES}udpu-cpg-load/cpg-node${n}.log`, 'utf8')));
  const key = (l: (typeof logs)[number]): string[] => l.deliveries.map((d) => `${d.nodeid}:${d.pid}:${d.seq}:${d.checksum}`);
  for (const l of logs) {
    assert.equal(l.done?.reason, 'expect');
    assert.equal(l.deliveries.length, l.done?.delivered);
    assert.deepEqual(key(l), key(logs[0] ?? l));
    assert.ok(l.rings.length >= 1);
  }
});

test('cpgMessageChecksum matches the checksums cpgclient.c put in messages on the wire', () => {
  // Small CPG messages fit in one udpu frame: find their header by magic and verify in place.
  const pcap = readFileSync(`${SAMPLES}udpu-cpg-load/capture.pcap`);
  const sent = new Set(
    [1, 2, 3].flatMap((n) => parseCpgLog(readFileSync(`${SAMPLES}udpu-cpg-load/cpg-node${n}.log`, 'utf8')).sent.map((s) => s.checksum)),
  );
  let verified = 0;
  const magic = Buffer.from([0x54, 0x53, 0x43, 0x50]);
  for (let at = pcap.indexOf(magic); at >= 0; at = pcap.indexOf(magic, at + 1)) {
    const header = parseCpgMessageHeader(pcap.subarray(at));
    if (header === undefined || header.size > 1400 || at + header.size > pcap.length) continue;
    const body = pcap.subarray(at, at + header.size);
    if (cpgMessageChecksum(body).toString(16).padStart(8, '0') !== header.checksum) continue;
    assert.ok(sent.has(header.checksum), `checksum ${header.checksum} was logged as sent`);
    verified++;
  }
  assert.ok(verified >= 10, `verified ${verified} on-wire messages`);
});
