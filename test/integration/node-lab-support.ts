// Shared by the `totemscope node` lab tests (node-join, node-faults): run the CLI as an extra node of
// a lab cluster, read its log (corosync's words behind an ISO timestamp), compare what it delivered
// with what the lab's CPG clients delivered, and the ring timers the acceptance bounds are stated in.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadTotemConfig } from '../../src/config/index.ts';
import { parseCpgMessageHeader, type CpgClientOptions, type CpgDelivery, type CpgLog, type Lab } from '../lab/index.ts';

export const CLI = path.resolve('bin/totemscope.mjs');

/** The CPG group the lab's clients use by default. */
export const LAB_CPG_GROUP = 'totemscope';

type SpawnedProcess = ReturnType<Lab['spawn']>;

/** One line of `totemscope node` output: `<ISO time> [<level>] <text>`. */
export interface NodeLogLine {
  /** Epoch ms. */
  readonly time: number;
  readonly level: string;
  readonly text: string;
}

export interface NodeMembership {
  readonly time: number;
  /** As corosync prints it, e.g. "1.1c". */
  readonly ringId: string;
  readonly seq: bigint;
  readonly joined: readonly number[];
  readonly left: readonly number[];
}

export interface NodeLog {
  readonly lines: readonly NodeLogLine[];
  readonly memberships: readonly NodeMembership[];
  /** `Members[N]: ...` (logged when sync of a ring completes, as corosync's quorum service does). */
  readonly members: readonly { readonly time: number; readonly members: readonly number[] }[];
  readonly syncCompleted: readonly number[];
  /** `Retransmit List: ...` lines: tokens this node received carrying retransmit requests. */
  readonly retransmitLists: readonly { readonly time: number; readonly seqs: readonly number[] }[];
  readonly tokenLost: readonly number[];
  /** Periodic and final `stats: ...` lines. */
  readonly stats: readonly NodeLogLine[];
}

const LINE_RE = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) \[(\w+)\] (.*)$/;

function ids(text: string | undefined): number[] {
  return (text ?? '').trim().split(/\s+/).filter((s) => s !== '').map(Number);
}

export function parseNodeLog(text: string): NodeLog {
  const lines: NodeLogLine[] = [];
  const memberships: NodeMembership[] = [];
  const members: { time: number; members: number[] }[] = [];
  const syncCompleted: number[] = [];
  const retransmitLists: { time: number; seqs: number[] }[] = [];
  const tokenLost: number[] = [];
  const stats: NodeLogLine[] = [];
  for (const raw of text.split('\n')) {
    const m = LINE_RE.exec(raw);
    if (m === null) continue;
    const line = { time: Date.parse(m[1]!), level: m[2]!, text: m[3]! };
    lines.push(line);
    let r: RegExpExecArray | null;
    if ((r = /^A new membership \(([0-9a-f]+)\.([0-9a-f]+)\) was formed\. Members(?: joined: ([\d ]+?))?(?: left: ([\d ]+?))?\s*$/.exec(line.text))) {
      memberships.push({ time: line.time, ringId: `${r[1]}.${r[2]}`, seq: BigInt(`0x${r[2]}`), joined: ids(r[3]), left: ids(r[4]) });
    } else if ((r = /^Members\[(\d+)\]:([\d ]*)$/.exec(line.text))) {
      members.push({ time: line.time, members: ids(r[2]) });
    } else if (line.text.startsWith('Completed service synchronization')) {
      syncCompleted.push(line.time);
    } else if ((r = /^Retransmit List:([0-9a-f ]*)$/.exec(line.text))) {
      retransmitLists.push({ time: line.time, seqs: ids(r[1]?.replace(/\S+/g, (h) => String(Number.parseInt(h, 16)))) });
    } else if (line.text.startsWith('A processor failed, forming new configuration: token timed out')) {
      tokenLost.push(line.time);
    } else if (/(^|; )stats: /.test(line.text)) {
      stats.push(line);
    }
  }
  return { lines, memberships, members, syncCompleted, retransmitLists, tokenLost, stats };
}

/** Figures from the last `stats:` line (periodic or the one printed on stop). */
export interface NodeStatsFigures {
  readonly ring: string;
  readonly state: string;
  readonly members: readonly number[];
  readonly tokensRx: number;
  readonly mcastTx: number;
  readonly mcastRetx: number;
  readonly mcastRx: number;
  readonly framesIn: number;
  readonly framesOut: number;
  readonly undecodable: number;
  readonly delivered: number;
}

