/**
 * totemscope real-cluster test lab: corosync 3.1.7 clusters in network namespaces.
 *
 * ## Quick start
 * ```ts
 * import { withLab, requireLabPrerequisites } from '../lab/index.ts';
 * requireLabPrerequisites();                       // throws (= test fails) unless root + all binaries
 * await withLab({ nodes: 3, transport: 'udpu' }, async (lab) => {
 *   await lab.startCapture();                       // tcpdump on the switch bridge(s)
 *   await lab.start();                              // corosync on every node, waits until each is up
 *   const ringId = await lab.waitForRing();         // all joined, same ring id, e.g. "1.d"
 *   const clients = await Promise.all(lab.nodeIds.map((n) =>
 *     lab.cpgClient(n, { count: 50, sizes: [100, [1500, 5000]], waitMembers: 3, expect: 150 })));
 *   const logs = await Promise.all(clients.map((c) => c.wait(30_000)));   // CpgLog each
 *   await lab.kill(2);                              // SIGKILL; lab.stop(2) = SIGTERM (clean leave)
 *   await lab.waitForMembers([1, 3], [1, 3]);
 *   const pcap = await lab.stopCapture();           // path, after tcpdump flushed and exited
 *   // decode pcap, compare with lab.parsedLog(n).memberships, logs[i].deliveries ...
 * });                                               // everything stopped and removed, also on throw
 * ```
 *
 * ## API (all times in ms; node ids are corosync nodeids = last address octet, 1..254)
 * Setup / teardown
 * - `requireLabPrerequisites(): void` — LabError unless root, corosync, corosync-cmapctl,
 *   corosync-quorumtool, corosync-cfgtool, ip, unshare, nsenter, tcpdump, nft, gcc, mount and
 *   /usr/include/corosync/cpg.h are present. (Lab.create calls it too.)
 * - `Lab.create(opts?: LabOptions): Promise<Lab>` — network, node dirs, configs; no corosync yet.
 * - `Lab.start(opts?): Promise<Lab>` — create + start() + waitForRing().
 * - `withLab(opts, async (lab) => T): Promise<T>` — create, run, always destroy.
 * - `lab.destroy(): Promise<void>` — flushes captures, kills every process, deletes namespaces,
 *   removes the dir unless `keep`. `removeStaleLabs(prefix?)` / `npx tsx test/lab/cleanup.ts`.
 * Properties
 * - `id`, `dir`, `switchNetns`, `transport`, `links`, `nodeIds` (corosync nodes), `extraNodes`,
 *   `netnsNodeIds` (every node with a namespace), `config` (generated corosync.conf text),
 *   `clusterConfig`, `authkey` (Buffer | undefined; never log it), `year` (for log times), `keep`.
 * - `addr(nodeId, link = 0)` → "192.0.2.N" / "198.51.100.N"; `netns(nodeId)`; `nodeDir(nodeId)`;
 *   `logPath(nodeId)`.
 * corosync control
 * - `start(nodeIds = all corosync nodes, { wait = true, timeoutMs = 20000 })` — generated config;
 *   waits for the first "Completed service synchronization" after this start (i.e. services up,
 *   singleton or bigger ring). Rejects with corosync's output + log tail if it exits.
 * - `startCorosync(nodeId, confText, { authkey?, wait?, timeoutMs? })` — caller's corosync.conf
 *   (and authkey) written to the node's /etc/corosync; up = sync line in the log or cmap answers.
 *   start() later restores the generated config.
 * - `stop(nodeId, timeoutMs = 15000)` SIGTERM + wait (SIGKILL after timeout); `kill(nodeId)` SIGKILL
 *   + wait; `restart(nodeId, { kill? })`; `isRunning(nodeId)`; `pid(nodeId)`.
 * Inside a node (network + mount namespace, corosync running or not)
 * - `exec(nodeId, argv, { check = true, input?, timeoutMs = 30000, env?, cwd = process.cwd() })`
 *   → Promise<ExecResult> ({ code, signal, stdout, stderr }); argv[0] resolved on PATH + /usr/sbin.
 * - `spawn(nodeId, argv, { stdout?, stderr?, env?, cwd = process.cwd() }): LabProcess & { stdoutPath, stderrPath }`
 *   — long-running process (e.g. a totemscope node on an extra node); stopped by destroy().
 *   LabProcess: `pid`, `running`, `exit`, `exited`, `signal(sig)`, `wait(timeoutMs)`, `stop(sig, graceMs)`,
 *   `onExit(cb)`. Lab processes are unref'd: alone they do not keep the test process alive (a
 *   timed-out test lets it exit and the exit hook clean up); awaiting exited/wait/stop refs them.
 * - `cmap(nodeId, prefix = '')` → Record<key, number | string> (`corosync-cmapctl -b`; integer and
 *   float types as numbers, u64 beyond 2^53 as string); `cmapGet(nodeId, key)`;
 *   `cmapSet(nodeId, key, type, value)`.
 * - `members(nodeId)` → sorted ids with runtime.members.N.status = joined.
 * - `quorum(nodeId)` → QuorumStatus from `corosync-quorumtool -s` ({ ringId, quorate, nodes,
 *   expectedVotes, highestExpected, totalVotes, quorum, flags, members[{nodeid, votes, name}] }).
 * - `waitForMembers(nodeIds, expected: count | ids, timeoutMs = 30000)`.
 * - `waitForRing(nodeIds = running corosync nodes, { timeoutMs = 30000, alsoMembers? })` → ring id;
 *   every listed node has exactly nodeIds + alsoMembers joined and the same quorumtool Ring ID.
 * Logs (corosync logfile, `timestamp: hires` → "Nov 22 05:26:05.718", local time, ms resolution)
 * - `log(nodeId)` text; `logMark(nodeId)` length now; `waitForLog(nodeId, re, timeoutMs = 20000,
 *   fromMark = 0)` → RegExpExecArray; `parsedLog(nodeId)` → CorosyncLog { lines, memberships
 *   [{time, ringId "1.d", rep, seq, joined, left}], quorumMembers, syncCompleted, tokenTimeouts,
 *   retransmits [{time, seqs}], knetLinks [{time, host, link, up}], failedToReceiveLeave }.
 *   `parseCorosyncLog(text, year)` is the same on any log text.
 * Capture
 * - `startCapture({ file?, filter?, snaplen?, nano? }): Promise<Capture>` — tcpdump -B 65536 -U
 *   --immediate-mode on br0 (and br1; merged with mergecap into one classic pcap on stop).
 *   Ethernet link type, µs timestamps unless nano. `stopCapture(): Promise<string>` (pcap path).
 * - `captureNode(nodeId, { iface = 'any', file?, filter?, ... }): Promise<Capture>` inside a node.
 * - Capture: `path`, `running`, `stop(): Promise<{ path, captured, dropped }>`.
 * Faults (nftables tables in the node's netns; Fault: `description`, `dropped()`, `remove()`)
 * - `dropRandom(nodeId, oneIn, { ports = [5405, 5406], direction = 'input' })` — `udp dport {…}
 *   numgen random mod N == 0 drop` (oneIn 8 = 12.5 %).
 * - `cutLink(nodeId, link = 0)` — drop everything in/out of eth<link> until remove().
 * - `partition([[1, 2, 3], [4, 5]])` — listed nodes drop input from other groups' addresses.
 * - `clearFaults(nodeId?)`.
 * CPG client (cpgclient.c, built once per source version into <tmpdir>/totemscope-lab-cache)
 * - `cpgClient(nodeId, CpgClientOptions): Promise<CpgClient>` — options: group ("totemscope"),
 *   count | continuous, sizes ((n | [lo, hi])[], 32..1 MiB, used in turn; ranges seeded), seed,
 *   rate (msg/s, 0 = flat out with CS_ERR_TRY_AGAIN retries), waitMembers (group size before
 *   sending), expect (exit after that many deliveries), exitWhenSent, pattern ('random' | 'text'
 *   = compressible), quiet (no per-message lines), timestamps, progressMs.
 * - `cpgClients(nodeIds, { count, ...CpgClientOptions }): Promise<CpgClient[]>` — one per node,
 *   waitMembers = nodeIds.length, expect = count × nodes, seed = node id (overridable).
 * - CpgClient: `nodeId`, `logPath`, `process`, `text()`, `parse(): CpgLog`, `waitFor(re, ms)`,
 *   `wait(timeoutMs)` (own exit) → CpgLog, `stop()` (SIGTERM) → CpgLog.
 * - CpgLog: { start {nodeid, pid, group}, deliveries [{nodeid, pid, seq, size, checksum, time?}]
 *   in delivery order, sent [{seq, size, checksum}], confchgs, rings [{ringId, members}] (totem
 *   configurations, in order with deliveries), bad, errors, progress, done {sent, delivered,
 *   bad, reason} }. `parseCpgLog(text)`.
 * - Message body: 32-byte little-endian header (magic 0x50435354, version 1, hdr_len 32, nodeid,
 *   pid, seq from 1, size, FNV-1a 32 checksum over bytes [0,24)+[28,size), reserved) + body; see
 *   cpgclient.c. `parseCpgMessageHeader(body)`, `cpgMessageChecksum(message)` decode/verify it.
 *
 * ## Topology (per lab; names carry `<prefix>-<pid>-<random>` so concurrent labs never collide)
 * - switch netns `<id>-sw`: bridge `br0` (link 0, 192.0.2.0/24) and, with `links: 2`, `br1`
 *   (link 1, 198.51.100.0/24); ports `n<N>l<L>`. Multicast snooping off, IPv6 off (quiet captures).
 * - node netns `<id>-n<N>`: `eth0` = 192.0.2.N/24, `eth1` = 198.51.100.N/24, loopback up.
 * - per node a "holder" process (`sleep infinity`) owns a private mount namespace in which
 *   `<dir>/n<N>/etc` → /etc/corosync, `run` → /run (corosync.pid lock), `var` → /var/lib/corosync
 *   (ringid_<N>), `log` → /var/log/corosync (corosync.log), fresh tmpfs → /dev/shm (libqb IPC
 *   ring buffers and blackbox; IPC sockets are abstract, i.e. per network namespace). corosync,
 *   corosync-cmapctl, the CPG client and `spawn` processes run via `nsenter -t <holder> -m -n`,
 *   so all of them share it across corosync restarts.
 * - Lab dir `<os.tmpdir()>/<id>/`: `n<N>/{etc,run,var,log}`, `n<N>/corosync.out` (corosync's
 *   stdout+stderr), `n<N>/cpg-<k>.log`, `captures/`. Removed by destroy() unless `keep`
 *   (or env TOTEMSCOPE_LAB_KEEP=1).
 *
 * ## Generated corosync.conf (LabOptions → text, see `lab.config`)
 * totem: version 2, cluster_name, transport, token (default 1000; `token: null` leaves corosync's
 * default), token_coefficient/consensus/join when given, crypto_* (knet: none/none unless
 * `crypto`), knet_compression_*, link_mode, extra `totem` keys, one `interface {}` per link when it
 * has keys (knet_link_priority, mcastaddr 239.192.<x>.<y>+link for udp, `interfaces[link]` keys).
 * logging: logfile /var/log/corosync/corosync.log, `timestamp: hires`, debug on.
 * quorum: corosync_votequorum, two_node: 1 when exactly 2 corosync nodes and no extra nodes
 * (unless `quorum.two_node` is given), extra `quorum` keys. system: sched_rr: no unless
 * `realtime: true` (2 shared cores). nodelist: every corosync node and every extra node
 * (name n<N> or its name, ring<L>_addr, nodeid, quorum_votes for extra nodes when given, and
 * `nodeOptions[N]` keys).
 *
 * ## Everything it starts it stops
 * destroy() (and withLab's finally) kills all processes, deletes namespaces and the dir. A
 * process 'exit' hook and SIGINT/SIGTERM/SIGHUP handlers do the same synchronously. Labs left
 * by crashed runs (namespaces whose creator pid is gone) are removed when the next lab starts.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  renderCorosyncConf,
  type ClusterConfig,
  type CompressionOptions,
  type ConfValue,
  type CryptoOptions,
  type ExtraNode,
  type Transport,
} from './config.ts';
import { parseCorosyncLog, type CorosyncLog } from './corosync-log.ts';
import { buildCpgClient, cpgClientArgs, parseCpgLog, type CpgClientOptions, type CpgLog } from './cpg.ts';
import {
  bin,
  LabError,
  LabProcess,
  pidAlive,
  pidState,
  requireLabPrerequisites,
  run,
  runSync,
  sleep,
  sleepSync,
  type ExecResult,
  type ProcessExit,
  type RunOptions,
} from './sys.ts';

export { renderCorosyncConf, NODE_LOGFILE } from './config.ts';
export type { ClusterConfig, CompressionOptions, ConfValue, CryptoCipher, CryptoHash, CryptoOptions, ExtraNode, Transport } from './config.ts';
export { parseCorosyncLog, parseLogLine } from './corosync-log.ts';
export type { CorosyncLog, KnetLinkEvent, LogLine, MembershipEvent, QuorumMembersEvent, RetransmitEvent, TokenTimeoutEvent } from './corosync-log.ts';
export {
  buildCpgClient,
  cpgClientArgs,
  cpgMessageChecksum,
  parseCpgLog,
  parseCpgMessageHeader,
  CPG_MESSAGE_HEADER_LEN,
  CPG_MESSAGE_MAGIC,
} from './cpg.ts';
export type { CpgClientOptions, CpgConfchg, CpgDelivery, CpgDone, CpgLog, CpgMember, CpgProgress, CpgRing, CpgSent } from './cpg.ts';
export { LabError, LabProcess, requireLabPrerequisites, run, sleep } from './sys.ts';
export type { ExecResult, ProcessExit, RunOptions } from './sys.ts';

/** Link 0 and link 1 subnets (the only ones the lab uses). */
export const LINK_SUBNETS = ['192.0.2', '198.51.100'] as const;
/** Ports corosync receives on: 5405 (link 0, udp/udpu/knet) and 5406 (knet link 1). */
export const COROSYNC_PORTS = [5405, 5406] as const;

