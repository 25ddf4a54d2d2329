// Regenerates samples/ with real corosync 3.1.7 clusters from the lab (test/lab).
// Usage (root): npx tsx scripts/make-samples.ts [sample-name ...]     (default: all)
// Each sample: samples/<name>/{capture.pcap, corosync.conf, node<N>.log, cpg-node<N>.log, README.md}.
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Lab, sleep, type CpgClient, type CpgClientOptions, type CpgLog, type LabOptions } from '../test/lab/index.ts';

const SAMPLES_DIR = fileURLToPath(new URL('../samples/', import.meta.url));
/** Total budget for samples/ (issue 2 item 7). */
const MAX_TOTAL_BYTES = 3 * 1024 * 1024;
/** Budget for the knet samples (issue 4 item 6). */
const MAX_KNET_BYTES = 3 * 1024 * 1024;

interface TimelineEntry {
  readonly time: number;
  readonly what: string;
}

class Run {
  readonly timeline: TimelineEntry[] = [];
  readonly cpg: { file: string; client: CpgClient }[] = [];
  constructor(readonly lab: Lab) {}

  mark(what: string): void {
    this.timeline.push({ time: Date.now(), what });
  }

  async cpgClient(nodeId: number, opts: CpgClientOptions, file = `cpg-node${nodeId}.log`): Promise<CpgClient> {
    const client = await this.lab.cpgClient(nodeId, opts);
    this.cpg.push({ file, client });
    return client;
  }

  /** Starts nodes one after the other so each join is a separate membership change. */
  async startStaggered(nodeIds: readonly number[]): Promise<void> {
    const up: number[] = [];
    for (const n of nodeIds) {
      this.mark(`corosync started on node ${n}`);
      await this.lab.start(n);
      up.push(n);
      const ring = await this.lab.waitForRing(up);
      this.mark(`ring ${ring} formed with nodes ${up.join(', ')}`);
      await sleep(500);
    }
  }

  async stopAll(nodeIds: readonly number[]): Promise<void> {
    for (const n of nodeIds) {
      this.mark(`SIGTERM to corosync on node ${n} (clean leave)`);
      await this.lab.stop(n);
      await sleep(500);
    }
  }
}

interface SampleSpec {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly options: LabOptions;
  readonly scenario: (run: Run) => Promise<void>;
}

const SMALL_MIXED_SIZES: CpgClientOptions['sizes'] = [64, 512, 1409, [1411, 3000], 200, [1500, 6000], 10_000, [100, 1400]];

/**
 * The common run: nodes 1..3 join one by one, a CPG client on every node sends `count` messages
 * (waiting for all three in the group), every client delivers all of them, then the nodes leave.
 */
function cpgLoadScenario(o: { readonly count: number; readonly sizes: NonNullable<CpgClientOptions['sizes']>; readonly pattern?: 'text' }): (run: Run) => Promise<void> {
  return async (run) => {
    const total = o.count * 3;
    await run.startStaggered([1, 2, 3]);
    run.mark(`CPG clients start (${o.count} messages each, once all 3 joined the group)`);
    const clients = await Promise.all(
      run.lab.nodeIds.map((n) =>
        run.cpgClient(n, { count: o.count, sizes: o.sizes, seed: n, waitMembers: 3, expect: total, ...(o.pattern !== undefined ? { pattern: o.pattern } : {}) }),
      ),
    );
    await Promise.all(clients.map((c) => c.wait(60_000)));
    run.mark(`all CPG clients delivered ${total} messages and exited`);
    await sleep(1000);
    await run.stopAll([3, 2, 1]);
  };
}

