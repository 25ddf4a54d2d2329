/**
 * Issue 5 acceptance on the lab samples (samples/, real corosync 3.1.7 clusters): the CPG client
 * on every node logged each message its node delivered, in delivery order (test/lab/cpgclient.c:
 * `deliver <nodeid> <pid> <seq> <size> <fnv1a>`). From the capture alone, the delivery view must
 * give exactly those messages (sender, pid, client seq, size, checksum of the body), in the same
 * order, with no duplicates from retransmits, udpu copies or recovery, including messages split
 * over several mcasts and a node killed under load.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readCaptureFile } from '../../src/sources/captureFile.ts';
import { FramePipeline } from '../../src/decode/pipeline.ts';
import { DeliveryAssembler, deliverFrame, type DeliveredMessage, type DeliveryEvent } from '../../src/deliver/index.ts';

const SAMPLES = fileURLToPath(new URL('../../samples/', import.meta.url));

function fnv1a(h: number, b: Uint8Array, from: number, to: number): number {
  for (let i = from; i < to; i++) h = Math.imul(h ^ b[i]!, 16777619) >>> 0;
  return h;
}

const u32 = (b: Uint8Array, o: number): number => (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;

/** The client's `deliver` line for a delivered CPG message, checking its header and checksum like the client does. */
function clientLine(m: DeliveredMessage): string {
  const b = m.body;
  assert.ok(b.length >= 32 && u32(b, 0) === 0x50435354, 'lab client message');
  assert.equal(u32(b, 20), b.length, 'size field = body size');
  const sum = fnv1a(fnv1a(2166136261, b, 0, 24), b, 28, b.length);
  assert.equal(sum, u32(b, 24), 'checksum');
  assert.equal(u32(b, 8), m.nodeid, 'sender nodeid');
  assert.equal(u32(b, 12), m.pid, 'sender pid');
  return `deliver ${m.nodeid} ${m.pid} ${u32(b, 16)} ${b.length} ${sum.toString(16).padStart(8, '0')}`;
}

async function deliveryView(sample: string): Promise<{ events: DeliveryEvent[]; lines: string[]; a: DeliveryAssembler }> {
  const pipeline = new FramePipeline();
  const a = new DeliveryAssembler();
  const events: DeliveryEvent[] = [];
  await readCaptureFile(`${SAMPLES}${sample}/capture.pcap`, (rec) => {
    events.push(...deliverFrame(a, pipeline.decode(rec)));
  });
  events.push(...a.finish());
  const lines = events.flatMap((e) => (e.kind === 'message' && e.message.service === 'cpg' && e.message.type === 'mcast' && e.message.group === 'totemscope' ? [clientLine(e.message)] : []));
  return { events, lines, a };
}

function clientLogs(sample: string, files: readonly string[]): { file: string; delivered: string[]; sent: number }[] {
  return files.map((file) => {
    const text = readFileSync(`${SAMPLES}${sample}/${file}`, 'utf8').split('\n');
    return {
      file,
      delivered: text.filter((l) => l.startsWith('deliver ')).map((l) => l.split(' ').slice(0, 6).join(' ')),
      sent: text.filter((l) => l.startsWith('sent ')).length,
    };
  });
}

function indexOfRun(hay: readonly string[], needle: readonly string[]): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

const CASES: readonly [string, readonly string[]][] = [
  ['udpu-cpg-load', ['cpg-node1.log', 'cpg-node2.log', 'cpg-node3.log']],
  ['udpu-kill-restart', ['cpg-node1.log', 'cpg-node2.log', 'cpg-node3.log', 'cpg-node2-restarted.log']],
  ['udp-multicast', ['cpg-node1.log', 'cpg-node2.log', 'cpg-node3.log']],
];

describe('read --deliver = what the CPG clients received (lab samples)', () => {
  for (const [sample, files] of CASES) {
    it(`${sample}: every client's deliveries, in order, and nothing else`, async () => {
      const { events, lines, a } = await deliveryView(sample);
      const logs = clientLogs(sample, files);
      assert.ok(lines.length > 20, `${sample}: ${lines.length} CPG messages`);
      assert.equal(new Set(lines).size, lines.length, 'no message delivered twice');
      for (const log of logs) {
        assert.ok(log.delivered.length > 0, log.file);
        assert.ok(indexOfRun(lines, log.delivered) >= 0, `${sample}/${log.file}: its ${log.delivered.length} deliveries are a contiguous run of the delivery view`);
      }
      // every message in the view was delivered to some client
      const union = new Set(logs.flatMap((l) => l.delivered));
      assert.deepEqual(lines.filter((l) => !union.has(l)), []);
      assert.deepEqual(
        events.filter((e) => e.kind === 'gap' || e.kind === 'incomplete' || e.kind === 'error'),
        [],
      );
      assert.equal(a.stats.late, 0);
    });
  }

  it('udpu-cpg-load: messages larger than one mcast are among them', async () => {
    const { events } = await deliveryView('udpu-cpg-load');
    const split = events.flatMap((e) => (e.kind === 'message' && e.message.service === 'cpg' && e.message.pieces > 1 ? [e.message] : []));
    assert.ok(split.some((m) => m.size > 1400), 'a CPG message bigger than a totempg packet');
  });
});
