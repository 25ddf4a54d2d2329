// Multi-threaded `read --stats`: record-boundary resync on real captures, and shard sums that are
// exactly one pass's figures (or a fallback with a reason), including across IP fragments,
// pcapng, truncated files and knet.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { captureLayout, findRecordBoundary } from '../../dissectors/capture/resync.ts';
import { pcapFileHeader, pcapRecord, concatBytes } from '../../dissectors/capture/writer.ts';
import { FramePipeline } from '../../src/decode/pipeline.ts';
import { readCaptureFile } from '../../src/sources/captureFile.ts';
import { checkShards, readStatsSharded } from '../../src/read/shards.ts';
import { runShard } from '../../src/read/shard.ts';
import { replicateCapture } from '../bench/replicate.ts';
import { statsJson } from '../../src/read/statsView.ts';

const FIXTURES = 'test/fixtures/capture';
const PLAIN_CAPTURES = [
  'samples/udpu-kill-restart/capture.pcap',
  'samples/udp-multicast/capture.pcap',
  'samples/reference/udpu.pcap',
  'samples/reference/legacy/corosync1-plain-2nodes.pcap',
  `${FIXTURES}/udpu-eth-be.pcap`,
  `${FIXTURES}/udpu-eth-nsec.pcap`,
  `${FIXTURES}/udpu-eth.pcapng`,
  `${FIXTURES}/udpu-spb.pcapng`,
  `${FIXTURES}/udpu-pb.pcapng`,
];
/** Link-layer variety, with IPv4/IPv6 fragments: a cut between two fragments must fall back. */
const FRAGMENTED_CAPTURES = [`${FIXTURES}/net-vlan.pcap`, `${FIXTURES}/net-any-sll2.pcap`, `${FIXTURES}/net-eth-be.pcapng`];

interface OnePass {
  readonly json: string;
  readonly recordOffsets: readonly number[];
}

async function onePass(file: string): Promise<OnePass> {
  const p = new FramePipeline();
  const recordOffsets: number[] = [];
  await readCaptureFile(file, (r) => {
    recordOffsets.push(r.fileOffset);
    p.decode(r);
  });
  return { json: JSON.stringify(statsJson(p.stats)), recordOffsets };
}

test('resync: every guessed boundary is the first real record at or after the cut, pcap and pcapng, both byte orders', async () => {
  for (const file of [...PLAIN_CAPTURES, ...FRAGMENTED_CAPTURES]) {
    const bytes = new Uint8Array(readFileSync(file));
    const layout = captureLayout(bytes);
    assert.ok(layout !== undefined, file);
    const { recordOffsets } = await onePass(file);
    assert.equal(layout.headerLength, recordOffsets[0], `${file}: header ends at the first record`);
    const step = Math.max(1, Math.floor(bytes.length / 97));
    let checked = 0;
    for (let cut = layout.headerLength; cut < bytes.length; cut += step) {
      const expected = recordOffsets.find((o) => o >= cut) ?? -1;
      const found = findRecordBoundary(layout, bytes.subarray(cut, cut + (1 << 20)), cut, bytes.length);
      // A chain shorter than 32 records may only be accepted when it ends exactly at the file end.
      if (expected >= 0) assert.equal(found, expected, `${file}: cut at ${cut}`);
      checked++;
    }
    assert.ok(checked > 50, file);
  }
});

test('resync: not a capture, or a pcapng header cut short, has no layout', () => {
  assert.equal(captureLayout(new Uint8Array(64)), undefined);
  const ng = new Uint8Array(readFileSync(`${FIXTURES}/udpu-eth.pcapng`));
  const layout = captureLayout(ng);
  assert.ok(layout?.format === 'pcapng' && layout.interfaces === 1);
  assert.equal(captureLayout(ng.subarray(0, layout.headerLength - 4)), undefined);
});

test('shards: the sum over 2 or 3 threads equals one pass on real captures, pcap and pcapng', async () => {
  // Each worker loads the TypeScript sources through tsx (seconds on a busy machine): 2 shards
  // per file, 3 for two of them.
  for (const file of PLAIN_CAPTURES) {
    const threads = file.includes('kill-restart') || file.endsWith('udpu-eth.pcapng') ? 3 : 2;
    const r = await readStatsSharded(file, { threads, minShardBytes: Math.floor(statSync(file).size / threads) });
    assert.ok(r.stats !== undefined, `${file}: ${r.stats === undefined ? r.reason : ''}`);
    assert.equal(r.shards, threads, file);
    assert.equal(JSON.stringify(statsJson(r.stats)), (await onePass(file)).json, file);
  }
  for (const file of FRAGMENTED_CAPTURES) {
    const r = await readStatsSharded(file, { threads: 4, minShardBytes: 1 });
    if (r.stats === undefined) assert.match(r.reason, /decoder state in flight/, file);
    else assert.equal(JSON.stringify(statsJson(r.stats)), (await onePass(file)).json, file);
  }
});