export interface LabOptions {
  /** corosync nodes: a count (ids 1..n) or explicit ids (1..254). Default 3. */
  readonly nodes?: number | readonly number[];
  /** nodelist entries corosync does not run (e.g. a totemscope node, quorumVotes 0). */
  readonly extraNodes?: readonly ExtraNode[];
  /** Default 'udpu'. */
  readonly transport?: Transport;
  /** 1 (default) or 2 (knet only). */
  readonly links?: 1 | 2;
  /** Default 'lab'. */
  readonly clusterName?: string;
  /** knet crypto; the key defaults to 256 random bytes (Lab.authkey). */
  readonly crypto?: CryptoOptions;
  readonly compression?: CompressionOptions;
  /** totem.link_mode (knet): passive | active | rr. */
  readonly linkMode?: 'passive' | 'active' | 'rr';
  /** knet_link_priority per link, e.g. [2, 1]. */
  readonly linkPriority?: readonly number[];
  /** totem.token in ms; default 1000, null = not written (corosync default 3000). */
  readonly token?: number | null;
  readonly tokenCoefficient?: number;
  readonly consensus?: number;
  readonly join?: number;
  /** Extra totem keys. */
  readonly totem?: Readonly<Record<string, ConfValue>>;
  /** Extra keys per `interface { linknumber: L }`, indexed by link. */
  readonly interfaces?: readonly Readonly<Record<string, ConfValue>>[];
  /** Extra quorum keys (two_node, wait_for_all, expected_votes, ...). */
  readonly quorum?: Readonly<Record<string, ConfValue>>;
  /** Extra keys for a nodelist entry, by node id. */
  readonly nodeOptions?: Readonly<Record<number, Readonly<Record<string, ConfValue>>>>;
  /** Multicast address per link for udp (default 239.192.<random>.<random>, link L adds L). */
  readonly mcastAddr?: readonly string[];
  /** logging.debug (default true). */
  readonly debug?: boolean;
  /** Let corosync use SCHED_RR (default false: `system { sched_rr: no }`). */
  readonly realtime?: boolean;
  /** Keep the lab dir (logs, captures) after destroy. Env TOTEMSCOPE_LAB_KEEP=1 does the same. */
  readonly keep?: boolean;
  /** Name prefix (default 'tsl'). */
  readonly prefix?: string;
}

