/**
 * Issue 5 acceptance on a real 3-node udpu cluster (corosync 3.1.7): `read --deliver --json` on the
 * capture gives exactly the CPG messages the lab clients sent (count, sizes, checksums, including
 * 20000-byte messages split over many mcasts), in the order every client delivered them, and the
 * votequorum nodeinfo of each node carries the votes `corosync-quorumtool -s` reports.
 */
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