test('shards: an IP datagram whose fragments straddle a boundary makes it fall back to one pass', async () => {
  // net-ipv4.pcap: frames 2-3 are the two fragments of one datagram; cut between them.
  const file = `${FIXTURES}/net-ipv4.pcap`;
  const { recordOffsets } = await onePass(file);
  let fellBack = 0;
  for (let threads = 2; threads <= recordOffsets.length; threads++) {
    const r = await readStatsSharded(file, { threads, minShardBytes: 1 });
    if (r.stats === undefined) {
      assert.match(r.reason, /decoder state in flight|no record boundary/);
      if (/decoder state in flight/.test(r.reason)) fellBack++;
    } else assert.equal(JSON.stringify(statsJson(r.stats)), (await onePass(file)).json);
  }
  assert.ok(fellBack > 0, 'some cut fell between two fragments');
});

test('shards: truncated files, stdin, small files and knet too dense for a warm-up are read in one pass', async () => {
  for (const file of [`${FIXTURES}/truncated.pcap`, `${FIXTURES}/truncated.pcapng`]) {
    const r = await readStatsSharded(file, { threads: 3, minShardBytes: 1 });
    assert.equal(r.stats, undefined, file);
    assert.match(r.reason, /truncated|ended at|did not reach|no record boundary/, file);
  }
  // 9 s of knet traffic in 0.5 MB: 30 s of warm-up would be more than a shard.
  const knet = await readStatsSharded('samples/reference/knet-plain.pcap', { threads: 2, minShardBytes: 1 });
  assert.ok(knet.stats === undefined && /knet traffic too dense/.test(knet.reason));
  const stdin = await readStatsSharded('-', { threads: 2 });
  assert.ok(stdin.stats === undefined && /standard input/.test(stdin.reason));
  const small = await readStatsSharded('samples/udpu-idle/capture.pcap', { threads: 4 });
  assert.ok(small.stats === undefined && /too small/.test(small.reason));
});

test('shards: encrypted knet with a warm-up equals one pass; without the warm-up the boundary states disagree', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'totemscope-shards-knet-'));
  try {
    // 40 copies of 9.8 s of aes256/sha256 knet traffic, each later in time: 6.5 minutes, 18 MB.
    const file = path.join(dir, 'knet.pcap');
    await replicateCapture('samples/reference/knet-aes256.pcap', file, 40 * 1766);
    const keys = [new Uint8Array(readFileSync('samples/reference/authkey-knet-aes256-hashonly.bin'))];
    const p = new FramePipeline({ knet: { keys } });
    await readCaptureFile(file, (r) => p.decode(r));
    const expected = JSON.stringify(statsJson(p.stats));
    assert.ok(p.stats.byStatus.totem > 40 * 1000, 'the copies decode as traffic');

    const size = statSync(file).size;
    const r = await readStatsSharded(file, { threads: 3, minShardBytes: Math.floor(size / 3), knet: { keys } });
    assert.ok(r.stats !== undefined, r.stats === undefined ? r.reason : '');
    assert.equal(JSON.stringify(statsJson(r.stats)), expected);

    // The same cut without a warm-up: the second shard starts with an empty duplicate window.
    const head = new Uint8Array(readFileSync(file).subarray(0, 1 << 20));
    const layout = captureLayout(head)!;
    const cut = findRecordBoundary(layout, new Uint8Array(readFileSync(file).subarray(size >> 1, (size >> 1) + (1 << 20))), size >> 1, size);
    const header = head.slice(0, layout.headerLength);
    const specs = [
      { path: file, header, warmStart: layout.headerLength, start: layout.headerLength, end: cut, knet: { keys } },
      { path: file, header, warmStart: cut, start: cut, end: size, knet: { keys } },
    ];
    const results = await Promise.all(specs.map(runShard));
    assert.match(checkShards(layout, specs, results, size) ?? '', /other decoder state/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('read --stats --threads: the CLI prints the same table as one pass on a 70 MB capture', () => {
  // Big enough for the CLI's 32 MiB minimum shard: the kill/restart sample repeated with later times.
  const dir = mkdtempSync(path.join(tmpdir(), 'totemscope-shards-'));
  try {
    const file = path.join(dir, 'big.pcap');
    const src = new Uint8Array(readFileSync('samples/udpu-kill-restart/capture.pcap'));
    const layout = captureLayout(src);
    assert.ok(layout?.format === 'pcap');
    const records: Uint8Array[] = [];
    for (let o = layout.headerLength; o < src.length; ) {
      const cap = src[o + 8]! | (src[o + 9]! << 8) | (src[o + 10]! << 16) | (src[o + 11]! << 24);
      records.push(src.subarray(o + 16, o + 16 + cap));
      o += 16 + cap;
    }
    const parts: Uint8Array[] = [pcapFileHeader({ linkType: 1, snaplen: 262144, littleEndian: true, nano: false })];
    let size = 0;
    for (let copy = 0; size < 70 << 20; copy++) {
      for (let i = 0; i < records.length; i++) {
        const rec = pcapRecord({ littleEndian: true, nano: false }, 1_700_000_000 + copy * 3600 + (i >> 10), (i & 1023) * 1000, records[i]!);
        parts.push(rec);
        size += rec.length;
      }
    }
    writeFileSync(file, concatBytes(parts));
    const run = (threads: number): string => {
      const r = spawnSync(process.execPath, ['bin/totemscope.mjs', 'read', '--stats', '--threads', String(threads), file], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stderr, '', `threads ${threads}: no fallback note`);
      return r.stdout;
    };
    const one = run(1);
    assert.match(one, /^Frames: \d+/);
    assert.equal(run(3), one);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
