// Issue 7, the last two acceptance bullets, against real corosync 3.1.7 in the lab (3 corosync nodes
// + the totemscope node 4, quorum_votes 0):
// 1. Throughput and token hold: a cpgbench-style flood (every corosync node's CPG client, the lab's
//    cpgclient with -c -q, sends flat out as flow control allows, for FLOOD_MS) with the totemscope
//    node in the ring and without it, in ABBA order; ring throughput (messages/s each client
//    delivers) with it must be >= 80 % of without. Token hold is compared like with like, twice:
//    in-process with corosync's own definition (stats.srp.avg_token_workload: integer mean over the
//    last 100 tokens of ms-floored "token accepted -> token sent and its messages delivered"; the
//    node computes the same figure, src/node/tokenStats.ts), and on the wire with one instrument for
//    all members (captures of ORF tokens in each node's namespace, µs); both within 2x corosync's.
// 2. Churn: ENDURANCE_MS (default 5 min) of mixed CPG load with a corosync node killed and restarted
//    every KILL_PERIOD_MS (30 s, nodes 1, 2, 3 in turn): the node never exits, never diverges from
//    the CPG clients, and its RSS stays flat.
// Figures are printed (stderr) so a run's numbers can go into the issue note. Durations can be
// shortened through the environment for a quick run; the defaults are the issue's.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import {
  parseCmap,
  parseCpgMessageHeader,
  requireLabPrerequisites,
  sleep,
  withLab,
  type CpgClient,
  type CpgLog,
  type Lab,
  type LabProcess,
} from '../lab/index.ts';
import { decodeTotem } from '../../dissectors/totemsrp/index.ts';
import type { NodeStatsRecord } from '../../src/node/driver.ts';

const CLI = path.resolve('bin/totemscope.mjs');
const NODE_ID = 4;
const COROSYNC = [1, 2, 3] as const;

