/**
 * Shared by the issue 5 real-cluster tests (deliver-*.test.ts): run the real CLI
 * `totemscope read --deliver --json` on a lab capture and turn its output into the lines the lab's
 * CPG client logs for each delivery (`deliver <nodeid> <pid> <seq> <size> <fnv1a>`), so the
 * capture's delivery view and the clients' logs compare as plain string lists.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cpgMessageChecksum, Lab, parseCpgMessageHeader, type CpgDelivery, type CpgLog, type CpgSent, type LabOptions, type QuorumStatus } from '../lab/index.ts';

const CLI = new URL('../../bin/totemscope.mjs', import.meta.url).pathname;

/** Large enough for the whole body of the biggest test message: every checksum is recomputed. */
export const FULL_PAYLOAD_BYTES = 1 << 20;

/** One `read --deliver --json` message object (the fields issue 5 requires, plus what we check). */
export interface DeliverMessageJson {
  readonly ring_id: string;
  readonly seq: number;
  readonly nodeid: number;
  readonly service: string;
  readonly type: string;
  readonly group: string | null;
  readonly pid: number | null;
  readonly size: number;
  readonly payload: string;
  readonly summary: string;
  readonly recovered: boolean;
}

/** A non-message event object (`gap`, `incomplete`, `error`, `ring`). */
export interface DeliverEventJson {
  readonly event: string;
  readonly ring_id: string;
  readonly nodeid?: number;
  readonly reason?: string;
  readonly [k: string]: unknown;
}

export interface DeliverOutput {
  readonly messages: DeliverMessageJson[];
  readonly events: DeliverEventJson[];
  readonly stderr: string;
}

/** Spawns `node bin/totemscope.mjs read --deliver --json --payload-bytes N [--key F] pcap`. */
export async function readDeliver(pcap: string, opts: { readonly authkey?: Buffer; readonly payloadBytes?: number; readonly exitCode?: number } = {}): Promise<DeliverOutput> {
  let keyDir: string | undefined;
  const args = [CLI, 'read', '--deliver', '--json', '--payload-bytes', String(opts.payloadBytes ?? FULL_PAYLOAD_BYTES)];
  try {
    if (opts.authkey !== undefined) {
      keyDir = mkdtempSync(path.join(os.tmpdir(), 'totemscope-key-'));
      const keyFile = path.join(keyDir, 'authkey');
      writeFileSync(keyFile, opts.authkey, { mode: 0o600 });
      args.push('--key', keyFile);
    }
    args.push(pcap);
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (b: Buffer) => out.push(b));
      child.stderr.on('data', (b: Buffer) => err.push(b));
      child.on('error', reject);
      child.on('close', (c) => resolve({ code: c, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
    });
    assert.equal(code, opts.exitCode ?? 0, `read --deliver exited ${code}: ${stderr}`);
    const messages: DeliverMessageJson[] = [];
    const events: DeliverEventJson[] = [];
    for (const line of stdout.split('\n')) {
      if (line === '') continue;
      const o = JSON.parse(line) as Record<string, unknown>;
      if (typeof o['event'] === 'string') events.push(o as unknown as DeliverEventJson);
      else messages.push(o as unknown as DeliverMessageJson);
    }
    return { messages, events, stderr };
  } finally {
    if (keyDir !== undefined) rmSync(keyDir, { recursive: true, force: true });
  }
}

/** The client's log line for a delivery. */
export function clientLine(d: CpgDelivery): string {
  return `deliver ${d.nodeid} ${d.pid} ${d.seq} ${d.size} ${d.checksum}`;
}

/**
 * The CPG mcasts of `group` in the delivery view, as client log lines. Each body is checked like the
 * client checks it: TSCP header, size = body size, checksum recomputed over the whole body, and the
 * header's sender nodeid and pid equal to what the view says sent it.
 */
