/**
 * The delivery view against what corosync itself logged as delivered: node 1's debug log in each
 * reference capture records every votequorum nodeinfo and CPG procjoin/procleave it received, in
 * delivery order, and every membership it was in.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { WireError } from '../../dissectors/errors.ts';
import { decodeTotem } from '../../dissectors/totemsrp/index.ts';
import { formatRingId } from '../../dissectors/totemsrp/types.ts';
import { DeliveryAssembler, type DeliveredMessage } from '../../src/deliver/index.ts';
import { FIXTURE_DIR, loadMcastFrames } from '../fixtures/totempg/fixtures.ts';

type Name = 'udpu' | 'udp' | 'knet-plain';

function delivered(name: Name): DeliveredMessage[] {
  const a = new DeliveryAssembler();
  const out: DeliveredMessage[] = [];
  for (const f of loadMcastFrames(name)) {
    const m = decodeTotem(f.bytes);
    assert.ok(!(m instanceof WireError) && m.kind === 'mcast');
    for (const e of a.push(m, f)) if (e.kind === 'message') out.push(e.message);
  }
  for (const e of a.finish()) if (e.kind === 'message') out.push(e.message);
  return out;
}

/** node 1's view: per membership it was in, the nodeinfo and procjoin/procleave it delivered. */
function fromLog(name: Name): { rings: string[]; events: string[] } {
  const rings: string[] = [];
  const events: string[] = [];
  let ring = '';
  let sender = -1;
  for (const line of readFileSync(`${FIXTURE_DIR}${name}.node1.delivered.log`, 'latin1').split('\n')) {
    let m = /A new membership \(([0-9a-f]+\.[0-9a-f]+)\) was formed/.exec(line);
    if (m) {
      ring = m[1]!;
      rings.push(ring);
      continue;
    }
    m = /got nodeinfo message from cluster node (\d+)/.exec(line);
    if (m) {
      sender = Number(m[1]);
      continue;
    }
    m = /nodeinfo message\[(\d+)\]: votes: (\d+), expected: (\d+) flags: (\d+)/.exec(line);
    if (m) {
      events.push(`${ring} nodeinfo from ${sender} about ${m[1]} votes ${m[2]} expected ${m[3]} flags ${m[4]}`);
      continue;
    }
    m = /got (procjoin|procleave) message from cluster node (\d+) .* for pid (\d+)/.exec(line);
    if (m) events.push(`${ring} ${m[1]} from ${m[2]} pid ${m[3]}`);
  }
  return { rings, events };
}

function fromCapture(name: Name, rings: readonly string[]): string[] {
  const out: string[] = [];
  for (const m of delivered(name)) {
    const ring = formatRingId(m.ringId);
    if (!rings.includes(ring)) continue; // rings node 1 was not on (other nodes' singleton rings)
    const d = m.decoded;
    if (d.service === 'votequorum' && d.type === 'nodeinfo') {
      out.push(`${ring} nodeinfo from ${m.nodeid} about ${d.nodeid} votes ${d.votes} expected ${d.expectedVotes} flags ${d.flags}`);
    } else if (d.service === 'cpg' && (d.type === 'procjoin' || d.type === 'procleave')) {
      out.push(`${ring} ${d.type} from ${m.nodeid} pid ${d.pid}`);
    }
  }
  return out;
}

describe('delivery view = what corosync delivered (node 1 debug log)', () => {
  for (const name of ['udpu', 'udp', 'knet-plain'] as const) {
    it(`${name}: same nodeinfo and procjoin/procleave messages, same order, per membership`, () => {
      const log = fromLog(name);
      // knet never puts a singleton ring's messages on the wire (no peer to send to): compare the
      // memberships the capture can show.
      const onWire = new Set(delivered(name).map((m) => formatRingId(m.ringId)));
      const rings = log.rings.filter((r) => onWire.has(r));
      assert.deepEqual(log.rings.filter((r) => !onWire.has(r)), name === 'knet-plain' ? ['1.5'] : []);
      assert.ok(rings.length >= 2, `${name}: rings ${rings.join()}`);
      const expected = log.events.filter((e) => rings.includes(e.split(' ')[0]!));
      assert.ok(expected.length >= 10);
      assert.deepEqual(fromCapture(name, rings), expected);
    });
  }
});