function envMs(name: string, fallback: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name}=${v}: expected a positive number of ms`);
  return n;
}

/** Churn duration (issue: 5 minutes). */
const ENDURANCE_MS = envMs('TOTEMSCOPE_ENDURANCE_MS', 300_000);
/** A corosync node is killed (and restarted) every this many ms (issue: 30 s). */
const KILL_PERIOD_MS = envMs('TOTEMSCOPE_ENDURANCE_KILL_PERIOD_MS', 30_000);
/** One flood measurement (cpgbench-style: each corosync node's client sends flat out). */
const FLOOD_MS = envMs('TOTEMSCOPE_FLOOD_MS', 10_000);
/** Flood rounds per configuration, alternating with / without the node (noise on shared cores). */
const FLOOD_ROUNDS = Math.max(1, Math.round(envMs('TOTEMSCOPE_FLOOD_ROUNDS', 2)));
/** RSS sampling period during the churn. */
const RSS_SAMPLE_MS = 5_000;
/** Leak bar: median RSS of the last fifth vs the second fifth (the last vs the second minute of 5). */
const RSS_GROWTH_LIMIT_BYTES = 30 * 1024 * 1024;

const LAB = { nodes: 3, transport: 'udpu', extraNodes: [{ id: NODE_ID, name: 'totemscope', quorumVotes: 0 }] } as const;

function say(text: string): void {
  process.stderr.write(`[node-endurance] ${text}\n`);
}

function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** A running `totemscope node` on the lab's extra node. */
interface NodeRun {
  readonly proc: LabProcess & { readonly stdoutPath: string; readonly stderrPath: string };
  readonly deliveriesPath: string;
  readonly statsPath: string;
  output(): string;
}

let runCount = 0;

function startTotemscopeNode(lab: Lab, opts: { deliveries: boolean; statsIntervalS: number }): NodeRun {
  const dir = path.join(lab.dir, 'totemscope');
  mkdirSync(dir, { recursive: true });
  const conf = path.join(dir, 'corosync.conf');
  writeFileSync(conf, lab.config);
  const k = ++runCount;
  const deliveriesPath = path.join(dir, `deliveries-${k}.jsonl`);
  const statsPath = path.join(dir, `stats-${k}.jsonl`);
  const argv = [process.execPath, CLI, 'node', '--config', conf, '--nodeid', String(NODE_ID), '--state-dir', dir];
  argv.push('--stats-interval', String(opts.statsIntervalS), '--stats-file', statsPath);
  if (opts.deliveries) argv.push('--deliveries', deliveriesPath);
  const proc = lab.spawn(NODE_ID, argv);
  return {
    proc,
    deliveriesPath,
    statsPath,
    output: () => [proc.stdoutPath, proc.stderrPath].map((p) => (existsSync(p) ? readFileSync(p, 'utf8') : '')).join('\n'),
  };
}

function readStats(run: NodeRun): NodeStatsRecord[] {
  if (!existsSync(run.statsPath)) return [];
  return readFileSync(run.statsPath, 'utf8')
    .split('\n')
    .filter((l) => l.endsWith('}'))
    .map((l) => JSON.parse(l) as NodeStatsRecord);
}

/** Children of a process (Linux /proc/PID/task/TID/children). */
function childPids(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const text = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
      if (text !== '') out.push(...text.split(/\s+/).map(Number));
    }
  } catch {
    // gone
  }
  return out;
}

/**
 * The pid of the program a lab process runs (the `totemscope node` node.js process, corosync): the
 * lab process is nsenter, which either became that program (exec) or is its parent.
 */
function innerPid(labPid: number): number {
  const queue = [labPid];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    let comm = '';
    try {
      comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    } catch {
      continue;
    }
    if (comm !== 'nsenter') return pid;
    queue.push(...childPids(pid));
  }
  throw new Error(`no process under lab pid ${labPid}`);
}

/** VmRSS of a process in bytes (/proc/PID/status). */
function rssBytes(pid: number): number {
  const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (m === null) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) * 1024;
}

/** CPU seconds (user + system) a process used so far (/proc/PID/stat, clock ticks of 1/100 s). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 of proc(5) (utime, stime) are 11 and 12 after the command name and state.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * Token holds seen on the wire at one node, from a capture of its eth0 (ORF tokens only): for every
 * token it sent, the time since it received that token (token_seq one lower, same ring). The same
 * instrument for corosync and the totemscope node, with µs resolution.
 */
function wireTokenHolds(pcapPath: string, addr: string): number[] {
  const b = readFileSync(pcapPath);
  if (b.length < 24) return [];
  const magic = b.readUInt32LE(0);
  assert.ok(magic === 0xa1b2c3d4 || magic === 0xa1b23c4d, `classic little-endian pcap: ${magic.toString(16)}`);
  const fracPerMs = magic === 0xa1b23c4d ? 1e6 : 1e3;
  assert.equal(b.readUInt32LE(20), 1, 'Ethernet link type');
  const received = new Map<string, number>();
  const holds: number[] = [];
  for (let off = 24; off + 16 <= b.length; ) {
    const timeMs = b.readUInt32LE(off) * 1000 + b.readUInt32LE(off + 4) / fracPerMs;
    const caplen = b.readUInt32LE(off + 8);
    const frame = b.subarray(off + 16, off + 16 + caplen);
    off += 16 + caplen;
    if (frame.length < 14 + 20 + 8 || frame.readUInt16BE(12) !== 0x0800) continue;
    const ihl = (frame[14]! & 0x0f) * 4;
    if (frame[14 + 9] !== 17) continue;
    const src = [...frame.subarray(26, 30)].join('.');
    const dst = [...frame.subarray(30, 34)].join('.');
    const payload = frame.subarray(14 + ihl + 8);
    const msg = decodeTotem(new Uint8Array(payload.buffer, payload.byteOffset, payload.length));
    if (!('kind' in msg) || msg.kind !== 'orf_token') continue;
    const ring = `${msg.ringId.rep}.${msg.ringId.seq}`;
    if (dst === addr) received.set(`${ring}/${msg.tokenSeq}`, timeMs);
    else if (src === addr) {
      const rx = received.get(`${ring}/${(msg.tokenSeq - 1) >>> 0}`);
      if (rx !== undefined) holds.push(timeMs - rx);
    }
  }
  return holds;
}

/** `nodeid/pid/seq/size/checksum` of every CPG message of the lab's group the node delivered, in order. */
function nodeDelivered(run: NodeRun): string[] {
  if (!existsSync(run.deliveriesPath)) return [];
  const out: string[] = [];
  for (const line of readFileSync(run.deliveriesPath, 'utf8').split('\n')) {
    if (!line.endsWith('}')) continue; // a line still being written
    const r = JSON.parse(line) as { group: string; head: string; size: number; nodeid: number };
    if (r.group !== 'totemscope') continue;
    const h = parseCpgMessageHeader(Buffer.from(r.head, 'hex'));
    assert.ok(h !== undefined, `cpgclient header in ${line}`);
    assert.equal(h.nodeid, r.nodeid, 'CPG source nodeid = message header nodeid');
    assert.equal(h.size, r.size, 'delivered size = header size');
    out.push(`${h.nodeid}/${h.pid}/${h.seq}/${h.size}/${h.checksum}`);
  }
  return out;
}

function clientKeys(log: CpgLog): string[] {
  return log.deliveries.map((d) => `${d.nodeid}/${d.pid}/${d.seq}/${d.size}/${d.checksum}`);
}

// ---------------------------------------------------------------------------------------------
// 1. Throughput and token hold
// ---------------------------------------------------------------------------------------------

/** CPG message size of the flood (one message per totempg frame with room to spare). */
const FLOOD_MESSAGE_SIZE = 1000;

/**
 * Ring configurations flooded: the 3 corosync nodes with the totemscope node (the bar), alone
 * (the reference), and, as a control printed beside them, with a 4th corosync node instead: what
 * one more corosync member costs the same ring on the same machine at the same time.
 */
type FloodConfig = 'node' | 'none' | 'corosync';
/** The control's corosync node (a nodelist entry the other tests do not have). */
const CONTROL_ID = 5;
const FLOOD_LAB = { nodes: [...COROSYNC, CONTROL_ID], transport: 'udpu', extraNodes: [{ id: NODE_ID, name: 'totemscope', quorumVotes: 0 }] } as const;

interface FloodResult {
  readonly config: FloodConfig;
  /** Delivered messages/s (mean of the clients' own delivery rates over the window). */
  readonly deliveredPerS: number;
  readonly perClient: readonly number[];
  /** corosync's stats.srp.avg_token_workload samples (ms) of nodes 1..3 during the window. */
  readonly corosyncWorkload: readonly number[];
  /** corosync's stats.srp.mtt_rx_token samples (ms). */
  readonly corosyncMtt: readonly number[];
  /** The node's stats records in the window ('node' only). */
  readonly nodeStats: readonly NodeStatsRecord[];
  /** Per ring member: median token hold on the wire (ms) and the tokens it is over. */
  readonly wireHold: ReadonlyMap<number, { readonly medianMs: number; readonly tokens: number }>;
  /** Per ring member: CPU used during the window, in cores (1 = one core busy). */
  readonly cpu: ReadonlyMap<number, number>;
}

/** Delivered messages/s of one client between its progress lines nearest to [from, to]. */
function clientRate(log: CpgLog, from: number, to: number): number {
  const inWindow = log.progress.filter((p) => p.time >= from && p.time <= to);
  assert.ok(inWindow.length >= 2, `client ${log.start?.nodeid}: progress lines in the window: ${JSON.stringify(log.progress)}`);
  const a = inWindow[0]!;
  const b = inWindow[inWindow.length - 1]!;
  return ((b.delivered - a.delivered) * 1000) / (b.time - a.time);
}

async function flood(lab: Lab, config: FloodConfig, node: NodeRun | undefined): Promise<FloodResult> {
  const clients = await Promise.all(
    COROSYNC.map((n) =>
      lab.cpgClient(n, { continuous: true, quiet: true, sizes: [FLOOD_MESSAGE_SIZE], waitMembers: COROSYNC.length, progressMs: 250 }),
    ),
  );
  try {
    // Flooding starts when all three are in the group; give the ring a second to reach steady state.
    await Promise.all(clients.map((c) => c.waitFor(/^progress \S+ [1-9]\d* /m, 20_000)));
    await sleep(1_000);
    const members = config === 'node' ? [...COROSYNC, NODE_ID] : config === 'corosync' ? [...COROSYNC, CONTROL_ID] : [...COROSYNC];
    // ORF tokens only (Totem v3 header: type at byte 3 of the UDP payload, 0 = ORF token).
    const captures = await Promise.all(members.map((n) => lab.captureNode(n, { iface: 'eth0', filter: 'udp port 5405 and udp[11] = 0', snaplen: 200 })));
    const pids = new Map(members.map((n) => [n, innerPid(n === NODE_ID ? node!.proc.pid : lab.pid(n)!)]));
    const cpuBefore = new Map([...pids].map(([n, pid]) => [n, cpuSeconds(pid)]));
    const from = Date.now();
    const corosyncWorkload: number[] = [];
    const corosyncMtt: number[] = [];
    // corosync refreshes its token stats every 1.5 s (corosync_totem_stats_updater).
    for (let t = 0; t + 1_500 <= FLOOD_MS; t += 1_500) {
      await sleep(1_500);
      for (const n of COROSYNC) {
        const r = await lab.exec(n, ['corosync-cmapctl', '-m', 'stats', 'stats.srp.'], { timeoutMs: 10_000 });
        const m = parseCmap(r.stdout);
        const w = m['stats.srp.avg_token_workload'];
        const mtt = m['stats.srp.mtt_rx_token'];
        if (typeof w === 'number') corosyncWorkload.push(w);
        if (typeof mtt === 'number') corosyncMtt.push(mtt);
      }
    }
    await sleep(Math.max(0, from + FLOOD_MS - Date.now()));
    const to = Date.now();
    const cpu = new Map([...pids].map(([n, pid]) => [n, (cpuSeconds(pid) - cpuBefore.get(n)!) / ((to - from) / 1000)]));
    const pcaps = await Promise.all(captures.map((c) => c.stop()));
    const wireHold = new Map(
      members.map((n, i) => {
        const holds = wireTokenHolds(pcaps[i]!.path, lab.addr(n));
        return [n, { medianMs: median(holds), tokens: holds.length }] as const;
      }),
    );
    const logs = await Promise.all(clients.map((c) => c.stop()));
    for (const l of logs) {
      assert.deepEqual(l.errors, [], `client on node ${l.start?.nodeid}`);
      assert.deepEqual(l.bad, []);
    }
    const perClient = logs.map((l) => clientRate(l, from, to));
    const nodeStats = node === undefined ? [] : readStats(node).filter((r) => Date.parse(r.time) > from + 1_500 && Date.parse(r.time) <= to);
    return {
      config,
      deliveredPerS: perClient.reduce((s, r) => s + r, 0) / perClient.length,
      perClient,
      corosyncWorkload,
      corosyncMtt,
      nodeStats,
      wireHold,
      cpu,
    };
  } finally {
    await Promise.all(clients.map((c) => (c.process.running ? c.stop() : undefined)));
  }
}

function describeFlood(r: FloodResult, round: number): string {
  const label = r.config === 'node' ? 'with the totemscope node' : r.config === 'corosync' ? 'with a 4th corosync node (control)' : 'without a 4th member';
  const list = (xs: readonly number[]): string => JSON.stringify(xs.map((x) => Number(x.toFixed(3))));
  return (
    `round ${round} ${label}: ${r.deliveredPerS.toFixed(0)} msgs/s (clients ${r.perClient.map((x) => x.toFixed(0)).join(' ')}); ` +
    `corosync avg_token_workload ${JSON.stringify(r.corosyncWorkload)} mtt_rx_token ${JSON.stringify(r.corosyncMtt)}` +
    (r.config === 'node'
      ? `; node hold median (last 100) ${list(r.nodeStats.map((s) => s.tokenHold.medianMs))} ` +
        `avg_token_workload ${JSON.stringify(r.nodeStats.map((s) => s.tokenHold.avgTokenWorkload))} ` +
        `interval median ${list(r.nodeStats.map((s) => s.tokenHoldInterval.medianMs))} p90 ${list(r.nodeStats.map((s) => s.tokenHoldInterval.p90Ms))} ` +
        `mtt_rx_token ${JSON.stringify(r.nodeStats.map((s) => s.tokenHold.mttRxToken))}`
      : '') +
    `; wire token hold median ${[...r.wireHold].map(([n, h]) => `n${n} ${h.medianMs.toFixed(3)} ms/${h.tokens}`).join(', ')}` +
    `; CPU ${[...r.cpu].map(([n, c]) => `n${n} ${(c * 100).toFixed(0)} %`).join(', ')}`
  );
}

test('node: cpgbench-style flood, throughput with the totemscope node >= 80 % of without, token hold within 2x corosync', { timeout: 400_000 }, async () => {
  requireLabPrerequisites();
  await withLab(FLOOD_LAB, async (lab: Lab) => {
    await lab.start([...COROSYNC]);
    await lab.waitForRing([...COROSYNC]);
    const results: FloodResult[] = [];
    let node: NodeRun | undefined;
    const outputs: string[] = [];
    try {
      for (let round = 0; round < FLOOD_ROUNDS; round++) {
        // Mirrored order (node, none, corosync, corosync, none, node): a drift in the machine's
        // background load hits every configuration alike.
        const order: FloodConfig[] = round % 2 === 0 ? ['node', 'none', 'corosync'] : ['corosync', 'none', 'node'];
        for (const config of order) {
          if (config === 'node') {
            node = startTotemscopeNode(lab, { deliveries: true, statsIntervalS: 1.5 });
            await lab.waitForMembers([...COROSYNC], [...COROSYNC, NODE_ID], 30_000);
          } else if (config === 'corosync') {
            await lab.start([CONTROL_ID]);
            await lab.waitForMembers([...COROSYNC, CONTROL_ID], [...COROSYNC, CONTROL_ID], 30_000);
          }
          const r = await flood(lab, config, node);
          results.push(r);
          say(describeFlood(r, round + 1));
          if (config === 'node' && node !== undefined) {
            node.proc.signal('SIGTERM');
            const exit = await node.proc.wait(10_000);
            outputs.push(node.output());
            assert.equal(exit.code, 0, `node exit ${JSON.stringify(exit)}`);
            node = undefined;
          } else if (config === 'corosync') {
            await lab.stop(CONTROL_ID);
          }
          await lab.waitForMembers([...COROSYNC], [...COROSYNC], 20_000);
        }
      }
    } catch (e) {
      if (node !== undefined) outputs.push(node.output());
      process.stderr.write(`--- totemscope node output ---\n${outputs.join('\n--- next run ---\n').slice(-20_000)}\n`);
      throw e;
    }

    const meanRate = (config: FloodConfig): number => {
      const rates = results.filter((r) => r.config === config).map((r) => r.deliveredPerS);
      return rates.reduce((s, r) => s + r, 0) / rates.length;
    };
    const withNode = meanRate('node');
    const without = meanRate('none');
    const withCorosync = meanRate('corosync');
    const ratio = withNode / without;
    const nodeRuns = results.filter((r) => r.config === 'node');
    // In-process, corosync's own definition (see src/node/tokenStats.ts): corosync publishes
    // avg_token_workload = integer mean over its last 100 tokens of ms-floored (sent - received);
    // the node computes the same figure over its own last 100 tokens, sampled at the same times.
    const nodeHold = median(nodeRuns.flatMap((r) => r.nodeStats.map((s) => s.tokenHold.medianMs)));
    const nodeWorkload = median(nodeRuns.flatMap((r) => r.nodeStats.map((s) => s.tokenHold.avgTokenWorkload)));
    const corosyncWorkload = median(nodeRuns.flatMap((r) => r.corosyncWorkload));
    // On the wire, the same instrument for all (µs, where corosync's figure has 1 ms resolution).
    const wireNode = median(nodeRuns.map((r) => r.wireHold.get(NODE_ID)!.medianMs));
    const wireCorosync = median(nodeRuns.flatMap((r) => COROSYNC.map((n) => r.wireHold.get(n)!.medianMs)));
    const wireControl = median(results.filter((r) => r.config === 'corosync').map((r) => r.wireHold.get(CONTROL_ID)!.medianMs));
    say(
      `throughput with the node ${withNode.toFixed(0)} msgs/s, without ${without.toFixed(0)} msgs/s, ratio ${(ratio * 100).toFixed(1)} % ` +
        `(control: with a 4th corosync node ${withCorosync.toFixed(0)} msgs/s, ${((withCorosync / without) * 100).toFixed(1)} %); ` +
        `token hold in-process: node median ${nodeHold.toFixed(3)} ms, node avg_token_workload ${nodeWorkload} ms, corosync avg_token_workload ${corosyncWorkload} ms; ` +
        `on the wire: node median ${wireNode.toFixed(3)} ms, corosync nodes 1-3 median ${wireCorosync.toFixed(3)} ms, control 4th corosync node ${wireControl.toFixed(3)} ms`,
    );
    assert.ok(results.every((r) => r.deliveredPerS > 0), 'every flood delivered');
    assert.ok(Number.isFinite(nodeHold) && Number.isFinite(corosyncWorkload), 'hold statistics sampled during the floods');
    assert.ok(nodeWorkload <= 2 * corosyncWorkload, `node avg_token_workload ${nodeWorkload} ms > 2 x corosync's ${corosyncWorkload} ms`);
    assert.ok(Number.isFinite(wireNode) && Number.isFinite(wireCorosync), 'tokens captured');
    assert.ok(wireNode <= 2 * wireCorosync, `node median token hold on the wire ${wireNode.toFixed(3)} ms > 2 x corosync's ${wireCorosync.toFixed(3)} ms`);
    assert.ok(ratio >= 0.8, `throughput with the node ${withNode.toFixed(0)} msgs/s < 80 % of without ${without.toFixed(0)} msgs/s`);
  });
});