export function parseStatsLine(text: string): NodeStatsFigures | undefined {
  const m =
    /stats: ring (\S+) (\S+) members ([\d ]*); tokens rx (\d+) tx \d+; mcast tx (\d+) retx (\d+) rx (\d+); frames in (\d+) out (\d+) send errors \d+ undecodable (\d+); delivered (\d+)/.exec(
      text,
    );
  if (m === null) return undefined;
  return {
    ring: m[1]!,
    state: m[2]!,
    members: ids(m[3]),
    tokensRx: Number(m[4]),
    mcastTx: Number(m[5]),
    mcastRetx: Number(m[6]),
    mcastRx: Number(m[7]),
    framesIn: Number(m[8]),
    framesOut: Number(m[9]),
    undecodable: Number(m[10]),
    delivered: Number(m[11]),
  };
}

/** The key the comparisons use: one CPG message as the lab's client identifies it. */
export function cpgKey(d: Pick<CpgDelivery, 'nodeid' | 'pid' | 'seq' | 'size' | 'checksum'>): string {
  return `${d.nodeid}/${d.pid}/${d.seq}/${d.size}/${d.checksum}`;
}

/** A `totemscope node` process (and its restarts) on an extra lab node. */
export class TotemscopeNode {
  readonly dir: string;
  readonly conf: string;
  readonly deliveriesPath: string;
  readonly argv: readonly string[];
  readonly runs: SpawnedProcess[] = [];

  constructor(
    private readonly lab: Lab,
    readonly nodeid = 4,
    extraArgs: readonly string[] = [],
  ) {
    this.dir = path.join(lab.dir, `totemscope-${nodeid}`);
    mkdirSync(this.dir, { recursive: true });
    this.conf = path.join(this.dir, 'corosync.conf');
    writeFileSync(this.conf, lab.config);
    this.deliveriesPath = path.join(this.dir, 'deliveries.jsonl');
    this.argv = [
      process.execPath,
      CLI,
      'node',
      '--config',
      this.conf,
      '--nodeid',
      String(nodeid),
      '--state-dir',
      this.dir,
      '--deliveries',
      this.deliveriesPath,
      ...extraArgs,
    ];
  }

  /** Starts (or restarts) the node. */
  start(): SpawnedProcess {
    const p = this.lab.spawn(this.nodeid, this.argv);
    this.runs.push(p);
    return p;
  }

  get current(): SpawnedProcess {
    const p = this.runs.at(-1);
    assert.ok(p !== undefined, 'totemscope node not started');
    return p;
  }

  /** stdout of the current run (the log lines). */
  output(): string {
    const p = this.runs.at(-1);
    return p === undefined || !existsSync(p.stdoutPath) ? '' : readFileSync(p.stdoutPath, 'utf8');
  }

  /** Everything every run printed, for failure messages. */
  allOutput(): string {
    return this.runs
      .map((p) => [p.stdoutPath, p.stderrPath].map((f) => (existsSync(f) ? readFileSync(f, 'utf8') : '')).join(''))
      .join('\n--- restarted ---\n');
  }

  /** The current run's log, parsed. */
  log(): NodeLog {
    return parseNodeLog(this.output());
  }

  /** Length of the current run's output now (a mark for `logSince`). */
  mark(): number {
    return this.output().length;
  }

  logSince(mark: number): NodeLog {
    return parseNodeLog(this.output().slice(mark));
  }