export function viewLines(messages: readonly DeliverMessageJson[], group: string): string[] {
  const lines: string[] = [];
  for (const m of messages) {
    if (m.service !== 'cpg' || m.type !== 'mcast' || m.group !== group) continue;
    const where = `ring ${m.ring_id} seq ${m.seq} node ${m.nodeid}`;
    const body = Buffer.from(m.payload, 'hex');
    assert.equal(body.length, m.size, `${where}: payload cut (size ${m.size}, ${body.length} bytes shown)`);
    const h = parseCpgMessageHeader(body);
    assert.ok(h !== undefined, `${where}: no TSCP header in a ${m.size}-byte message`);
    assert.equal(h.size, m.size, `${where}: TSCP size field`);
    assert.equal(cpgMessageChecksum(body).toString(16).padStart(8, '0'), h.checksum, `${where}: body checksum`);
    assert.equal(h.nodeid, m.nodeid, `${where}: TSCP nodeid = sender`);
    assert.equal(h.pid, m.pid, `${where}: TSCP pid = CPG pid`);
    lines.push(`deliver ${h.nodeid} ${h.pid} ${h.seq} ${h.size} ${h.checksum}`);
  }
  return lines;
}

/** What a client sent, as the lines every member logs for it. */
export function sentLines(log: CpgLog): string[] {
  assert.ok(log.start !== undefined, 'client log has a start line');
  const { nodeid, pid } = log.start;
  return log.sent.map((s: CpgSent) => `deliver ${nodeid} ${pid} ${s.seq} ${s.size} ${s.checksum}`);
}

export function duplicates(lines: readonly string[]): string[] {
  const seen = new Set<string>();
  const dup: string[] = [];
  for (const l of lines) {
    if (seen.has(l)) dup.push(l);
    seen.add(l);
  }
  return dup;
}

/** First index where the lists differ (or -1), for short assertion messages on long lists. */
export function firstDifference(a: readonly string[], b: readonly string[]): string {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return `at ${i}: ${a[i] ?? '(end)'} vs ${b[i] ?? '(end)'} (lengths ${a.length} vs ${b.length})`;
  }
  return 'equal';
}

/** Votes and expected votes of the nodeinfo a node sent about itself (wire-format.md §5.2: u32 at 16, 20, 24). */
export function nodeinfoOf(m: DeliverMessageJson): { nodeid: number; votes: number; expectedVotes: number; flags: number } | undefined {
  if (m.service !== 'votequorum' || m.type !== 'nodeinfo') return undefined;
  const b = Buffer.from(m.payload, 'hex');
  if (b.length < 32) return undefined;
  return { nodeid: b.readUInt32LE(16), votes: b.readUInt32LE(20), expectedVotes: b.readUInt32LE(24), flags: b.readUInt32LE(28) };
}

export const MIXED_SIZES: readonly (number | readonly [number, number])[] = [64, [500, 3000], 5000, 20000];

export interface ClusterRun {
  readonly logs: CpgLog[];
  /** Raw client logs (same order as logs). */
  readonly texts: string[];
  readonly quorum: Map<number, QuorumStatus>;
  readonly view: DeliverOutput;
  /** With crypto: the same capture read without --key (exit status 3, nothing delivered). */
  readonly withoutKey?: DeliverOutput;
  readonly dropped: number;
}

/**
 * A 3-node cluster: capture from before corosync starts, one CPG client per node sending `count`
 * messages of MIXED_SIZES until every client delivered all 3 × count, `corosync-quorumtool -s` on
 * every node, then `read --deliver --json` on the capture (with the authkey when crypto is on).
 */
