/**
 * Issue 5 acceptance on real 3-node knet clusters (corosync 3.1.7 / knet 1.25), cleartext and
 * aes256/sha256 (decoded with `--key` on the lab's authkey): `read --deliver --json` on the capture
 * gives exactly the CPG messages the lab clients sent, in the order every client delivered them
 * (messages of up to 20000 bytes: totempg fragments inside knet fragments), and the votequorum
 * nodeinfo of each node carries the votes `corosync-quorumtool -s` reports.
 */
import { test } from 'node:test';
import { requireLabPrerequisites } from '../lab/index.ts';
import { assertDeliveryMatchesClients, cpgClusterRun, describeRun } from './deliver-lab-support.ts';

const PER_NODE = 30;

test('read --deliver: knet cluster (crypto none), CPG messages and votequorum nodeinfo as corosync delivered them', { timeout: 110_000 }, async (t) => {
  requireLabPrerequisites();
  const run = await cpgClusterRun({ transport: 'knet' }, PER_NODE);
  assertDeliveryMatchesClients(run, PER_NODE);
  t.diagnostic(describeRun(run));
});

test('read --deliver --key: knet cluster with aes256/sha256, decoded with the authkey', { timeout: 110_000 }, async (t) => {
  requireLabPrerequisites();
  const run = await cpgClusterRun({ transport: 'knet', crypto: { cipher: 'aes256', hash: 'sha256' } }, PER_NODE);
  assertDeliveryMatchesClients(run, PER_NODE);
  t.diagnostic(describeRun(run));
});