const SAMPLES: readonly SampleSpec[] = [
  {
    name: 'udpu-idle',
    title: 'udpu, 3 nodes, idle',
    description:
      'Three nodes start one after the other (three membership changes), the ring then idles ' +
      '(token rotation, token hold once the ring is quiet, merge detects), then the nodes leave one by one with SIGTERM.',
    options: { nodes: 3, transport: 'udpu' },
    scenario: async (run) => {
      await run.startStaggered([1, 2, 3]);
      run.mark('idle');
      await sleep(6000);
      await run.stopAll([3, 2, 1]);
    },
  },
  {
    name: 'udpu-cpg-load',
    title: 'udpu, 3 nodes, CPG load with mixed message sizes',
    description:
      'Three nodes form a ring; a CPG client on each node multicasts 24 messages of mixed sizes (64 B to 10 KB; ' +
      'many bigger than one udpu mcast, which carries at most 1410 bytes of totempg data, so totempg fragments them) ' +
      'flat out, and logs every delivered message. All three clients deliver the same 72 messages in the same order.',
    options: { nodes: 3, transport: 'udpu' },
    scenario: cpgLoadScenario({ count: 24, sizes: SMALL_MIXED_SIZES }),
  },
  {
    name: 'udpu-kill-restart',
    title: 'udpu, 3 nodes, node 2 SIGKILLed under CPG load and restarted',
    description:
      'Three nodes form a ring; CPG clients on all nodes send small messages at 2/s. Node 2 is killed with ' +
      'SIGKILL: the others detect the token loss (token 1650 ms = 1000 + 650 coefficient, consensus 1980 ms) and ' +
      'form a 2-node ring. Node 2 is restarted (ring id is bumped from its stored ringid file), rejoins, and a new ' +
      'CPG client runs on it.',
    options: { nodes: 3, transport: 'udpu' },
    scenario: async (run) => {
      const lab = run.lab;
      await run.startStaggered([1, 2, 3]);
      run.mark('CPG clients start on nodes 1, 2, 3 (2 msg/s each, 100-400 bytes, until stopped)');
      const clients = await Promise.all(
        lab.nodeIds.map((n) => run.cpgClient(n, { continuous: true, rate: 2, sizes: [[100, 400]], seed: n, waitMembers: 1 })),
      );
      await sleep(1500);
      run.mark('SIGKILL to corosync on node 2');
      await lab.kill(2);
      await lab.waitForMembers([1, 3], [1, 3]);
      run.mark(`nodes 1 and 3 formed ring ${await lab.waitForRing([1, 3])} without node 2`);
      await sleep(1000);
      run.mark('corosync restarted on node 2');
      await lab.start(2);
      const ring = await lab.waitForRing([1, 2, 3]);
      run.mark(`ring ${ring} formed with nodes 1, 2, 3`);
      run.mark('a new CPG client starts on node 2 (2 msg/s)');
      const again = await run.cpgClient(2, { continuous: true, rate: 2, sizes: [[100, 400]], seed: 22 }, 'cpg-node2-restarted.log');
      await sleep(1500);
      run.mark('CPG clients stopped (SIGTERM)');
      await Promise.all([...clients, again].map((c) => c.stop()));
      await run.stopAll([3, 2, 1]);
    },
  },
  {
    name: 'udp-multicast',
    title: 'udp (multicast), 3 nodes, light CPG load',
    description:
      'Transport udp: every packet goes from port 5404 to 5405; tokens are unicast to the next node, mcast, join, ' +
      'merge-detect and leave messages go to the multicast group. Three nodes join one by one, CPG clients send 20 ' +
      'messages each (100 B to 3 KB), then the nodes leave.',
    options: { nodes: 3, transport: 'udp', mcastAddr: ['239.192.0.1'] },
    scenario: cpgLoadScenario({ count: 20, sizes: [100, 1500, 3000, 400] }),
  },
  {
    name: 'knet-plain',
    title: 'knet (no crypto), 3 nodes, CPG load with messages bigger than the knet MTU',
    description:
      'Transport knet without crypto: knet headers in clear (DATA, PING/PONG, PMTUD), broadcasts sent once per ' +
      'peer with the same knet seq, CPG messages up to 6 KB that knet fragments. Nodes join one by one, CPG ' +
      'clients send 12 messages each, then the nodes leave.',
    options: { nodes: 3, transport: 'knet' },
    scenario: cpgLoadScenario({ count: 12, sizes: [200, [1500, 6000]] }),
  },
  {
    name: 'knet-aes256',
    title: 'knet aes256/sha256 (the Proxmox/pcs default), 3 nodes, CPG load; test-only authkey included',
    description:
      'Transport knet with crypto_cipher aes256 and crypto_hash sha256: every knet packet is salt + AES-256-CBC + ' +
      'HMAC-SHA256. The authkey (`authkey`, a throw-away test key) decrypts it: `totemscope read -k authkey capture.pcap`.',
    options: { nodes: 3, transport: 'knet', crypto: { cipher: 'aes256', hash: 'sha256' } },
    scenario: cpgLoadScenario({ count: 10, sizes: [300, [1500, 4000]] }),
  },
  {
    name: 'knet-zstd',
    title: 'knet with zstd compression (threshold 50 B), 3 nodes, CPG load',
    description:
      'Transport knet with knet_compression_model zstd and knet_compression_threshold 50: DATA payloads above ' +
      '50 bytes are zstd frames (knet.data.compress = 7). CPG clients send text-like messages, which compress well.',
    options: { nodes: 3, transport: 'knet', compression: { model: 'zstd', threshold: 50 } },
    scenario: cpgLoadScenario({ count: 12, sizes: [200, [1000, 5000]], pattern: 'text' }),
  },
  {
    name: 'knet-2links',
    title: 'knet with two links (priorities 2 and 1), link 0 of node 3 cut for 5 s',
    description:
      'Two knet links (192.0.2.0/24 and 198.51.100.0/24), passive link mode, link 0 preferred. Link 0 of node 3 is ' +
      'cut with nftables for 5 s: pongs stop on link 0 for the pairs with node 3, knet marks the link down and traffic ' +
      'moves to link 1 (see "link: host: N link: 0 is down" / "is up" in the logs), then link 0 comes back.',
    options: { nodes: 3, transport: 'knet', links: 2, linkPriority: [2, 1] },
    scenario: async (run) => {
      await run.startStaggered([1, 2, 3]);
      await sleep(1500);
      run.mark('link 0 of node 3 cut (nftables drop)');
      const cut = await run.lab.cutLink(3, 0);
      await sleep(5000);
      run.mark('link 0 of node 3 restored');
      await cut.remove();
      await sleep(4000);
      await run.stopAll([3, 2, 1]);
    },
  },
];

