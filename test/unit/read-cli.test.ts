// `totemscope read` end to end on the bundled real captures: output modes, filters, stdin,
// truncated input and exit statuses.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';

const ROOT = new URL('../..', import.meta.url).pathname;
const CLI = path.join(ROOT, 'bin/totemscope.mjs');
const UDPU = path.join(ROOT, 'samples/reference/udpu.pcap');
const KNET_AES = path.join(ROOT, 'samples/reference/knet-aes256.pcap');
const KEY = path.join(ROOT, 'samples/reference/authkey-knet-aes256-hashonly.bin');

function read(args: readonly string[], input?: Buffer): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, 'read', ...args], { encoding: 'utf8', input, maxBuffer: 256 << 20 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface Stats {
  frames: number;
  by_status: Record<string, number>;
  by_transport_type: Record<string, number>;
  errors_by_code: Record<string, number>;
}

function stats(args: readonly string[]): Stats {
  const r = read(['--stats', '--json', ...args]);
  return JSON.parse(r.stdout) as Stats;
}

test('--json: one object per frame with the catalog keys the issue names', () => {
  const r = read(['--json', UDPU]);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  const s = stats([UDPU]);
  assert.equal(lines.length, s.frames);
  const types = new Map<number, number>();
  for (const [i, line] of lines.entries()) {
    const o = JSON.parse(line) as Record<string, unknown>;
    assert.equal(o['frame.number'], i + 1);
    for (const k of ['frame.time_epoch', 'ip.src', 'ip.dst', 'udp.srcport', 'udp.dstport', 'corosync_totemsrp.message_header.nodeid']) {
      assert.ok(k in o, `frame ${i + 1} lacks ${k}`);
    }
    assert.equal(o['totem.transport'], 'udpu');
    const t = o['corosync_totemsrp.message_header.type'] as number;
    assert.ok(t >= 0 && t <= 5);
    // Every message but a join carries a ring id.
    if (t !== 3) for (const k of ['corosync_totemsrp.memb_ring_id.rep', 'corosync_totemsrp.memb_ring_id.seq']) assert.ok(k in o, `frame ${i + 1} lacks ${k}`);
    else assert.ok('corosync_totemsrp.memb_join.ring_seq' in o);
    types.set(t, (types.get(t) ?? 0) + 1);
  }
  assert.equal(types.get(0), s.by_transport_type['udpu orf_token']);
  assert.equal(types.get(1), s.by_transport_type['udpu mcast']);
  // Token fields are present on tokens.
  const token = JSON.parse(lines.find((l) => l.includes('"corosync_totemsrp.message_header.type":0'))!) as Record<string, unknown>;
  for (const k of ['corosync_totemsrp.orf_token.seq', 'corosync_totemsrp.orf_token.aru', 'corosync_totemsrp.orf_token.rtr_list_entries']) assert.ok(k in token, k);
});

test('-Y selects exactly the frames the filter names; a bad filter is a usage error', () => {
  const s = stats([UDPU]);
  const joins = read(['-Y', 'corosync_totemsrp.message_header.type == 3', UDPU]);
  assert.equal(joins.status, 0);
  const lines = joins.stdout.trim().split('\n');
  assert.equal(lines.length, s.by_transport_type['udpu memb_join']);
  assert.ok(lines.every((l) => / (JOIN|LEAVE) /.test(l)), lines.join('\n'));
  const none = read(['-Y', 'corosync_totemsrp.orf_token.rtr_list_entries > 30', UDPU]);
  assert.equal(none.stdout, '');
  const bad = read(['-Y', 'corosync_totemsrp.nonsense == 1', UDPU]);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /unknown field 'corosync_totemsrp.nonsense'/);
});

test('stdin gives the same output as the file; -c stops early; -x adds hex lines', () => {
  const fromFile = read(['-c', '50', UDPU]);
  const fromStdin = read(['-c', '50', '-'], readFileSync(UDPU));
  assert.equal(fromStdin.status, 0, fromStdin.stderr);
  assert.equal(fromStdin.stdout, fromFile.stdout);
  assert.equal(fromFile.stdout.trim().split('\n').length, 50);
  const hex = read(['-c', '1', '-x', UDPU]);
  assert.match(hex.stdout, /\n0000 {2}[0-9a-f]{2} /);
});

test('a truncated capture: everything readable, then the offset, exit status 1', () => {
  const whole = readFileSync(UDPU);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'totemscope-trunc-'));
  const cut = path.join(dir, 'cut.pcap');
  writeFileSync(cut, whole.subarray(0, 100_003));
  const r = read(['--stats', '--json', cut]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /pcap\.truncated_record at file offset \d+/);
  const s = JSON.parse(r.stdout) as Stats;
  const all = read(['--json', UDPU]).stdout.trim().split('\n');
  // Every record that ends before the cut is delivered, none after.
  const complete = all.filter((l) => {
    const o = JSON.parse(l) as Record<string, number>;
    return o['frame.file_off']! + 16 + o['frame.cap_len']! <= 100_003;
  }).length;
  assert.equal(s.frames, complete);
});

test('knet with the authkey decodes; without it, or with a wrong one, every frame is a crypto error and exit status 3', () => {
  const good = stats(['-k', KEY, KNET_AES]);
  assert.equal(good.by_status['error'], 0, JSON.stringify(good.errors_by_code));
  assert.ok((good.by_transport_type['knet orf_token'] ?? 0) > 1000);
  const noKey = read(['--stats', '--json', KNET_AES]);
  assert.equal(noKey.status, 3);
  const nk = JSON.parse(noKey.stdout) as Stats;
  assert.equal(nk.errors_by_code['knet.crypto.no_key'], nk.frames);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'totemscope-key-'));
  const wrong = path.join(dir, 'wrong.key');
  writeFileSync(wrong, Buffer.alloc(256, 7));
  const wr = read(['--stats', '--json', '-k', wrong, KNET_AES]);
  assert.equal(wr.status, 3);
  const w = JSON.parse(wr.stdout) as Stats;
  assert.equal(w.errors_by_code['knet.crypto.hmac_mismatch'], w.frames);
  assert.equal(w.by_status['totem'], 0);
  // The key bytes never appear in any output.
  const keyHex = readFileSync(KEY).toString('hex').slice(0, 32);
  const verbose = read(['-V', '--json', '-k', KEY, '-c', '20', KNET_AES]);
  assert.ok(!verbose.stdout.includes(keyHex) && !verbose.stderr.includes(keyHex));
});
