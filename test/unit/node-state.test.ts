// Ring seq persistence of `totemscope node` (src/node/stateFile.ts): corosync's ringid_<nodeid> file,
// 8 bytes, u64 in host byte order (wire-format.md §6.8).
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { loadRingSeq, ringIdPath, storeRingSeq } from '../../src/node/stateFile.ts';
import { engineTimers } from '../../src/node/driver.ts';
import { loadTotemConfig } from '../../src/config/index.ts';

describe('node state file', () => {
  it('creates ringid_<nodeid> with 0, stores and reloads a u64 in host order', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'totemscope-node-state-'));
    try {
      assert.equal(loadRingSeq(dir, 4), 0n);
      assert.deepEqual([...readFileSync(ringIdPath(dir, 4))], [0, 0, 0, 0, 0, 0, 0, 0]);
      storeRingSeq(dir, 4, 0x1234_5678_9abcn);
      const b = readFileSync(path.join(dir, 'ringid_4'));
      assert.equal(b.length, 8);
      assert.equal(os.endianness() === 'LE' ? b.readBigUInt64LE(0) : b.readBigUInt64BE(0), 0x1234_5678_9abcn);
      assert.equal(loadRingSeq(dir, 4), 0x1234_5678_9abcn);
      writeFileSync(path.join(dir, 'ringid_5'), Buffer.from([1, 2, 3]));
      assert.throws(() => loadRingSeq(dir, 5), /3 bytes/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('node timers from corosync.conf', () => {
  it('are the effective values corosync computes (4-node nodelist, token 1000)', () => {
    const conf = `totem {\n version: 2\n cluster_name: lab\n transport: udpu\n token: 1000\n}\nnodelist {\n${[1, 2, 3, 4]
      .map((n) => ` node {\n  ring0_addr: 192.0.2.${n}\n  nodeid: ${n}\n${n === 4 ? '  quorum_votes: 0\n' : ''} }\n`)
      .join('')}}\nquorum {\n provider: corosync_votequorum\n}\n`;
    const loaded = loadTotemConfig(conf);
    assert.ok(!('error' in loaded), 'error' in loaded ? loaded.error : '');
    const t = engineTimers(loaded.totem);
    // token 1000 + (4 − 2) × 650; token_retransmit = int(2300 / 4.2); hold = int(547 × 0.8 − 10); consensus 1.2 × token.
    assert.deepEqual([t.token, t.tokenRetransmit, t.hold, t.consensus, t.join, t.merge], [2300, 547, 427, 2760, 50, 200]);
    assert.equal(loaded.nodes.node(4)?.quorumVotes, 0);
  });
});
