/**
 * The lab-made knet samples (real corosync 3.1.7 + libknet 1.25): every frame decodes (the aes256
 * one with its test key), every ring the nodes logged is in the tokens, and the two-link sample's
 * link down/up events agree with corosync's KNET log lines.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { formatRingId } from '../../dissectors/totemsrp/types.ts';
import { analyzerOptionsFromConf } from '../../src/analysis/confTimers.ts';
import { analyzeFiles } from '../../src/analysis/files.ts';
import { FramePipeline } from '../../src/decode/pipeline.ts';
import { readCaptureFile } from '../../src/sources/captureFile.ts';

const SAMPLES = fileURLToPath(new URL('../../samples/', import.meta.url));

function sharedLoggedRings(name: string): Set<string> {
  const by = new Map<string, number>();
  for (const n of [1, 2, 3]) {
    const text = readFileSync(`${SAMPLES}${name}/node${n}.log`, 'utf8');
    for (const m of text.matchAll(/A new membership \(([0-9a-f]+\.[0-9a-f]+)\) was formed/g)) by.set(m[1]!, (by.get(m[1]!) ?? 0) + 1);
  }
  return new Set([...by].filter(([, c]) => c >= 2).map(([r]) => r));
}

for (const name of ['knet-plain', 'knet-aes256', 'knet-zstd', 'knet-2links']) {
  test(`${name}: every knet frame decodes and the logged rings are on the wire`, async () => {
    const keys = name === 'knet-aes256' ? [new Uint8Array(readFileSync(`${SAMPLES}${name}/authkey`))] : [];
    const pipeline = new FramePipeline({ knet: { keys } });
    const rings = new Set<string>();
    let knetFrames = 0;
    await readCaptureFile(`${SAMPLES}${name}/capture.pcap`, (rec) => {
      const f = pipeline.decode(rec);
      if (f.transport === 'knet') knetFrames++;
      if (f.totem?.kind === 'orf_token') rings.add(formatRingId(f.totem.ringId));
    });
    assert.ok(knetFrames > 500, `${knetFrames} knet frames`);
    assert.equal(pipeline.stats.byStatus.error, 0, JSON.stringify(Object.fromEntries(pipeline.stats.errorsByCode)));
    for (const r of sharedLoggedRings(name)) assert.ok(rings.has(r), `ring ${r} not in any token`);
    if (name === 'knet-zstd') assert.ok((pipeline.knet?.counters.decompressed ?? 0) > 20, 'zstd payloads decompressed');
    if (name !== 'knet-zstd') assert.ok((pipeline.knet?.counters.reassembled ?? 0) > 0, 'fragmented messages reassembled');
  });
}

/** "Nov 22 06:50:41.510 ..." → epoch ms (the lab logs local time, which is UTC there). */
function logTime(line: string, year: number): number {
  const m = /^(\w{3}) (\d+) (\d\d):(\d\d):(\d\d)\.(\d{3})/.exec(line);
  assert.ok(m !== null, line);
  return Date.parse(`${m[1]} ${m[2]} ${year} ${m[3]}:${m[4]}:${m[5]}.${m[6]} UTC`);
}

test('knet-2links: link 0 down/up between nodes 1 and 3 as corosync logged it, within one ping interval', async () => {
  const conf = readFileSync(`${SAMPLES}knet-2links/corosync.conf`, 'utf8');
  // The knet timers (pong timeout, ping interval) follow from the effective token timeout.
  const opts = analyzerOptionsFromConf(conf);
  const { report } = await analyzeFiles([`${SAMPLES}knet-2links/capture.pcap`], { analyzer: opts });
  const pings = report.knet?.pings ?? [];
  const pair = pings.find((p) => p.link === 0 && p.pinger === 1 && p.responder === 3);
  assert.ok(pair !== undefined, 'link 0 1→3 statistics');
  assert.ok(pair.lostPongs > 0, 'pongs lost while the link was cut');
  const year = new Date(Number(pair.events[0]!.timeNs) / 1e6).getUTCFullYear();
  const log = readFileSync(`${SAMPLES}knet-2links/node1.log`, 'utf8').split('\n');
  const down = log.find((l) => /link: host: 3 link: 0 is down/.test(l));
  assert.ok(down !== undefined);
  const downAt = logTime(down, year);
  const upLine = log.find((l) => /host: 3 link: 0 is up/.test(l) && logTime(l, year) > downAt);
  assert.ok(upLine !== undefined);
  const upAt = logTime(upLine, year);
  // knet_ping_interval = token / (2 · knet_pong_count 2) (wire-format.md §6.9).
  const pingIntervalMs = opts.tokenMs! / 4;
  const events = pair.events.map((e) => ({ kind: e.kind, ms: Number(e.timeNs) / 1e6 }));
  const seenDown = events.find((e) => e.kind === 'down' && Math.abs(e.ms - downAt) <= pingIntervalMs);
  const seenUp = events.find((e) => e.kind === 'up' && Math.abs(e.ms - upAt) <= pingIntervalMs);
  assert.ok(seenDown !== undefined, `no down near ${new Date(downAt).toISOString()}: ${JSON.stringify(events)}`);
  assert.ok(seenUp !== undefined, `no up near ${new Date(upAt).toISOString()}: ${JSON.stringify(events)}`);
  // Traffic moved to link 1 while link 0 was down: data packets 1→3 on link 1 during the cut.
  const link1 = report.knet?.traffic.find((t) => t.link === 1 && t.from === 1 && t.to === 3);
  assert.ok(link1 !== undefined && link1.data > 0, 'data on link 1 between 1 and 3');
});