// ---------------------------------------------------------------------------------------------
// 2. Churn
// ---------------------------------------------------------------------------------------------

/** Mixed CPG load per corosync node: small, one-frame and multi-frame (fragmented) messages. */
const CHURN_LOAD = { continuous: true, rate: 40, sizes: [100, [1000, 3000], 300, [8000, 30000]], waitMembers: 1 } as const;

/**
 * Divergence check. A CPG client's lifetime (from its join until it exits or its corosync node is
 * killed) is a period in which both it and the totemscope node are members of every ring (the
 * totemscope node never leaves: it is not killed and the test asserts it never exits). Under
 * virtual synchrony both then deliver the same messages of the group in the same order, so the
 * client's delivered stream must be one contiguous run of the node's delivered stream: starting
 * where the node delivered the client's first message, equal message for message (sender nodeid,
 * pid, seq, size, checksum). A killed node's client is held to the same rule: without packet loss
 * every message its corosync delivered had reached the survivors too, so they recover it.
 */
function assertContiguousRun(nodeStream: readonly string[], positions: ReadonlyMap<string, number>, client: readonly string[], what: string): void {
  if (client.length === 0) return;
  const start = positions.get(client[0]!);
  assert.ok(start !== undefined, `${what}: first delivery ${client[0]} not delivered by the totemscope node`);
  const run = nodeStream.slice(start, start + client.length);
  if (run.length !== client.length || run.some((k, i) => k !== client[i])) {
    const i = run.findIndex((k, j) => k !== client[j]);
    assert.fail(
      `${what}: diverges from the totemscope node at its delivery ${i === -1 ? run.length : i} of ${client.length}: ` +
        `client ${client.slice(Math.max(0, i - 2), i + 3).join(' ')} | node ${run.slice(Math.max(0, i - 2), i + 3).join(' ')}`,
    );
  }
}