export interface StartOptions {
  /** Wait until corosync is up (first "Completed service synchronization" after this start, or cmap answers). Default true. */
  readonly wait?: boolean;
  /** Default 20 s. */
  readonly timeoutMs?: number;
}

export interface CaptureOptions {
  /** pcap file to write (default `<lab dir>/captures/<label>.pcap`). */
  readonly file?: string;
  /** tcpdump filter expression, e.g. 'udp'. Default: everything. */
  readonly filter?: string;
  /** Snap length (default 262144, i.e. whole frames). */
  readonly snaplen?: number;
  /** Nanosecond timestamps (`--time-stamp-precision=nano`). */
  readonly nano?: boolean;
}

export interface CaptureResult {
  readonly path: string;
  /** tcpdump's counters (summed over links). */
  readonly captured: number;
  readonly dropped: number;
}

/** A running tcpdump (one per bridge for the lab capture; merged with mergecap on stop). */
export class Capture {
  private result: CaptureResult | undefined;
  constructor(
    readonly path: string,
    private readonly parts: readonly { proc: LabProcess; file: string; stderr: string }[],
  ) {}

  get running(): boolean {
    return this.result === undefined;
  }

  /** SIGINT to tcpdump, waits until it has flushed and exited; merges per-link files. */
  async stop(): Promise<CaptureResult> {
    if (this.result !== undefined) return this.result;
    await Promise.all(this.parts.map((p) => p.proc.stop('SIGINT', 10_000)));
    let captured = 0;
    let dropped = 0;
    for (const p of this.parts) {
      const err = existsSync(p.stderr) ? readFileSync(p.stderr, 'utf8') : '';
      captured += Number(/(\d+) packets? captured/.exec(err)?.[1] ?? 0);
      dropped += Number(/(\d+) packets? dropped by kernel/.exec(err)?.[1] ?? 0);
    }
    if (this.parts.length > 1) {
      await run([bin('mergecap'), '-F', 'pcap', '-w', this.path, ...this.parts.map((p) => p.file)]);
    }
    this.result = { path: this.path, captured, dropped };
    return this.result;
  }
}

/** An nftables rule set installed by the lab; remove() takes it out again. */
export interface Fault {
  readonly description: string;
  /** Packets dropped so far by this fault's rules (nft counters). */
  dropped(): Promise<number>;
  remove(): Promise<void>;
}

export interface CmapEntries {
  readonly [key: string]: string | number;
}

/**
 * corosync's own assertion when a token arrives during the first ring formations with a seq far
 * beyond the node's aru (seen with udp multicast and simultaneous starts; upstream corosync issue #4
 * reports the same assertion at a peer's start-up). Not a lab fault, so start() tries once more.
 */
