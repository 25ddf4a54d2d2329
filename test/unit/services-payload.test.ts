import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { FieldNode } from '../../dissectors/catalog.ts';
import { totempgPayloadSummary, totempgPayloadTree } from '../../dissectors/services/index.ts';
import { collectFieldValues } from '../../src/output/tree.ts';
import { loadMcastFrames } from '../fixtures/totempg/fixtures.ts';
import { totempgPayload } from '../fixtures/totempg/mcast.ts';

const frames = loadMcastFrames('udp');
const payloadOf = (frame: number): Uint8Array => frames.find((f) => f.frame === frame)!.bytes.subarray(45);

describe('one MCAST payload as a frame shows it (read -V / --json)', () => {
  it('summarises packed messages and pieces (udp.pcap frames 4, 5, 6, 9)', () => {
    assert.equal(totempgPayloadSummary(payloadOf(4), true), 'totempg 2 msg: cmap mcast sync 1 item: totem.config_version=(not set); sync barrier ring 1.5');
    assert.equal(totempgPayloadSummary(payloadOf(5), true), 'totempg 1 msg frag 1: [head 1400 B]');
    assert.equal(totempgPayloadSummary(payloadOf(6), true), 'totempg 1 msg cont 1: [continuation 173 B]');
    assert.equal(
      totempgPayloadSummary(payloadOf(9), true),
      'totempg 3 msg: votequorum nodeinfo node 1 votes 1 expected 2 flags first; votequorum nodeinfo node 0 votes 0 expected 0 flags none; sync barrier ring 1.5',
    );
  });

  it('builds a tree with the catalog names (totempg.*, service.*, votequorum.*, sync.*)', () => {
    const values = collectFieldValues([totempgPayloadTree(payloadOf(9), true)]);
    assert.deepEqual(values.get('totempg.msg_count'), [3]);
    assert.deepEqual(values.get('totempg.msg_len'), [37, 37, 40]);
    assert.deepEqual(values.get('totempg.group'), ['a', 'a', 'sync']);
    assert.deepEqual(values.get('service.name'), ['votequorum', 'votequorum', 'sync']);
    assert.deepEqual(values.get('service.service'), [5, 5], 'sync has no service id');
    assert.deepEqual(values.get('votequorum.nodeid'), [1, 0]);
    assert.deepEqual(values.get('votequorum.votes'), [1, 0]);
    assert.deepEqual(values.get('votequorum.expected_votes'), [2, 0]);
    assert.deepEqual(values.get('sync.ring_id'), ['1.5']);
    const cpg = collectFieldValues([totempgPayloadTree(payloadOf(frames.find((f) => totempgPayloadSummary(f.bytes.subarray(45), true).includes('procjoin'))!.frame), true)]);
    assert.deepEqual(cpg.get('cpg.group_name'), ['wfgrp']);
    assert.deepEqual(cpg.get('cpg.type'), [0]);
    assert.equal(cpg.get('cpg.reason')!.length, 1);
  });

  it('shows decode errors in the tree and the summary instead of failing', () => {
    const broken = totempgPayloadTree(new Uint8Array([0, 0, 0, 0, 0, 0, 9, 0]), true);
    const err = (n: FieldNode): string | undefined => n.children?.find((c) => c.field.name === 'totempg.error')?.value as string | undefined;
    assert.match(err(broken)!, /^totempg\.short_lengths at byte 6/);
    assert.equal(totempgPayloadSummary(new Uint8Array(3), true), 'totempg totempg.short');
    const badService = totempgPayload([new Uint8Array(10)]);
    assert.equal(totempgPayloadSummary(badService, true), 'totempg 1 msg: [service.short]');
    const values = collectFieldValues([totempgPayloadTree(badService, true)]);
    assert.match(String(values.get('service.error')![0]), /^service\.short at byte 5/);
  });
});