test('node: mixed CPG load with a corosync node killed and restarted every 30 s: no crash, no divergence, flat RSS', { timeout: ENDURANCE_MS + 240_000 }, async () => {
  requireLabPrerequisites();
  await withLab(LAB, async (lab: Lab) => {
    await lab.start();
    await lab.waitForRing();
    const node = startTotemscopeNode(lab, { deliveries: true, statsIntervalS: 10 });
    const clients: { client: CpgClient; killed: boolean }[] = [];
    const live = new Map<number, { client: CpgClient; killed: boolean }>();
    const rss: { atMs: number; bytes: number }[] = [];
    let sampling = true;
    let sampler: Promise<void> = Promise.resolve();
    try {
      await lab.waitForMembers([...COROSYNC], [1, 2, 3, 4], 30_000);
      const pid = innerPid(node.proc.pid);
      const startClient = async (n: number): Promise<void> => {
        const entry = { client: await lab.cpgClient(n, { ...CHURN_LOAD, seed: n + clients.length * 10 }), killed: false };
        clients.push(entry);
        live.set(n, entry);
        await entry.client.waitFor(/^start /m, 20_000);
      };
      for (const n of COROSYNC) await startClient(n);

      const t0 = Date.now();
      sampler = (async () => {
        while (sampling) {
          rss.push({ atMs: Date.now() - t0, bytes: rssBytes(pid) });
          await sleep(RSS_SAMPLE_MS);
        }
      })();

      let kills = 0;
      for (let k = 1; t0 + k * KILL_PERIOD_MS < t0 + ENDURANCE_MS; k++) {
        await sleep(Math.max(0, t0 + k * KILL_PERIOD_MS - Date.now()));
        assert.ok(node.proc.running, `totemscope node exited: ${JSON.stringify(node.proc.exit)}`);
        const victim = COROSYNC[(k - 1) % COROSYNC.length]!;
        const survivors = COROSYNC.filter((n) => n !== victim);
        const entry = live.get(victim);
        if (entry !== undefined) entry.killed = true;
        await lab.kill(victim);
        kills++;
        await lab.waitForMembers(survivors, [...survivors, NODE_ID], 20_000);
        await lab.start([victim]);
        await lab.waitForMembers([...COROSYNC], [1, 2, 3, 4], 30_000);
        await entry?.client.process.wait(10_000).catch(() => undefined);
        await startClient(victim);
        say(`t+${((Date.now() - t0) / 1000).toFixed(1)} s: killed and restarted node ${victim}; node RSS ${(rssBytes(pid) / 2 ** 20).toFixed(1)} MiB`);
      }
      await sleep(Math.max(0, t0 + ENDURANCE_MS - Date.now()));
      sampling = false;
      await sampler;
      assert.ok(node.proc.running, `totemscope node exited: ${JSON.stringify(node.proc.exit)}`);

      // Stop the load; the node must then have delivered what the last clients delivered.
      const finalLogs = new Map<CpgClient, CpgLog>();
      for (const e of live.values()) if (!e.killed) finalLogs.set(e.client, await e.client.stop());
      const lastKeys = [...finalLogs.values()].map((l) => clientKeys(l).at(-1)).filter((k): k is string => k !== undefined);
      for (let i = 0; i < 100 && !lastKeys.every((k) => nodeDelivered(node).includes(k)); i++) await sleep(100);

      const nodeStream = nodeDelivered(node);
      const positions = new Map<string, number>();
      nodeStream.forEach((k, i) => {
        assert.ok(!positions.has(k), `the totemscope node delivered ${k} twice`);
        positions.set(k, i);
      });
      let compared = 0;
      for (const [i, e] of clients.entries()) {
        const log = finalLogs.get(e.client) ?? e.client.parse();
        assert.deepEqual(log.bad, [], `client ${i} on node ${e.client.nodeId}`);
        if (!e.killed) assert.deepEqual(log.errors, [], `client ${i} on node ${e.client.nodeId}`);
        const keys = clientKeys(log);
        assertContiguousRun(nodeStream, positions, keys, `client ${i} on node ${e.client.nodeId}${e.killed ? ' (killed with its node)' : ''}`);
        compared += keys.length;
      }
      // Per sender, the node delivered seq 1, 2, 3, ... without a gap: a message lost by everyone
      // (a survivor's message split across a ring change must still be completed, as corosync does).
      const nextSeq = new Map<string, number>();
      for (const k of nodeStream) {
        const [nodeid, senderPid, seq] = k.split('/');
        const sender = `${nodeid}/${senderPid}`;
        const expected = nextSeq.get(sender) ?? 1;
        if (Number(seq) !== expected) {
          const missing = `${sender}/${expected}/`;
          const holders = clients.filter((e) => clientKeys(finalLogs.get(e.client) ?? e.client.parse()).some((c) => c.startsWith(missing)));
          assert.fail(`sender ${sender}: node delivered seq ${seq} after ${expected - 1}; clients that delivered seq ${expected}: ${holders.map((e) => e.client.nodeId).join(' ') || 'none'}`);
        }
        nextSeq.set(sender, expected + 1);
      }
      const senders = nextSeq.size;
      say(
        `churn: ${((Date.now() - t0) / 1000).toFixed(0)} s, ${kills} kills, ${clients.length} clients, node delivered ${nodeStream.length} messages ` +
          `from ${senders} senders; ${compared} client deliveries compared`,
      );
      assert.ok(kills >= Math.floor((ENDURANCE_MS - 1) / KILL_PERIOD_MS), 'a kill every period');
      assert.ok(nodeStream.length > 0 && compared > 0, 'load was delivered');

      // The node agrees with corosync on the final ring.
      const q = await lab.quorum(1);
      const rings = [...node.output().matchAll(/A new membership \(([0-9a-f]+\.[0-9a-f]+)\) was formed/g)].map((m) => m[1]);
      assert.equal(rings.at(-1)?.toLowerCase(), q.ringId.toLowerCase(), 'same last ring id as corosync');

      // Leak check: RSS median of the last fifth vs the second fifth (last vs second minute of 5).
      const window = (lo: number, hi: number): number[] =>
        rss.filter((s) => s.atMs >= lo * ENDURANCE_MS && s.atMs < hi * ENDURANCE_MS).map((s) => s.bytes);
      const second = median(window(0.2, 0.4));
      const last = median(window(0.8, 1.01));
      say(`RSS samples (MiB, every ${RSS_SAMPLE_MS / 1000} s): ${rss.map((s) => (s.bytes / 2 ** 20).toFixed(1)).join(' ')}`);
      say(`RSS median second fifth ${(second / 2 ** 20).toFixed(1)} MiB, last fifth ${(last / 2 ** 20).toFixed(1)} MiB, growth ${((last - second) / 2 ** 20).toFixed(1)} MiB`);
      assert.ok(Number.isFinite(second) && Number.isFinite(last), `RSS samples in both windows: ${rss.length}`);
      assert.ok(last - second < RSS_GROWTH_LIMIT_BYTES, `RSS grew by ${((last - second) / 2 ** 20).toFixed(1)} MiB`);

      node.proc.signal('SIGTERM');
      const exit = await node.proc.wait(10_000);
      assert.equal(exit.code, 0, `node exit ${JSON.stringify(exit)}`);
    } catch (e) {
      process.stderr.write(`--- totemscope node output (tail) ---\n${node.output().slice(-20_000)}\n`);
      throw e;
    } finally {
      sampling = false;
      await sampler.catch(() => undefined);
      for (const e of live.values()) if (e.client.process.running) await e.client.stop().catch(() => undefined);
    }
  });
});