interface PcapSummary {
  readonly frames: number;
  readonly bytes: number;
  readonly udpToCorosync: number;
  readonly first: number;
  readonly last: number;
}

/** Minimal classic-pcap walk (Ethernet/IPv4/UDP) for the README figures. */
function summarizePcap(file: string): PcapSummary {
  const b = readFileSync(file);
  const magic = b.readUInt32LE(0);
  const nano = magic === 0xa1b23c4d;
  let off = 24;
  let frames = 0;
  let udpToCorosync = 0;
  let first = 0;
  let last = 0;
  while (off + 16 <= b.length) {
    const sec = b.readUInt32LE(off);
    const frac = b.readUInt32LE(off + 4);
    const incl = b.readUInt32LE(off + 8);
    const t = sec * 1000 + (nano ? frac / 1e6 : frac / 1e3);
    if (frames === 0) first = t;
    last = t;
    const p = off + 16;
    if (p + 14 + 20 + 8 <= b.length && b.readUInt16BE(p + 12) === 0x0800) {
      const ihl = (b.readUInt8(p + 14) & 0x0f) * 4;
      if (b.readUInt8(p + 14 + 9) === 17 && p + 14 + ihl + 4 <= b.length) {
        const dport = b.readUInt16BE(p + 14 + ihl + 2);
        if (dport === 5405 || dport === 5406) udpToCorosync++;
      }
    }
    frames++;
    off = p + incl;
  }
  return { frames, bytes: b.length, udpToCorosync, first, last };
}

function iso(t: number): string {
  return new Date(t).toISOString().replace('T', ' ').replace('Z', ' UTC');
}