const STARTUP_ABORT = /orf_token_rtr: Assertion `range < QUEUE_RTR_ITEMS_SIZE_MAX' failed/;

export interface QuorumStatus {
  readonly nodes: number;
  readonly nodeId: number;
  /** e.g. "1.9" */
  readonly ringId: string;
  readonly quorate: boolean;
  readonly expectedVotes: number;
  readonly highestExpected: number;
  readonly totalVotes: number;
  readonly quorum: number;
  readonly flags: readonly string[];
  readonly members: readonly { readonly nodeid: number; readonly votes: number; readonly name: string }[];
  readonly raw: string;
}

/** A running cpgclient (cpgclient.c) on one node. */
export class CpgClient {
  constructor(
    readonly nodeId: number,
    readonly logPath: string,
    readonly process: LabProcess,
  ) {}

  /** The log so far. */
  text(): string {
    return existsSync(this.logPath) ? readFileSync(this.logPath, 'utf8') : '';
  }

  /** The log so far, parsed. */
  parse(): CpgLog {
    return parseCpgLog(this.text());
  }

  /** Polls the log until a line matches; returns the match. */
  async waitFor(re: RegExp, timeoutMs = 20_000): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeoutMs;
    const flags = `${re.flags.replace(/[gym]/g, '')}m`;
    const multi = new RegExp(re.source, flags);
    for (;;) {
      const m = multi.exec(this.text());
      if (m !== null) return m;
      if (!this.process.running) {
        const m2 = multi.exec(this.text());
        if (m2 !== null) return m2;
        throw new LabError(`cpgclient on node ${this.nodeId} exited before ${re}: ${this.text().slice(-1000)}`);
      }
      if (Date.now() > deadline) throw new LabError(`cpgclient on node ${this.nodeId}: ${re} not seen in ${timeoutMs} ms`);
      await sleep(50);
    }
  }

  /** Waits for the client to exit by itself (expect / exitWhenSent), then parses its log. */
  async wait(timeoutMs = 60_000): Promise<CpgLog> {
    try {
      await this.process.wait(timeoutMs);
    } catch (e) {
      const log = this.parse();
      throw new LabError(
        `${(e as Error).message}; delivered ${log.deliveries.length}, sent ${log.sent.length}, last lines: ${this.text().split('\n').slice(-4).join(' | ')}`,
      );
    }
    return this.parse();
  }

  /** SIGTERM (the client prints `done` and leaves the group), then parses its log. */
  async stop(): Promise<CpgLog> {
    await this.process.stop('SIGTERM', 5_000);
    return this.parse();
  }
}

interface NodeState {
  readonly id: number;
  readonly corosync: boolean;
  readonly netns: string;
  readonly dir: string;
  holder: LabProcess | undefined;
  proc: LabProcess | undefined;
  customConf: boolean;
}

const liveLabs = new Set<Lab>();
let hooksInstalled = false;
const staleSwept = new Set<string>();

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  const destroyAll = (): void => {
    for (const lab of [...liveLabs]) {
      try {
        lab.destroySync();
      } catch (e) {
        process.stderr.write(`lab ${lab.id}: cleanup failed: ${(e as Error).message}\n`);
      }
    }
  };
  process.on('exit', destroyAll);
  const signals: readonly [NodeJS.Signals, number][] = [
    ['SIGINT', 2],
    ['SIGTERM', 15],
    ['SIGHUP', 1],
  ];
  for (const [sig, num] of signals) {
    process.on(sig, () => {
      destroyAll();
      process.exit(128 + num);
    });
  }
}

function isLiveNodeProcess(pid: number): boolean {
  if (!pidAlive(pid)) return false;
  try {
    return /node|tsx/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
  } catch {
    return false;
  }
}

/**
 * Removes namespaces and dirs of labs with this prefix whose creating process is gone
 * (a crashed or SIGKILLed test run). Returns the lab ids removed.
 */
export function removeStaleLabs(prefix = 'tsl'): string[] {
  const removed = new Set<string>();
  const re = new RegExp(`^(${prefix}-(\\d+)-[0-9a-f]+)-(sw|n\\d+)$`);
  const list = runSync([bin('ip'), 'netns', 'list']).stdout;
  for (const line of list.split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const m = re.exec(name);
    if (m === null) continue;
    const pid = Number(m[2]);
    if (pid === process.pid || isLiveNodeProcess(pid)) continue;
    killNetnsProcesses(name);
    runSync([bin('ip'), 'netns', 'delete', name]);
    removed.add(m[1] ?? name);
  }
  const tmp = os.tmpdir();
  for (const entry of readdirSync(tmp)) {
    const m = new RegExp(`^${prefix}-(\\d+)-[0-9a-f]+$`).exec(entry);
    if (m === null) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || isLiveNodeProcess(pid)) continue;
    if (existsSync(path.join(tmp, entry, '.keep'))) continue;
    rmSync(path.join(tmp, entry), { recursive: true, force: true });
    removed.add(entry);
  }
  return [...removed];
}

function killNetnsProcesses(netns: string): void {
  const pids = runSync([bin('ip'), 'netns', 'pids', netns])
    .stdout.split('\n')
    .map((s) => Number(s.trim()))
    .filter((n) => Number.isInteger(n) && n > 1 && n !== process.pid);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  const deadline = Date.now() + 3000;
  while (pids.some((p) => { const s = pidState(p); return s !== undefined && s !== 'Z'; }) && Date.now() < deadline) sleepSync(20);
}

function randomMcast(): [number, number] {
  const b = randomBytes(2);
  return [b[0] ?? 1, Math.min(250, b[1] ?? 1)];
}

/** A lab cluster. Create with Lab.create (network only) or Lab.start (network + corosync + formed ring). */
export class Lab {
  /** e.g. "tsl-1234-9f3a" */
  readonly id: string;
  /** The lab dir (configs, logs, captures). */
  readonly dir: string;
  readonly switchNetns: string;
  readonly transport: Transport;
  readonly links: 1 | 2;
  /** Nodes that run corosync (sorted). */
  readonly nodeIds: readonly number[];
  /** Extra nodelist nodes (no corosync). */
  readonly extraNodes: readonly ExtraNode[];
  /** knet authkey in use (undefined without crypto). Never log it. */
  readonly authkey: Buffer | undefined;
  /** The generated corosync.conf used by start(). */
  readonly config: string;
  readonly clusterConfig: ClusterConfig;
  /** Year used to turn log timestamps into epoch ms. */
  readonly year: number;
  readonly keep: boolean;

  private readonly nodes = new Map<number, NodeState>();
  private readonly processes = new Set<LabProcess>();
  private readonly faults = new Set<{ netns: string; table: string }>();
  private capture: Capture | undefined;
  private captureCount = 0;
  private cpgCount = 0;
  private spawnCount = 0;
  private faultCount = 0;
  private destroyed = false;

  private constructor(opts: LabOptions, id: string) {
    this.id = id;
    this.dir = path.join(os.tmpdir(), id);
    this.switchNetns = `${id}-sw`;
    this.transport = opts.transport ?? 'udpu';
    this.links = opts.links ?? 1;
    const nodes = opts.nodes ?? 3;
    const ids = typeof nodes === 'number' ? Array.from({ length: nodes }, (_, i) => i + 1) : [...nodes];
    this.nodeIds = [...ids].sort((a, b) => a - b);
    this.extraNodes = opts.extraNodes ?? [];
    this.keep = opts.keep === true || process.env['TOTEMSCOPE_LAB_KEEP'] === '1';
    this.year = new Date().getFullYear();
    const all = [...this.nodeIds, ...this.extraNodes.map((n) => n.id)];
    for (const n of all) {
      if (!Number.isInteger(n) || n < 1 || n > 254) throw new LabError(`node id ${n} out of range 1..254`);
    }
    if (new Set(all).size !== all.length) throw new LabError(`duplicate node ids: ${all.join(',')}`);
    if (this.links === 2 && this.transport !== 'knet') throw new LabError('two links need transport knet');
    const crypto = opts.crypto;
    const needsKey = crypto !== undefined && (crypto.cipher !== 'none' || crypto.hash !== 'none');
    this.authkey = needsKey ? (crypto.key ?? randomBytes(256)) : crypto?.key;
    const [x, y] = randomMcast();
    const mcast = opts.mcastAddr ?? Array.from({ length: this.links }, (_, l) => `239.192.${x}.${y + l}`);
    this.clusterConfig = {
      clusterName: opts.clusterName ?? 'lab',
      transport: this.transport,
      links: this.links,
      corosyncNodes: this.nodeIds,
      extraNodes: this.extraNodes,
      crypto: opts.crypto,
      compression: opts.compression,
      linkMode: opts.linkMode,
      linkPriority: opts.linkPriority,
      token: opts.token === null ? undefined : (opts.token ?? 1000),
      tokenCoefficient: opts.tokenCoefficient,
      consensus: opts.consensus,
      join: opts.join,
      totem: opts.totem ?? {},
      interfaces: opts.interfaces ?? [],
      quorum: opts.quorum ?? {},
      nodeOptions: opts.nodeOptions ?? {},
      mcastAddr: mcast,
      debug: opts.debug ?? true,
      schedRr: opts.realtime === true,
      addr: (n, l) => this.addr(n, l),
    };
    this.config = renderCorosyncConf(this.clusterConfig);
    for (const n of this.nodeIds) {
      this.nodes.set(n, { id: n, corosync: true, netns: `${id}-n${n}`, dir: path.join(this.dir, `n${n}`), holder: undefined, proc: undefined, customConf: false });
    }
    for (const e of this.extraNodes) {
      if (e.netns === false) continue;
      this.nodes.set(e.id, { id: e.id, corosync: false, netns: `${id}-n${e.id}`, dir: path.join(this.dir, `n${e.id}`), holder: undefined, proc: undefined, customConf: false });
    }
  }

  /** Builds the network, node dirs and holders; no corosync yet. */
  static async create(opts: LabOptions = {}): Promise<Lab> {
    requireLabPrerequisites();
    installExitHooks();
    const prefix = opts.prefix ?? 'tsl';
    if (!staleSwept.has(prefix)) {
      staleSwept.add(prefix);
      removeStaleLabs(prefix);
    }
    const lab = new Lab(opts, `${prefix}-${process.pid}-${randomBytes(3).toString('hex')}`);
    liveLabs.add(lab);
    try {
      await lab.build();
    } catch (e) {
      await lab.destroy();
      throw e;
    }
    return lab;
  }

  /** create + start every corosync node + waitForRing. */
  static async start(opts: LabOptions = {}): Promise<Lab> {
    const lab = await Lab.create(opts);
    try {
      await lab.start();
      await lab.waitForRing();
    } catch (e) {
      await lab.destroy();
      throw e;
    }
    return lab;
  }

  /** Every node id with a namespace (corosync nodes and extra nodes with netns). */
  get netnsNodeIds(): number[] {
    return [...this.nodes.keys()].sort((a, b) => a - b);
  }

  /** 192.0.2.N (link 0) or 198.51.100.N (link 1). */
  addr(nodeId: number, link = 0): string {
    const subnet = LINK_SUBNETS[link];
    if (subnet === undefined) throw new LabError(`no link ${link}`);
    return `${subnet}.${nodeId}`;
  }

  /** Network namespace name of a node (for `ip netns exec`). */
  netns(nodeId: number): string {
    return this.node(nodeId).netns;
  }

  /** Host path of a node's dir (`etc`, `run`, `var`, `log` inside). */
  nodeDir(nodeId: number): string {
    return this.node(nodeId).dir;
  }

  /** Host path of a node's corosync logfile. */
  logPath(nodeId: number): string {
    return path.join(this.node(nodeId).dir, 'log', 'corosync.log');
  }

  private node(nodeId: number): NodeState {
    const n = this.nodes.get(nodeId);
    if (n === undefined) throw new LabError(`lab ${this.id}: no node ${nodeId}`);
    return n;
  }

  private track(p: LabProcess): LabProcess {
    this.processes.add(p);
    p.onExit(() => this.processes.delete(p));
    return p;
  }

  private async ip(args: readonly string[]): Promise<void> {
    await run([bin('ip'), ...args]);
  }

  private async build(): Promise<void> {
    mkdirSync(path.join(this.dir, 'captures'), { recursive: true });
    if (this.keep) writeFileSync(path.join(this.dir, '.keep'), '');
    const sw = this.switchNetns;
    await this.ip(['netns', 'add', sw]);
    await this.quietNetns(sw);
    for (let l = 0; l < this.links; l++) {
      await this.ip(['-n', sw, 'link', 'add', `br${l}`, 'type', 'bridge', 'mcast_snooping', '0', 'stp_state', '0']);
      await this.ip(['-n', sw, 'link', 'set', `br${l}`, 'up']);
    }
    await Promise.all(
      [...this.nodes.values()].map(async (n) => {
        await this.ip(['netns', 'add', n.netns]);
        await this.quietNetns(n.netns);
        for (let l = 0; l < this.links; l++) {
          const port = `n${n.id}l${l}`;
          await this.ip(['-n', sw, 'link', 'add', port, 'type', 'veth', 'peer', 'name', `eth${l}`, 'netns', n.netns]);
          await this.ip(['-n', sw, 'link', 'set', port, 'master', `br${l}`, 'up']);
          await this.ip(['-n', n.netns, 'addr', 'add', `${this.addr(n.id, l)}/24`, 'dev', `eth${l}`]);
          await this.ip(['-n', n.netns, 'link', 'set', `eth${l}`, 'up']);
        }
        for (const d of ['etc', 'run', 'var', 'log']) mkdirSync(path.join(n.dir, d), { recursive: true });
        if (n.corosync) this.writeNodeConfig(n, this.config, this.authkey);
        await this.startHolder(n);
      }),
    );
  }

  /** Loopback up, IPv6 off (no router solicitations in captures). */
  private async quietNetns(netns: string): Promise<void> {
    await this.ip(['-n', netns, 'link', 'set', 'lo', 'up']);
    await run([
      bin('ip'), 'netns', 'exec', netns, bin('sh'), '-c',
      'echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6; echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6',
    ]);
  }

  private writeNodeConfig(n: NodeState, conf: string, authkey: Buffer | undefined): void {
    const etc = path.join(n.dir, 'etc');
    writeFileSync(path.join(etc, 'corosync.conf'), conf);
    const keyPath = path.join(etc, 'authkey');
    if (authkey !== undefined) writeFileSync(keyPath, authkey, { mode: 0o400 });
    else rmSync(keyPath, { force: true });
  }

  private async startHolder(n: NodeState): Promise<void> {
    const d = n.dir;
    const script = [
      `mount --bind ${d}/etc /etc/corosync`,
      `mount --bind ${d}/run /run`,
      `mount --bind ${d}/var /var/lib/corosync`,
      `mount --bind ${d}/log /var/log/corosync`,
      'mount -t tmpfs -o size=512m,mode=1777 tmpfs /dev/shm',
      'echo ready',
      'exec sleep infinity',
    ].join(' && ');
    for (const target of ['/etc/corosync', '/var/lib/corosync', '/var/log/corosync']) {
      if (!existsSync(target)) throw new LabError(`lab: ${target} does not exist on the host (is corosync installed?)`);
    }
    const child = spawn(bin('ip'), ['netns', 'exec', n.netns, bin('unshare'), '-m', '--propagation', 'private', bin('sh'), '-c', script], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const proc = this.track(new LabProcess(`holder n${n.id}`, child, true));
    let out = '';
    let err = '';
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (b: Buffer) => {
        out += b.toString();
        if (out.includes('ready')) resolve();
      });
      proc.onExit(() => reject(new LabError(`holder for node ${n.id} failed: ${err.trim()}`)));
    });
    // sleep never writes: drop our pipe ends so they do not keep the test process alive
    child.stdout.destroy();
    child.stderr.destroy();
    n.holder = proc;
  }

  /** nsenter into the node's holder; keeps the working directory (nsenter -m would reset it to /). */
  private nsenter(nodeId: number, cwd: string = process.cwd()): string[] {
    const holder = this.node(nodeId).holder;
    if (holder === undefined || !holder.running) throw new LabError(`node ${nodeId}: namespace holder not running`);
    return [bin('nsenter'), '-t', String(holder.pid), '-m', '-n', `--wd=${cwd}`, '--'];
  }

  private resolveArgv(argv: readonly string[]): string[] {
    const [cmd, ...rest] = argv;
    if (cmd === undefined) throw new LabError('empty argv');
    return [cmd.startsWith('/') ? cmd : bin(cmd), ...rest];
  }

  // ---------------------------------------------------------------- corosync control

  /**
   * Starts corosync with the generated config on the given nodes (default all), in parallel.
   * corosync 3.1.7 itself can abort while several nodes start at once (STARTUP_ABORT below); such a
   * start is done again once, after stopping the nodes it started, and said in `startRetries`.
   */
  async start(nodeIds: number | readonly number[] = this.nodeIds, opts: StartOptions = {}): Promise<void> {
    const list = typeof nodeIds === 'number' ? [nodeIds] : nodeIds;
    const startAll = (): Promise<void[]> =>
      Promise.all(
        list.map(async (id) => {
          const n = this.node(id);
          if (!n.corosync) throw new LabError(`node ${id} is an extra node (no corosync); use startCorosync`);
          if (n.customConf) {
            this.writeNodeConfig(n, this.config, this.authkey);
            n.customConf = false;
          }
          await this.launch(n, opts, false);
        }),
      );
    try {
      await startAll();
    } catch (e) {
      if (!(e instanceof LabError) || !STARTUP_ABORT.test(e.message)) throw e;
      for (const id of list) await this.kill(id);
      this.startRetries.push(e.message.split('\n').find((l) => STARTUP_ABORT.test(l)) ?? e.message);
      await startAll();
    }
  }

  /** corosync aborts (upstream bug, see STARTUP_ABORT) that start() recovered from by starting again. */
  readonly startRetries: string[] = [];

  /**
   * Starts corosync on a node with the caller's corosync.conf (written to its /etc/corosync).
   * With `authkey` also writes /etc/corosync/authkey. Rejects with the corosync output and log
   * tail if it exits before it is up (unless `wait: false`).
   */
  async startCorosync(nodeId: number, confText: string, opts: StartOptions & { readonly authkey?: Buffer } = {}): Promise<void> {
    const n = this.node(nodeId);
    this.writeNodeConfig(n, confText, opts.authkey);
    n.customConf = true;
    await this.launch(n, opts, true);
  }

  private async launch(n: NodeState, opts: StartOptions, custom: boolean): Promise<void> {
    if (n.proc?.running === true) throw new LabError(`corosync already running on node ${n.id}`);
    const logMark = this.logMark(n.id);
    const outPath = path.join(n.dir, 'corosync.out');
    const fd = openSync(outPath, 'a');
    let child;
    try {
      child = spawn(this.nsenter(n.id)[0] ?? 'nsenter', [...this.nsenter(n.id).slice(1), bin('corosync'), '-f'], {
        stdio: ['ignore', fd, fd],
      });
    } finally {
      closeSync(fd);
    }
    const proc = this.track(new LabProcess(`corosync n${n.id}`, child, true));
    n.proc = proc;
    if (opts.wait === false) return;
    const deadline = Date.now() + (opts.timeoutMs ?? 20_000);
    for (let i = 0; ; i++) {
      if (!proc.running) {
        const out = readFileSync(outPath, 'utf8').split('\n').slice(-15).join('\n');
        const log = this.log(n.id).slice(logMark).split('\n').slice(-15).join('\n');
        throw new LabError(`corosync on node ${n.id} exited (${proc.exit?.signal ?? proc.exit?.code}) during start.\noutput:\n${out}\nlog:\n${log}`);
      }
      if (this.log(n.id).slice(logMark).includes('Completed service synchronization')) return;
      if (custom && i % 5 === 4) {
        const r = await this.exec(n.id, ['corosync-cmapctl', '-g', 'runtime.config.totem.token'], { check: false, timeoutMs: 5000 });
        if (r.code === 0) return;
      }
      if (Date.now() > deadline) throw new LabError(`corosync on node ${n.id} not up after ${opts.timeoutMs ?? 20_000} ms`);
      await sleep(40);
    }
  }

  /** Is corosync running on the node? */
  isRunning(nodeId: number): boolean {
    return this.node(nodeId).proc?.running === true;
  }

  /** corosync's pid on the node (undefined when not running). */
  pid(nodeId: number): number | undefined {
    const p = this.node(nodeId).proc;
    return p?.running === true ? p.pid : undefined;
  }

  /** SIGTERM: corosync leaves the ring cleanly; waits for it to exit (SIGKILL after timeoutMs). */
  async stop(nodeId: number, timeoutMs = 15_000): Promise<ProcessExit | undefined> {
    const p = this.node(nodeId).proc;
    if (p === undefined) return undefined;
    return p.stop('SIGTERM', timeoutMs);
  }

  /** SIGKILL, waits for the process to be gone. */
  async kill(nodeId: number): Promise<ProcessExit | undefined> {
    const p = this.node(nodeId).proc;
    if (p === undefined) return undefined;
    return p.stop('SIGKILL', 5_000);
  }

  /** stop (or kill with `{ kill: true }`) then start again with the same config. */
  async restart(nodeId: number, opts: StartOptions & { readonly kill?: boolean } = {}): Promise<void> {
    if (opts.kill === true) await this.kill(nodeId);
    else await this.stop(nodeId);
    const n = this.node(nodeId);
    await this.launch(n, opts, n.customConf);
  }

  // ---------------------------------------------------------------- commands in a node

  /**
   * Runs argv inside the node's network and mount namespace (argv[0] resolved on the host PATH
   * plus /usr/sbin). Rejects on a non-zero exit unless `check: false`.
   */
  exec(nodeId: number, argv: readonly string[], opts: RunOptions & { readonly cwd?: string } = {}): Promise<ExecResult> {
    return run([...this.nsenter(nodeId, opts.cwd), ...this.resolveArgv(argv)], opts);
  }

  /**
   * Starts a long-running process inside the node's namespaces (e.g. a totemscope node).
   * stdout/stderr go to files (default `<node dir>/proc-<k>.out|.err`). Stopped by destroy().
   */
  spawn(
    nodeId: number,
    argv: readonly string[],
    opts: { readonly stdout?: string; readonly stderr?: string; readonly env?: NodeJS.ProcessEnv; readonly cwd?: string } = {},
  ): LabProcess & { readonly stdoutPath: string; readonly stderrPath: string } {
    const k = ++this.spawnCount;
    const n = this.node(nodeId);
    const stdoutPath = opts.stdout ?? path.join(n.dir, `proc-${k}.out`);
    const stderrPath = opts.stderr ?? path.join(n.dir, `proc-${k}.err`);
    const [cmd, ...args] = [...this.nsenter(nodeId, opts.cwd), ...this.resolveArgv(argv)];
    const outFd = openSync(stdoutPath, 'a');
    const errFd = openSync(stderrPath, 'a');
    try {
      const child = spawn(cmd ?? 'nsenter', args, { stdio: ['ignore', outFd, errFd], env: opts.env ?? process.env });
      const proc = this.track(new LabProcess(`${argv[0] ?? '?'} on n${nodeId}`, child, true));
      return Object.assign(proc, { stdoutPath, stderrPath });
    } finally {
      closeSync(outFd);
      closeSync(errFd);
    }
  }

  /** `corosync-cmapctl -b PREFIX` parsed: key → number (integer/float types) or string. */
  async cmap(nodeId: number, prefix = ''): Promise<CmapEntries> {
    const r = await this.exec(nodeId, ['corosync-cmapctl', '-b', ...(prefix !== '' ? [prefix] : [])], { timeoutMs: 10_000 });
    return parseCmap(r.stdout);
  }

  /** One exact cmap key (undefined when absent or corosync not reachable). */
  async cmapGet(nodeId: number, key: string): Promise<string | number | undefined> {
    const r = await this.exec(nodeId, ['corosync-cmapctl', '-b', key], { check: false, timeoutMs: 10_000 });
    if (r.code !== 0) return undefined;
    return parseCmap(r.stdout)[key];
  }

  /** `corosync-cmapctl -s KEY TYPE VALUE`. */
  async cmapSet(nodeId: number, key: string, type: string, value: string | number): Promise<void> {
    await this.exec(nodeId, ['corosync-cmapctl', '-s', key, type, String(value)]);
  }

  /** Node ids with status "joined" in the node's runtime.members. */
  async members(nodeId: number): Promise<number[]> {
    const entries = await this.cmap(nodeId, 'runtime.members.');
    const out: number[] = [];
    for (const [k, v] of Object.entries(entries)) {
      const m = /^runtime\.members\.(\d+)\.status$/.exec(k);
      if (m !== null && v === 'joined') out.push(Number(m[1]));
    }
    return out.sort((a, b) => a - b);
  }

  /** `corosync-quorumtool -s` parsed. */
  async quorum(nodeId: number): Promise<QuorumStatus> {
    const r = await this.exec(nodeId, ['corosync-quorumtool', '-s'], { check: false, timeoutMs: 10_000 });
    if (!/Ring ID:/.test(r.stdout)) throw new LabError(`corosync-quorumtool -s on node ${nodeId} failed: ${r.stderr.trim() || r.stdout.trim()}`);
    return parseQuorumStatus(r.stdout);
  }

  /**
   * Polls until every node in nodeIds has `expected` joined members (a count, or exactly these ids).
   * Returns the member list seen.
   */
  async waitForMembers(nodeIds: readonly number[], expected: number | readonly number[], timeoutMs = 30_000): Promise<number[]> {
    const deadline = Date.now() + timeoutMs;
    const want = typeof expected === 'number' ? undefined : [...expected].sort((a, b) => a - b).join(',');
    let last = '';
    for (;;) {
      const seen = await Promise.all(nodeIds.map((n) => this.members(n).catch(() => [] as number[])));
      last = seen.map((s, i) => `n${nodeIds[i]}:[${s.join(',')}]`).join(' ');
      const ok = seen.every((s) => (want === undefined ? s.length === expected : s.join(',') === want));
      if (ok) return seen[0] ?? [];
      if (Date.now() > deadline) throw new LabError(`waitForMembers: expected ${want ?? expected} within ${timeoutMs} ms, saw ${last}`);
      await sleep(100);
    }
  }

  /**
   * Waits until the given running nodes (default every running corosync node) all have exactly
   * these nodes (plus `alsoMembers`, e.g. a totemscope node) joined and report the same ring id.
   * Returns the ring id ("rep.seq" hex as corosync prints it).
   */
  async waitForRing(
    nodeIds: readonly number[] = this.nodeIds.filter((n) => this.isRunning(n)),
    opts: { readonly timeoutMs?: number; readonly alsoMembers?: readonly number[] } = {},
  ): Promise<string> {
    const timeoutMs = opts.timeoutMs ?? 30_000;
    const deadline = Date.now() + timeoutMs;
    const expected = [...nodeIds, ...(opts.alsoMembers ?? [])];
    for (;;) {
      await this.waitForMembers(nodeIds, expected, Math.max(1, deadline - Date.now()));
      // Ring id and member list from the same quorumtool output: right after a start, a node can
      // still report an earlier ring (its singleton) while runtime.members already lists everyone.
      const want = [...expected].sort((a, b) => a - b).join(',');
      const rings = await Promise.all(
        nodeIds.map((n) =>
          this.quorum(n).then(
            (q) => (q.members.map((m) => m.nodeid).sort((a, b) => a - b).join(',') === want ? q.ringId : `${q.ringId}(members ${q.members.map((m) => m.nodeid).join(',')})`),
            () => '?',
          ),
        ),
      );
      const first = rings[0];
      if (first !== undefined && /^[0-9a-f]+\.[0-9a-f]+$/.test(first) && rings.every((r) => r === first)) return first;
      if (Date.now() > deadline) throw new LabError(`waitForRing: ring ids differ: ${rings.join(' ')}`);
      await sleep(100);
    }
  }

  // ---------------------------------------------------------------- logs

  /** The node's corosync log so far ('' before the first start). */
  log(nodeId: number): string {
    const p = this.logPath(nodeId);
    return existsSync(p) ? readFileSync(p, 'utf8') : '';
  }

  /** Current length of the node's log (characters): pass to waitForLog to only look at later lines. */
  logMark(nodeId: number): number {
    return this.log(nodeId).length;
  }

  /** The node's log parsed (memberships, quorum, retransmits, knet links, ...). */
  parsedLog(nodeId: number): CorosyncLog {
    return parseCorosyncLog(this.log(nodeId), this.year);
  }

  /** Polls the node's log (from `fromMark`, see logMark) until re matches; returns the match (index relative to fromMark). */
  async waitForLog(nodeId: number, re: RegExp, timeoutMs = 20_000, fromMark = 0): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeoutMs;
    const once = new RegExp(re.source, re.flags.replace(/[gy]/g, '')); // no lastIndex state between polls
    for (;;) {
      const m = once.exec(this.log(nodeId).slice(fromMark));
      if (m !== null) return m;
      if (Date.now() > deadline) throw new LabError(`node ${nodeId}: ${re} not in corosync log within ${timeoutMs} ms`);
      await sleep(50);
    }
  }

  // ---------------------------------------------------------------- capture

  /** Starts tcpdump on the switch bridge(s); one lab capture at a time (stopCapture ends it). */
  async startCapture(opts: CaptureOptions = {}): Promise<Capture> {
    if (this.capture?.running === true) throw new LabError('a lab capture is already running');
    if (this.links > 1) bin('mergecap'); // fail now rather than at stopCapture
    const label = `capture-${++this.captureCount}`;
    const file = opts.file ?? path.join(this.dir, 'captures', `${label}.pcap`);
    const parts = await Promise.all(
      Array.from({ length: this.links }, (_, l) =>
        this.startTcpdump(['ip', 'netns', 'exec', this.switchNetns], `br${l}`, this.links === 1 ? file : `${file}.link${l}`, opts, `${label}-br${l}`),
      ),
    );
    this.capture = new Capture(file, parts);
    return this.capture;
  }

  /** Stops the lab capture; resolves with the pcap path once tcpdump has flushed and exited. */
  async stopCapture(): Promise<string> {
    if (this.capture === undefined) throw new LabError('no lab capture started');
    return (await this.capture.stop()).path;
  }

  /** tcpdump inside one node's namespace (default interface 'any', i.e. SLL2 link type). */
  async captureNode(nodeId: number, opts: CaptureOptions & { readonly iface?: string } = {}): Promise<Capture> {
    const label = `node${nodeId}-${++this.captureCount}`;
    const file = opts.file ?? path.join(this.dir, 'captures', `${label}.pcap`);
    const part = await this.startTcpdump(['ip', 'netns', 'exec', this.node(nodeId).netns], opts.iface ?? 'any', file, opts, label);
    return new Capture(file, [part]);
  }

  private async startTcpdump(
    prefix: readonly string[],
    iface: string,
    file: string,
    opts: CaptureOptions,
    label: string,
  ): Promise<{ proc: LabProcess; file: string; stderr: string }> {
    const stderrPath = path.join(this.dir, 'captures', `${label}.tcpdump.err`);
    const errFd = openSync(stderrPath, 'w');
    const args = [
      ...this.resolveArgv(prefix),
      bin('tcpdump'), '-i', iface, '-n', '-w', file, '-B', '65536', '-U', '--immediate-mode', '-Z', 'root',
      '-s', String(opts.snaplen ?? 262144),
      ...(opts.nano === true ? ['--time-stamp-precision=nano'] : []),
      ...(opts.filter !== undefined ? [opts.filter] : []),
    ];
    let proc: LabProcess;
    try {
      const [cmd, ...rest] = args;
      proc = this.track(new LabProcess(`tcpdump ${label}`, spawn(cmd ?? 'ip', rest, { stdio: ['ignore', 'ignore', errFd] }), true));
    } finally {
      closeSync(errFd);
    }
    const deadline = Date.now() + 10_000;
    for (;;) {
      const err = readFileSync(stderrPath, 'utf8');
      if (/listening on/.test(err)) break;
      if (!proc.running || Date.now() > deadline) {
        proc.signal('SIGKILL');
        throw new LabError(`tcpdump on ${iface} did not start: ${err.trim()}`);
      }
      await sleep(20);
    }
    return { proc, file, stderr: stderrPath };
  }

  // ---------------------------------------------------------------- faults (nftables in a node's netns)

  private async nft(netns: string, rules: string): Promise<void> {
    await run([bin('ip'), 'netns', 'exec', netns, bin('nft'), '-f', '-'], { input: rules });
  }

  private async addTable(nodeId: number, description: string, chains: { hook: 'input' | 'output'; rules: string[] }[]): Promise<Fault> {
    const netns = this.node(nodeId).netns;
    const table = `tslab_${++this.faultCount}`;
    const body = chains
      .map((c) => `  chain ${c.hook} {\n    type filter hook ${c.hook} priority -10; policy accept;\n${c.rules.map((r) => `    ${r}\n`).join('')}  }\n`)
      .join('');
    await this.nft(netns, `table inet ${table} {\n${body}}\n`);
    const entry = { netns, table };
    this.faults.add(entry);
    return {
      description,
      dropped: async () => {
        if (!this.faults.has(entry)) return 0;
        const r = await run([bin('ip'), 'netns', 'exec', netns, bin('nft'), 'list', 'table', 'inet', table], { check: false });
        return [...r.stdout.matchAll(/counter packets (\d+)/g)].reduce((sum, m) => sum + Number(m[1]), 0);
      },
      remove: async () => {
        if (!this.faults.has(entry)) return;
        this.faults.delete(entry);
        await run([bin('ip'), 'netns', 'exec', netns, bin('nft'), 'delete', 'table', 'inet', table], { check: false });
      },
    };
  }

  /**
   * Drops 1 in `oneIn` UDP packets to the corosync ports (default 5405, 5406) at the node's
   * input (`numgen random mod N == 0 drop`); direction 'output' or 'both' also available.
   */
  async dropRandom(
    nodeId: number,
    oneIn: number,
    opts: { readonly ports?: readonly number[]; readonly direction?: 'input' | 'output' | 'both' } = {},
  ): Promise<Fault> {
    if (!Number.isInteger(oneIn) || oneIn < 1) throw new LabError(`dropRandom: oneIn must be an integer >= 1`);
    const ports = (opts.ports ?? COROSYNC_PORTS).join(', ');
    const dir = opts.direction ?? 'input';
    const chains: { hook: 'input' | 'output'; rules: string[] }[] = [];
    if (dir !== 'output') chains.push({ hook: 'input', rules: [`udp dport { ${ports} } numgen random mod ${oneIn} == 0 counter drop`] });
    if (dir !== 'input') chains.push({ hook: 'output', rules: [`udp dport { ${ports} } numgen random mod ${oneIn} == 0 counter drop`] });
    return this.addTable(nodeId, `drop 1/${oneIn} of ${dir} udp to ${ports} on node ${nodeId}`, chains);
  }

  /** Drops everything in and out of the node's link `link` (default 0) until remove(). */
  async cutLink(nodeId: number, link = 0): Promise<Fault> {
    return this.addTable(nodeId, `link ${link} of node ${nodeId} cut`, [
      { hook: 'input', rules: [`iifname "eth${link}" counter drop`] },
      { hook: 'output', rules: [`oifname "eth${link}" counter drop`] },
    ]);
  }

  /**
   * Partitions the nodes: each listed node drops input from every lab address of nodes in other
   * groups (all links; multicast included since the source is matched). Nodes not listed are untouched.
   */
  async partition(groups: readonly (readonly number[])[]): Promise<Fault> {
    const faults: Fault[] = [];
    const all = groups.flat();
    for (const g of groups) {
      const others = all.filter((n) => !g.includes(n));
      if (others.length === 0) continue;
      const addrs = others.flatMap((n) => Array.from({ length: this.links }, (_, l) => this.addr(n, l))).join(', ');
      for (const n of g) {
        faults.push(await this.addTable(n, `partition`, [{ hook: 'input', rules: [`ip saddr { ${addrs} } counter drop`] }]));
      }
    }
    return {
      description: `partition ${groups.map((g) => `[${g.join(',')}]`).join(' | ')}`,
      dropped: async () => (await Promise.all(faults.map((f) => f.dropped()))).reduce((a, b) => a + b, 0),
      remove: async () => {
        await Promise.all(faults.map((f) => f.remove()));
      },
    };
  }

  /** Removes every fault (on one node, or all). */
  async clearFaults(nodeId?: number): Promise<void> {
    const netns = nodeId === undefined ? undefined : this.node(nodeId).netns;
    for (const f of [...this.faults]) {
      if (netns !== undefined && f.netns !== netns) continue;
      this.faults.delete(f);
      await run([bin('ip'), 'netns', 'exec', f.netns, bin('nft'), 'delete', 'table', 'inet', f.table], { check: false });
    }
  }

  // ---------------------------------------------------------------- CPG client

  /** Starts test/lab/cpgclient.c on the node (compiled once per run); its log is `<node dir>/cpg-<k>.log`. */
  async cpgClient(nodeId: number, opts: CpgClientOptions = {}): Promise<CpgClient> {
    const binary = await buildCpgClient();
    const n = this.node(nodeId);
    const logPath = path.join(n.dir, `cpg-${++this.cpgCount}.log`);
    const proc = this.spawn(nodeId, [binary, ...cpgClientArgs(opts)], { stdout: logPath, stderr: `${logPath}.err` });
    return new CpgClient(nodeId, logPath, proc);
  }

  /**
   * One client per node, each sending `count` messages once all of them joined the group
   * (waitMembers = nodeIds.length) and exiting after delivering everyone's (expect = count × nodes).
   * Other options as cpgClient; `seed` defaults to the node id so sizes differ per sender.
   */
  async cpgClients(nodeIds: readonly number[], opts: CpgClientOptions & { readonly count: number }): Promise<CpgClient[]> {
    return Promise.all(
      nodeIds.map((n) =>
        this.cpgClient(n, { waitMembers: nodeIds.length, expect: opts.count * nodeIds.length, seed: n, ...opts }),
      ),
    );
  }

  // ---------------------------------------------------------------- teardown

  /** Stops captures (flushing them), kills every process, deletes namespaces and (unless keep) the dir. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    if (this.capture?.running === true) await this.capture.stop().catch(() => undefined);
    const procs = [...this.processes];
    for (const p of procs) if (p.label.startsWith('tcpdump')) p.signal('SIGINT');
    await Promise.all(procs.filter((p) => p.label.startsWith('tcpdump')).map((p) => p.wait(5000).catch(() => undefined)));
    for (const p of this.processes) p.signal('SIGKILL');
    await Promise.all([...this.processes].map((p) => p.wait(5000).catch(() => undefined)));
    this.destroySync();
  }

  /** Synchronous teardown (process exit hook). */
  destroySync(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    liveLabs.delete(this);
    for (const p of this.processes) p.signal('SIGKILL');
    const all = [...[...this.nodes.values()].map((n) => n.netns), this.switchNetns];
    for (const ns of all) killNetnsProcesses(ns);
    for (const ns of all) runSync([bin('ip'), 'netns', 'delete', ns]);
    if (!this.keep) rmSync(this.dir, { recursive: true, force: true });
  }

  /** Whether destroy() has run. */
  get isDestroyed(): boolean {
    return this.destroyed;
  }
}

/** Runs fn with a fresh lab (Lab.create: network only) and always destroys it. */
export async function withLab<T>(opts: LabOptions, fn: (lab: Lab) => Promise<T>): Promise<T> {
  const lab = await Lab.create(opts);
  try {
    return await fn(lab);
  } finally {
    await lab.destroy();
  }
}

/** Parses `corosync-cmapctl -b` output lines "key (type) = value". */
export function parseCmap(text: string): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const line of text.split('\n')) {
    const m = /^(\S+) \((\w+)\) = ?(.*)$/.exec(line);
    if (m === null) continue;
    const [, key, type, rawValue] = m;
    if (key === undefined || type === undefined) continue;
    const value = (rawValue ?? '').trimEnd();
    if (/^[ui](8|16|32|64)$/.test(type) || type === 'flt' || type === 'dbl') {
      const num = Number(value);
      out[key] = Number.isFinite(num) && (type !== 'u64' && type !== 'i64' || Number.isSafeInteger(num)) ? num : value;
    } else {
      out[key] = value;
    }
  }
  return out;
}

/** Parses `corosync-quorumtool -s` output. */
export function parseQuorumStatus(text: string): QuorumStatus {
  const field = (name: string): string => new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(text)?.[1]?.trim() ?? '';
  const members: { nodeid: number; votes: number; name: string }[] = [];
  const section = text.split(/Membership information\s*\n-+\n/)[1] ?? '';
  for (const line of section.split('\n')) {
    const m = /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line);
    if (m !== null) members.push({ nodeid: Number(m[1]), votes: Number(m[2]), name: (m[3] ?? '').trim() });
  }
  return {
    nodes: Number(field('Nodes')),
    nodeId: Number(field('Node ID')),
    ringId: field('Ring ID'),
    quorate: field('Quorate') === 'Yes',
    expectedVotes: Number(field('Expected votes')),
    highestExpected: Number(field('Highest expected')),
    totalVotes: Number(field('Total votes')),
    quorum: Number(field('Quorum').split(/\s+/)[0]),
    flags: field('Flags').split(/\s+/).filter((s) => s !== ''),
    members,
    raw: text,
  };
}

/** Size in bytes of a file (0 when missing). */
export function fileSize(p: string): number {
  try {
    return statSync(p).size;
  } catch {
    return 0;
  }
}
