/**
 * Two-link knet cluster: link 0 of node 3 is cut for a few seconds, then restored. The link
 * statistics from the capture must show node 1's pongs from node 3 lost on link 0, data between
 * them moving to link 1, and down/up events within one ping interval of corosync's own
 * "host: 3 link: 0 is down / is up" log lines on node 1. Fails without the lab prerequisites.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KnetDecoder } from '../../dissectors/knet/decoder.ts';
import { KnetLinkAnalyzer } from '../../src/analysis/knetLinks.ts';
import { readUdpCapture } from '../fixtures/knet/capture.ts';
import { requireLabPrerequisites, sleep, withLab } from '../lab/index.ts';

requireLabPrerequisites();

test('knet lab, two links: cutting link 0 shows lost pongs, traffic on link 1, down/up as corosync logs', { timeout: 240_000 }, async (t) => {
  await withLab({ nodes: 3, transport: 'knet', links: 2, linkPriority: [2, 1], crypto: { cipher: 'aes256', hash: 'sha256' } }, async (lab) => {
    await lab.startCapture({ filter: 'udp' });
    await lab.start();
    await lab.waitForRing();
    await sleep(3000);
    const cutAt = Date.now();
    const fault = await lab.cutLink(3, 0);
    const load = lab.cpgClient(1, { count: 40, rate: 10, sizes: [200], waitMembers: 1, exitWhenSent: true });
    await sleep(6000);
    await fault.remove();
    const restoredAt = Date.now();
    await (await load).wait(60_000);
    await sleep(5000);
    const stats = (await lab.exec(1, ['corosync-cmapctl', '-m', 'stats', 'stats.knet.node2.link0.latency_ave'])).stdout;
    const pcap = await lab.stopCapture();

    const log = lab.parsedLog(1);
    const down = log.knetLinks.find((e) => e.host === 3 && e.link === 0 && !e.up && e.time >= cutAt - 1000);
    const up = log.knetLinks.find((e) => e.host === 3 && e.link === 0 && e.up && e.time >= restoredAt - 1000);
    assert.ok(down && up, `corosync logged link 0 of host 3 down and up: ${JSON.stringify(log.knetLinks)}`);
    // knet's own ping interval / pong timeout for this link, from node 1's log.
    const timing = log.lines
      .map((l) => /host: 3 link: 0 timeout update - interval: (\d+) timeout: (\d+)/.exec(l.message))
      .find((m) => m !== null);
    assert.ok(timing, 'knet timeout update line');
    const intervalMs = Number(timing[1]) / 1000;
    const timeoutMs = Number(timing[2]) / 1000;

    const decoder = new KnetDecoder({ keys: [lab.authkey!] });
    const links = new KnetLinkAnalyzer({ pongTimeoutNs: BigInt(timing[2]!) * 1000n, pingIntervalNs: BigInt(timing[1]!) * 1000n });
    let link1DataDuringCut = 0;
    for (const p of readUdpCapture(pcap)) {
      const r = decoder.decode(p.payload, p.meta);
      assert.notEqual(r.kind, 'error', `frame ${p.frame}`);
      links.add({ timeNs: p.timeNs, src: p.meta.src, dst: p.meta.dst, length: p.payload.length, result: r });
      const ms = Number(p.timeNs / 1_000_000n);
      if (r.kind === 'data' && r.link === 1 && ms > down.time && ms < up.time && [p.meta.src, p.meta.dst].includes(lab.addr(3, 1))) link1DataDuringCut++;
    }
    assert.equal(decoder.counters.errors, 0);
    const report = links.report();
    const path = report.pings.find((p) => p.link === 0 && p.pinger === 1 && p.responder === 3);
    assert.ok(path, 'ping path 1 → 3 on link 0');
    assert.ok(path.lostPongs >= 3, `${path.lostPongs} lost pongs`);
    const ourDown = path.events.find((e) => e.kind === 'down');
    const ourUp = path.events.find((e) => e.kind === 'up' && ourDown !== undefined && e.timeNs > ourDown.timeNs);
    assert.ok(ourDown && ourUp, JSON.stringify(path.events.map((e) => [e.kind, Number(e.timeNs / 1_000_000n)])));
    const slack = intervalMs + 250; // one ping interval (+ the log's ms rounding and 200 ms knet timer granularity)
    const dDown = Number(ourDown.timeNs / 1_000_000n) - down.time;
    const dUp = Number(ourUp.timeNs / 1_000_000n) - up.time;
    assert.ok(Math.abs(dDown) <= slack, `down: capture ${dDown} ms from the log (interval ${intervalMs} ms, timeout ${timeoutMs} ms)`);
    assert.ok(Math.abs(dUp) <= slack, `up: capture ${dUp} ms from the log`);
    // RTT from the capture vs knet's own running mean (µs, pinger's clock) at the end of the run.
    const knetAveMs = Number(/latency_ave \(u32\) = (\d+)/.exec(stats)?.[1]) / 1000;
    const rtt12 = report.pings.find((p) => p.link === 0 && p.pinger === 1 && p.responder === 2)?.rtt;
    assert.ok(rtt12 && knetAveMs > 0, `latency_ave ${knetAveMs} ms`);
    assert.ok(rtt12.meanMs / knetAveMs < 10 && knetAveMs / rtt12.meanMs < 10, `capture mean ${rtt12.meanMs} ms vs knet ${knetAveMs} ms`);
    t.diagnostic(`RTT 1→2 link 0: capture p50 ${rtt12.p50Ms} ms mean ${rtt12.meanMs.toFixed(3)} ms p99 ${rtt12.p99Ms} ms; corosync-cmapctl latency_ave ${knetAveMs} ms`);
    t.diagnostic(`down ${dDown} ms, up ${dUp} ms from corosync's log; ${path.lostPongs} lost pongs; ${link1DataDuringCut} data packets on link 1 during the cut`);
    // Traffic moved to link 1 while link 0 was down.
    assert.ok(link1DataDuringCut > 0, 'data on link 1 during the cut');
    const link1 = report.traffic.filter((t) => t.link === 1 && (t.from === 3 || t.to === 3));
    assert.ok(link1.some((t) => t.data > 0));
  });
});