function cpgSummary(log: CpgLog): string {
  const sizes = log.sent.map((s) => s.size);
  const big = sizes.filter((s) => s > 1410).length;
  const range = sizes.length > 0 ? `${Math.min(...sizes)}..${Math.max(...sizes)} B` : '-';
  return `sent ${log.sent.length} (sizes ${range}, ${big} > 1410 B), delivered ${log.deliveries.length}, bad ${log.bad.length}, end: ${log.done?.reason ?? (log.errors[0] ?? 'killed')}`;
}

function writeReadme(spec: SampleSpec, run: Run, outDir: string, pcap: PcapSummary): void {
  const lab = run.lab;
  const t0 = pcap.first;
  const rel = (t: number): string => `${((t - t0) / 1000).toFixed(3)} s`;
  const lines: string[] = [];
  lines.push(`# ${spec.name}: ${spec.title}`, '', spec.description, '');
  lines.push('## Setup', '');
  lines.push(`- corosync 3.1.7 (Debian), transport \`${lab.transport}\`, nodes ${lab.nodeIds.map((n) => `${n} = ${lab.addr(n)}`).join(', ')} (one network namespace each, bridged).`);
  lines.push('- `corosync.conf`: the exact config every node ran (token 1000 ms; with 3 nodes the effective token is 1650 ms, consensus 1980 ms).');
  lines.push('- `capture.pcap`: tcpdump on the bridge (Ethernet, microsecond timestamps), every frame between the nodes.');
  lines.push('- `node<N>.log`: corosync debug logs (`timestamp: hires`, local time = UTC on the generating machine, year not printed).');
  if (run.cpg.length > 0) {
    lines.push('- `cpg-node<N>.log`: the lab CPG client (test/lab/cpgclient.c): `deliver <nodeid> <pid> <seq> <size> <fnv1a>` per delivered message in delivery order, `sent`, `confchg`, `ring` and `done` lines.');
  }
  lines.push('');
  lines.push('## Timeline', '', `Capture starts ${iso(t0)}; times relative to the first captured frame (actions as issued by scripts/make-samples.ts).`, '');
  lines.push('| t | what |', '|---|---|');
  for (const e of run.timeline) lines.push(`| ${rel(e.time)} | ${e.what} |`);
  lines.push('');
  lines.push('## Memberships corosync logged', '');
  lines.push('| node | t | ring id | joined | left |', '|---|---|---|---|---|');
  for (const n of lab.nodeIds) {
    for (const m of lab.parsedLog(n).memberships) {
      lines.push(`| ${n} | ${rel(m.time)} | ${m.ringId} | ${m.joined.join(' ') || '-'} | ${m.left.join(' ') || '-'} |`);
    }
  }
  lines.push('');
  if (run.cpg.length > 0) {
    lines.push('## CPG clients', '');
    for (const c of run.cpg) lines.push(`- \`${c.file}\` (node ${c.client.nodeId}): ${cpgSummary(c.client.parse())}`);
    lines.push('');
  }
  lines.push('## Capture', '');
  lines.push(`- ${pcap.frames} frames, ${pcap.udpToCorosync} UDP to port 5405, ${((pcap.last - pcap.first) / 1000).toFixed(1)} s, ${pcap.bytes} bytes.`);
  lines.push('', 'Regenerate (root): `npx tsx scripts/make-samples.ts ' + spec.name + '`', '');
  writeFileSync(path.join(outDir, 'README.md'), lines.join('\n'));
}

