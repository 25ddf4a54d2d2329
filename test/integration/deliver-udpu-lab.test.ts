/**
 * Issue 5 acceptance on a real 3-node udpu cluster (corosync 3.1.7): `read --deliver --json` on the
 * capture gives exactly the CPG messages the lab clients sent (count, sizes, checksums, including
 * 20000-byte messages split over many mcasts), in the order every client delivered them, and the
 * votequorum nodeinfo of each node carries the votes `corosync-quorumtool -s` reports.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { requireLabPrerequisites } from '../lab/index.ts';
import { assertDeliveryMatchesClients, cpgClusterRun, describeRun } from './deliver-lab-support.ts';

const PER_NODE = 30;

test('read --deliver: udpu cluster, CPG messages and votequorum nodeinfo as corosync delivered them', { timeout: 110_000 }, async (t) => {
  requireLabPrerequisites();
  const run = await cpgClusterRun({ transport: 'udpu' }, PER_NODE);
  assertDeliveryMatchesClients(run, PER_NODE);
  t.diagnostic(describeRun(run));
});

// libcpg sends a message that does not fit its IPC request buffer (1 MiB) as CPG partial_mcast
// pieces; the client receives it whole. 1 MiB messages therefore take the partial path.
test('read --deliver: udpu cluster, 1 MiB CPG messages (partial_mcast pieces) joined as the client got them', { timeout: 110_000 }, async (t) => {
  requireLabPrerequisites();
  const count = 3;
  const run = await cpgClusterRun({ transport: 'udpu' }, count, [1 << 20, 300_000, 64]);
  assertDeliveryMatchesClients(run, count, [1 << 20, 300_000, 64]);
  const joined = run.view.messages.filter((m) => m.group === 'totemscope' && /\(\d+ partial pieces\)/.test(m.summary));
  t.diagnostic(`joined from partial_mcast pieces: ${joined.map((m) => `${m.size}: ${m.summary.replace(/^.* \((\d+) partial pieces\)$/, '$1')}`).join(', ')}`);
  assert.ok(joined.some((m) => m.size === 1 << 20), 'a 1 MiB message arrived as partial_mcast pieces');
  t.diagnostic(describeRun(run));
});
