/**
 * `read --deliver` on a capture that begins while the ring is already carrying CPG load (the usual
 * case for an operator): the delivery view is a contiguous run of what every client delivered, to
 * its end, starting at the first message whose every piece is in the capture; a message whose first
 * pieces went by before the capture began is missing from it and reported as incomplete (missing
 * head), never delivered cut or garbled; and nothing is reported as lost but the seqs before the capture began.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Lab, requireLabPrerequisites, sleep, type Transport } from '../lab/index.ts';
import { clientLine, duplicates, firstDifference, MIXED_SIZES, readDeliver, ringedClientLines, ringedViewLines, viewLines } from './deliver-lab-support.ts';

// Big messages (many mcasts each: ~1.4 KB totempg packets on udpu, ~64 KB on knet) so the capture
// likely begins inside one.
const CASES: readonly { transport: Transport; sizes: readonly (number | readonly [number, number])[]; count: number; rate: number; startAfter: number }[] = [
  { transport: 'udpu', sizes: [200_000, ...MIXED_SIZES], count: 40, rate: 10, startAfter: 20 },
  { transport: 'knet', sizes: [300_000, ...MIXED_SIZES], count: 40, rate: 10, startAfter: 20 },
];

for (const { transport, sizes, count, rate, startAfter } of CASES) {
  test(`read --deliver: ${transport} capture started mid-load gives the clients' deliveries from its start, cut messages reported`, { timeout: 110_000 }, async (t) => {
    requireLabPrerequisites();
    const lab = await Lab.create({ nodes: 3, transport });
    try {
      await lab.start();
      await lab.waitForRing();
      const clients = await lab.cpgClients(lab.nodeIds, { count, sizes, rate });
      await clients[0]!.waitFor(new RegExp(`^deliver (?:.*\\n){${startAfter}}`, 'm'), 60_000);
      const capture = await lab.startCapture({ filter: 'udp' });
      const logs = await Promise.all(clients.map((c) => c.wait(60_000)));
      await sleep(300);
      const result = await capture.stop();
      assert.equal(result.dropped, 0, 'tcpdump dropped packets');
      const view = await readDeliver(result.path);

      const order = logs[0]!.deliveries.map(clientLine);
      for (const log of logs) assert.equal(firstDifference(log.deliveries.map(clientLine), order), 'equal');
      const lines = viewLines(view.messages, 'totemscope');
      assert.deepEqual(duplicates(lines), []);
      assert.ok(lines.length > 0 && lines.length < order.length, `${lines.length} of ${order.length} messages in a capture begun mid-load`);
      // From its first message on, the view is the delivery order without the messages whose
      // first pieces went by before the capture began (reported as incomplete, below).
      const start = order.indexOf(lines[0]!);
      assert.ok(start > 0, 'the first message of the view was delivered by the clients');
      const inView = new Set(lines);
      const rest = order.slice(start);
      assert.equal(firstDifference(lines, rest.filter((l) => inView.has(l))), 'equal', 'the view is in delivery order');
      const cutMessages = rest.filter((l) => !inView.has(l));
      const ringedAll = ringedClientLines(clients[0]!.text()).slice(start);
      const ringed = ringedViewLines(view.messages, 'totemscope');
      assert.equal(firstDifference(ringed, ringedAll.filter((l) => inView.has(l.slice(l.indexOf(' ') + 1)))), 'equal', 'ring ids');

      const gaps = view.events.filter((e) => e.event === 'gap');
      assert.ok(gaps.length === 1 && gaps[0]!['reason'] === 'capture-start', `gaps: ${JSON.stringify(gaps)}`);
      const errors = view.events.filter((e) => e.event === 'error');
      assert.deepEqual(errors, []);
      // Only messages cut by the capture start may be incomplete: at most one per sender, missing its head.
      const incomplete = view.events.filter((e) => e.event === 'incomplete');
      for (const i of incomplete) assert.equal(i.reason, 'missing-head', JSON.stringify(i));
      assert.ok(new Set(incomplete.map((i) => i.nodeid)).size === incomplete.length, 'one cut message per sender at most');
      const incompleteSenders = new Set(incomplete.map((i) => i.nodeid));
      for (const l of cutMessages) assert.ok(incompleteSenders.has(Number(l.split(' ')[1])), `missing from the view without an incomplete report: ${l}`);
      t.diagnostic(`${lines.length} of ${order.length} CPG messages in the capture (${cutMessages.length} cut by its start); gap ${JSON.stringify(gaps[0])}; incomplete ${JSON.stringify(incomplete)}`);
    } finally {
      await lab.destroy();
    }
  });
}