  /** Polls the current run's output (from `mark`) until `re` matches. */
  async waitForLog(re: RegExp, timeoutMs: number, mark = 0): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = re.exec(this.output().slice(mark));
      if (m !== null) return m;
      if (!this.current.running) throw new Error(`totemscope node exited (${JSON.stringify(this.current.exit)}) before ${re}`);
      if (Date.now() > deadline) throw new Error(`totemscope node: ${re} not logged in ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** CPG messages of `group` the node delivered (all runs), as cpgKey strings, in delivery order. */
  deliveredCpg(group = LAB_CPG_GROUP): string[] {
    if (!existsSync(this.deliveriesPath)) return [];
    return readFileSync(this.deliveriesPath, 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as { group: string; head: string; size: number; nodeid: number })
      .filter((r) => r.group === group)
      .map((r) => {
        const h = parseCpgMessageHeader(Buffer.from(r.head, 'hex'));
        assert.ok(h !== undefined, `cpgclient header in ${r.head}`);
        assert.equal(h.nodeid, r.nodeid, 'source nodeid');
        assert.equal(h.size, r.size, 'size');
        return cpgKey(h);
      });
  }

  /** Waits until the node delivered at least `count` messages of the group (or the timeout). */
  async waitForDeliveries(count: number, timeoutMs: number, group = LAB_CPG_GROUP): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const got = this.deliveredCpg(group);
      if (got.length >= count || Date.now() > deadline) return got;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/**
 * The effective totem timers of the lab's corosync.conf (src/config: token with the token
 * coefficient for the nodelist size, consensus = 1.2 · token), checked against what corosync itself
 * runs with (cmap runtime.config.totem.*) on `checkNode`.
 */
export async function effectiveTimers(lab: Lab, checkNode: number): Promise<{ token: number; consensus: number }> {
  const loaded = loadTotemConfig(lab.config);
  assert.ok(!('error' in loaded), 'lab corosync.conf loads');
  const { token, consensus } = loaded.totem;
  assert.equal(Number(await lab.cmapGet(checkNode, 'runtime.config.totem.token')), token, 'effective token as corosync runs it');
  assert.equal(Number(await lab.cmapGet(checkNode, 'runtime.config.totem.consensus')), consensus, 'effective consensus as corosync runs it');
  return { token, consensus };
}

/** Totem traffic that reached an interface (captured before nftables' input hook drops any of it). */
export interface ArrivalCounts {
  readonly frames: number;
  readonly tokens: number;
  readonly mcasts: number;
  /** Distinct (ring id, seq) among the mcasts. */
  readonly distinctMcasts: number;
  /** Mcast copies beyond the first of each (ring id, seq): retransmissions that arrived. */
  readonly retransmittedMcasts: number;
}

/** Decodes a capture with `totemscope read --json` and counts tokens, mcasts and repeated mcasts. */
export async function countArrivals(pcap: string): Promise<ArrivalCounts> {
  const child = spawn(process.execPath, [CLI, 'read', '--json', pcap], { stdio: ['ignore', 'pipe', 'pipe'] });
  let buf = '';
  let stderr = '';
  let frames = 0;
  let tokens = 0;
  let mcasts = 0;
  const seen = new Set<string>();
  const take = (line: string): void => {
    if (line === '') return;
    const f = JSON.parse(line) as Record<string, unknown>;
    if (f['corosync_totemsrp'] !== true) return;
    frames++;
    if (f['corosync_totemsrp.orf_token'] === true) tokens++;
    if (f['corosync_totemsrp.mcast'] === true) {
      mcasts++;
      seen.add(`${String(f['corosync_totemsrp.memb_ring_id'])}/${String(f['corosync_totemsrp.mcast.seq'])}`);
    }
  };
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    const lines = buf.split('\n');
    buf = lines.pop() ?? '';
    for (const l of lines) take(l);
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  take(buf);
  assert.equal(code, 0, `totemscope read ${pcap}: ${stderr}`);
  return { frames, tokens, mcasts, distinctMcasts: seen.size, retransmittedMcasts: mcasts - seen.size };
}

/**
 * One round of CPG traffic from the lab's CPG clients (one per listed node): every client delivered
 * all messages, all in the same order. Returns the logs and that order (as cpgKey strings), which
 * the totemscope node's deliveries are then compared with.
 */
export async function cpgRound(
  lab: Lab,
  nodeIds: readonly number[],
  opts: CpgClientOptions & { readonly count: number },
  label = '',
): Promise<{ logs: CpgLog[]; reference: string[] }> {
  const clients = await lab.cpgClients(nodeIds, opts);
  const logs = await Promise.all(clients.map((c) => c.wait(40_000)));
  for (const l of logs) assert.equal(l.deliveries.length, opts.count * nodeIds.length, `client on node ${l.start?.nodeid} delivered all${label}`);
  const reference = logs[0]!.deliveries.map(cpgKey);
  for (const l of logs.slice(1)) assert.deepEqual(l.deliveries.map(cpgKey), reference);
  return { logs, reference };
}
