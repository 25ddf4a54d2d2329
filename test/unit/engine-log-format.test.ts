// The engine's timing log lines in corosync's words: whole milliseconds ("Token has not been
// received in %d ms ", "Process pause detected for %d ms, ..."), also when the driver's clock
// (performance.now()) is fractional. A `totemscope node` lab run printed "in 1725.6564770000005 ms"
// and "for 2485.850204000002 ms" before this was fixed.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { TotemEngine } from '../../src/engine/engine.ts';
import { MembState } from '../../src/engine/types.ts';
import { join, LockstepNet, logs, newEngine } from './engine-helpers.ts';

/** Nodes 1 and 2 in one ring, formed on a clock with a fractional offset. */
function twoNodeRing(): TotemEngine[] {
  const net = new LockstepNet();
  net.now = 1000.375;
  const engines = [newEngine(1), newEngine(2)];
  for (const e of engines) net.add(e);
  net.start();
  net.run(4000.375);
  for (const e of engines) assert.equal(e.state, MembState.OPERATIONAL);
  for (const e of engines) e.takeActions();
  return engines;
}

it('token warning: whole ms since the last token', () => {
  const e2 = twoNodeRing()[1]!;
  const warnAt = e2.activeTimers().tokenWarning;
  assert.ok(warnAt !== undefined);
  e2.tick(warnAt + 0.25);
  const warning = logs(e2.takeActions()).find((l) => l.startsWith('Token has not been received in '));
  assert.ok(warning !== undefined, 'warning logged');
  assert.match(warning, /^Token has not been received in \d+ ms $/);
});

it('process pause: whole ms since the pause timer last ran', () => {
  const e2 = twoNodeRing()[1]!;
  const pauseAt = e2.activeTimers().pause;
  assert.ok(pauseAt !== undefined);
  // The pause timer did not run for far more than token / 2: a JOIN arriving now is flushed.
  e2.step(join({ from: 1, proc: [1, 2], ringSeq: 100n }), pauseAt + 5000.625);
  const pause = logs(e2.takeActions()).find((l) => l.startsWith('Process pause detected for '));
  assert.ok(pause !== undefined, 'pause logged');
  assert.match(pause, /^Process pause detected for \d+ ms, flushing membership messages\.$/);
});