export async function cpgClusterRun(opts: LabOptions, count: number, sizes: readonly (number | readonly [number, number])[] = MIXED_SIZES): Promise<ClusterRun> {
  const lab = await Lab.create({ nodes: 3, ...opts });
  try {
    const capture = await lab.startCapture({ filter: 'udp' });
    await lab.start();
    await lab.waitForRing();
    const clients = await lab.cpgClients(lab.nodeIds, { count, sizes });
    const logs = await Promise.all(clients.map((c) => c.wait(60_000)));
    const texts = clients.map((c) => c.text());
    const quorum = new Map<number, QuorumStatus>();
    for (const n of lab.nodeIds) quorum.set(n, await lab.quorum(n));
    const result = await capture.stop();
    const view = await readDeliver(result.path, lab.authkey !== undefined ? { authkey: lab.authkey } : {});
    const withoutKey = lab.authkey !== undefined ? await readDeliver(result.path, { exitCode: 3 }) : undefined;
    return { logs, texts, quorum, view, dropped: result.dropped, ...(withoutKey !== undefined ? { withoutKey } : {}) };
  } finally {
    await lab.destroy();
  }
}

/** Issue 5 acceptance 1 and 3 on one cluster run. */
export function assertDeliveryMatchesClients(run: ClusterRun, count: number, mustHaveSizes: readonly number[] = [64, 5000, 20000]): void {
  const { logs, view } = run;
  assert.equal(run.dropped, 0, 'tcpdump dropped packets');
  for (const log of logs) {
    assert.deepEqual(log.bad, [], `node ${log.start?.nodeid}: client saw bad messages`);
    assert.equal(log.sent.length, count, `node ${log.start?.nodeid}: sent`);
    assert.equal(log.deliveries.length, 3 * count, `node ${log.start?.nodeid}: delivered`);
  }
  const order = logs[0]!.deliveries.map(clientLine);
  for (const log of logs.slice(1)) {
    assert.equal(firstDifference(log.deliveries.map(clientLine), order), 'equal', `node ${log.start?.nodeid} delivered in node ${logs[0]!.start?.nodeid}'s order`);
  }
  // Exactly what the clients sent (count, sizes, checksums) ...
  const lines = viewLines(view.messages, 'totemscope');
  assert.deepEqual(duplicates(lines), [], 'no message twice in the delivery view');
  assert.deepEqual([...lines].sort(), logs.flatMap(sentLines).sort(), 'delivery view = messages sent');
  // ... in the order every client delivered them.
  assert.equal(firstDifference(lines, order), 'equal', 'delivery view order = client delivery order');
  // ... each on the ring (`ring_id`, corosync's "1.d" form) the clients were on when they got it.
  const ringed = ringedViewLines(view.messages, 'totemscope');
  for (const text of run.texts) assert.equal(firstDifference(ringed, ringedClientLines(text)), 'equal', 'ring_id = the client\'s totem ring at delivery');
  const sizes = new Set(view.messages.filter((m) => m.group === 'totemscope' && m.type === 'mcast').map((m) => m.size));
  for (const size of mustHaveSizes) assert.ok(sizes.has(size), `no ${size}-byte message among sizes ${[...sizes].join(',')}`);
  const problems = view.events.filter((e) => e.event === 'error' || e.event === 'incomplete' || (e.event === 'gap' && e['reason'] !== 'capture-start'));
  assert.deepEqual(problems, [], 'no errors, incomplete messages or capture losses');

  assertNodeinfoMatchesQuorum(view, run.quorum);
  if (run.withoutKey !== undefined) {
    assert.deepEqual(run.withoutKey.messages, [], 'encrypted traffic read without the key delivers nothing');
    assert.match(run.withoutKey.stderr, /could not be decrypted/);
  }
}

/**
 * Votequorum nodeinfo: each node's latest nodeinfo about itself in the delivery view carries the
 * votes and expected votes its `corosync-quorumtool -s` reports, and every member's votes agree.
 */
