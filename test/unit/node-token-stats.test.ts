// TokenHoldStats (src/node/tokenStats.ts): the token hold figures `totemscope node --stats-file`
// reports, with corosync's avg_token_workload / mtt_rx_token arithmetic (ms-floored timestamps,
// last 100 tokens, integer mean).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TOKEN_STATS_WINDOW, TokenHoldStats } from '../../src/node/tokenStats.ts';

test('token stats: empty', () => {
  const s = new TokenHoldStats();
  assert.deepEqual(s.window(), { count: 0, medianMs: 0, meanMs: 0, p90Ms: 0, maxMs: 0, avgTokenWorkload: 0, mttRxToken: 0 });
  assert.equal(s.takeInterval().count, 0);
});

test('token stats: corosync arithmetic floors each timestamp to ms, then the mean', () => {
  const s = new TokenHoldStats();
  // Holds of 0.4 ms that cross a millisecond boundary count 1 ms, others 0 (as in corosync).
  s.record(10.8, 11.2); // floor diff 1
  s.record(20.1, 20.5); // 0
  s.record(30.7, 31.1); // 1
  s.record(40.0, 40.4); // 0
  const w = s.window();
  assert.equal(w.count, 4);
  assert.ok(Math.abs(w.medianMs - 0.4) < 1e-9);
  assert.ok(Math.abs(w.meanMs - 0.4) < 1e-9);
  assert.equal(w.avgTokenWorkload, 0); // floor(2 / 4)
  assert.equal(w.mttRxToken, 10); // rx 10, 20, 30, 40
  s.record(50.2, 53.9); // 3
  assert.equal(s.window().avgTokenWorkload, 1); // floor(5 / 5)
  assert.ok(Math.abs(s.window().maxMs - 3.7) < 1e-9);
});

test('token stats: the window keeps the last 100 tokens, the interval every token since the last take', () => {
  const s = new TokenHoldStats();
  for (let i = 0; i < 150; i++) s.record(i * 10, i * 10 + (i < 50 ? 5 : 1));
  const w = s.window();
  assert.equal(w.count, TOKEN_STATS_WINDOW);
  assert.equal(w.avgTokenWorkload, 1); // the 5 ms holds are out of the window
  assert.equal(w.mttRxToken, 10);
  const interval = s.takeInterval();
  assert.equal(interval.count, 150);
  assert.equal(interval.medianMs, 1);
  assert.equal(interval.maxMs, 5);
  assert.equal(s.takeInterval().count, 0);
  assert.equal(s.total, 150);
});