async function makeSample(spec: SampleSpec): Promise<void> {
  const started = Date.now();
  const lab = await Lab.create(spec.options);
  const run = new Run(lab);
  try {
    await lab.startCapture({ file: path.join(lab.dir, 'captures', 'capture.pcap') });
    run.mark('capture started');
    await spec.scenario(run);
    await sleep(300);
    const pcapPath = await lab.stopCapture();
    const outDir = path.join(SAMPLES_DIR, spec.name);
    rmSync(outDir, { recursive: true, force: true });
    mkdirSync(outDir, { recursive: true });
    copyFileSync(pcapPath, path.join(outDir, 'capture.pcap'));
    writeFileSync(path.join(outDir, 'corosync.conf'), lab.config);
    for (const n of lab.nodeIds) copyFileSync(lab.logPath(n), path.join(outDir, `node${n}.log`));
    for (const c of run.cpg) copyFileSync(c.client.logPath, path.join(outDir, c.file));
    // A test-only key, so the encrypted sample can be decoded (never a real cluster's key).
    if (spec.options.crypto !== undefined && lab.authkey !== undefined) writeFileSync(path.join(outDir, 'authkey'), lab.authkey);
    const pcap = summarizePcap(path.join(outDir, 'capture.pcap'));
    writeReadme(spec, run, outDir, pcap);
    console.log(`${spec.name}: ${pcap.frames} frames, ${pcap.bytes} bytes pcap, ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    await lab.destroy();
  }
}

function dirSize(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    total += e.isDirectory() ? dirSize(p) : statSync(p).size;
  }
  return total;
}

function writeIndex(): void {
  const lines = [
    '# samples',
    '',
    'Real corosync 3.1.7 traffic made by the lab (test/lab) in network namespaces on 192.0.2.0/24.',
    'Each directory holds `capture.pcap`, the `corosync.conf` all nodes ran, every node\'s debug log',
    '(`node<N>.log`), the CPG client logs (`cpg-node<N>.log`) where CPG ran, and a README with the timeline.',
    '',
    '| sample | what | pcap bytes |',
    '|---|---|---|',
  ];
  for (const s of SAMPLES) {
    const pcap = path.join(SAMPLES_DIR, s.name, 'capture.pcap');
    lines.push(`| [${s.name}](${s.name}/README.md) | ${s.title} | ${existsSync(pcap) ? statSync(pcap).size : 'missing'} |`);
  }
  if (existsSync(path.join(SAMPLES_DIR, 'reference'))) {
    lines.push('| [reference/](reference/README.md) | the shared reference captures (knet plain/aes256/hash-only, udpu, udp, corosync 1.x); not regenerated | - |');
  }
  lines.push(
    '',
    'Regenerate all (as root, needs corosync, libcpg-dev, gcc, tcpdump, nftables, iproute2):',
    '',
    '```',
    'npx tsx scripts/make-samples.ts            # all samples',
    'npx tsx scripts/make-samples.ts udpu-idle  # one sample',
    '```',
    '',
    'Captures differ from run to run (timing, ring ids after restarts, CPG pids); tests must read the',
    'expected values (ring ids, members, deliveries) from the logs next to each capture, not hard-code them.',
    '',
  );
  writeFileSync(path.join(SAMPLES_DIR, 'README.md'), lines.join('\n'));
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((w) => !SAMPLES.some((s) => s.name === w));
  if (unknown.length > 0) {
    console.error(`unknown sample(s): ${unknown.join(', ')}; known: ${SAMPLES.map((s) => s.name).join(', ')}`);
    process.exit(2);
  }
  mkdirSync(SAMPLES_DIR, { recursive: true });
  for (const spec of SAMPLES) {
    if (wanted.length > 0 && !wanted.includes(spec.name)) continue;
    await makeSample(spec);
  }
  writeIndex();
  // Only the lab-made samples and the index count (samples/reference/ holds the shared reference captures).
  const size = (names: readonly SampleSpec[]): number =>
    names.reduce((sum, s) => sum + (existsSync(path.join(SAMPLES_DIR, s.name)) ? dirSize(path.join(SAMPLES_DIR, s.name)) : 0), 0);
  const udp = size(SAMPLES.filter((s) => s.options.transport !== 'knet')) + statSync(path.join(SAMPLES_DIR, 'README.md')).size;
  const knet = size(SAMPLES.filter((s) => s.options.transport === 'knet'));
  console.log(`lab samples: udp/udpu ${udp} bytes, knet ${knet} bytes`);
  if (udp > MAX_TOTAL_BYTES || knet > MAX_KNET_BYTES) {
    console.error(`lab samples over budget (udp/udpu ${MAX_TOTAL_BYTES}, knet ${MAX_KNET_BYTES})`);
    process.exit(1);
  }
}

await main();