export function assertNodeinfoMatchesQuorum(view: DeliverOutput, quorum: ReadonlyMap<number, QuorumStatus>): void {
  assert.ok(quorum.size > 0);
  // Votequorum nodeinfo: each node's latest nodeinfo about itself = corosync-quorumtool -s on that node.
  for (const [n, q] of quorum) {
    const infos = view.messages.filter((m) => m.nodeid === n).map(nodeinfoOf).filter((i) => i !== undefined && i.nodeid === n);
    assert.ok(infos.length > 0, `node ${n}: no votequorum nodeinfo in the delivery view`);
    const last = infos[infos.length - 1]!;
    const member = q.members.find((m) => m.nodeid === n);
    assert.ok(member !== undefined, `node ${n} in its own quorumtool membership`);
    assert.equal(last.votes, member.votes, `node ${n}: nodeinfo votes vs quorumtool`);
    assert.equal(last.expectedVotes, q.expectedVotes, `node ${n}: nodeinfo expected votes vs quorumtool`);
    // Every node agrees on every member's votes.
    for (const other of q.members) {
      const theirs = view.messages.filter((m) => m.nodeid === other.nodeid).map(nodeinfoOf).filter((i) => i !== undefined && i.nodeid === other.nodeid);
      assert.equal(theirs[theirs.length - 1]?.votes, other.votes, `node ${n}'s quorumtool: votes of node ${other.nodeid}`);
    }
    const summary = view.messages.filter((m) => m.nodeid === n && nodeinfoOf(m)?.nodeid === n).at(-1)!.summary;
    assert.match(summary, new RegExp(`nodeinfo node ${n} votes ${member.votes} expected ${q.expectedVotes}\\b`));
  }
}

/** One line of figures for t.diagnostic. */
export function describeRun(run: ClusterRun): string {
  const byService = new Map<string, number>();
  for (const m of run.view.messages) byService.set(`${m.service}/${m.type}`, (byService.get(`${m.service}/${m.type}`) ?? 0) + 1);
  const rings = new Set(run.view.messages.map((m) => m.ring_id));
  const events = new Map<string, number>();
  for (const e of run.view.events) {
    const k = `${e.event}${e.reason !== undefined ? `:${e.reason}` : ''}`;
    events.set(k, (events.get(k) ?? 0) + 1);
  }
  return `${run.view.messages.length} messages on rings ${[...rings].join(',')}: ${[...byService].map(([k, v]) => `${k}=${v}`).join(' ')}; events ${[...events].map(([k, v]) => `${k}=${v}`).join(' ')}; client deliveries ${run.logs.map((l) => l.deliveries.length).join('/')}`;
}

/** The closing statistics line of the text form (`read --deliver FILE`, last line). */
export async function deliverStatsLine(pcap: string, authkey?: Buffer): Promise<string> {
  const { spawnSync } = await import('node:child_process');
  let keyDir: string | undefined;
  try {
    const args = [CLI, 'read', '--deliver'];
    if (authkey !== undefined) {
      keyDir = mkdtempSync(path.join(os.tmpdir(), 'totemscope-key-'));
      writeFileSync(path.join(keyDir, 'authkey'), authkey, { mode: 0o600 });
      args.push('--key', path.join(keyDir, 'authkey'));
    }
    const r = spawnSync(process.execPath, [...args, pcap], { encoding: 'utf8', maxBuffer: 1 << 28 });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.trimEnd().split('\n').at(-1) ?? '';
  } finally {
    if (keyDir !== undefined) rmSync(keyDir, { recursive: true, force: true });
  }
}

/**
 * The client's deliveries prefixed with the totem ring it was on when it got each one (its `ring`
 * lines come from cpg_totem_confchg, in order with the deliveries): `<ring> deliver ...`.
 */
export function ringedClientLines(text: string): string[] {
  let ring = '?';
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    if (f[0] === 'ring' && f.length >= 2) ring = f[1]!;
    else if (f[0] === 'deliver' && f.length >= 6) out.push(`${ring} ${f.slice(0, 6).join(' ')}`);
  }
  return out;
}

/** viewLines with each message's `ring_id` in front, as ringedClientLines. */
export function ringedViewLines(messages: readonly DeliverMessageJson[], group: string): string[] {
  const cpg = messages.filter((m) => m.service === 'cpg' && m.type === 'mcast' && m.group === group);
  const lines = viewLines(cpg, group);
  return lines.map((l, i) => `${cpg[i]!.ring_id} ${l}`);
}
