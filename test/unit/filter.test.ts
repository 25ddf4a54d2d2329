import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileFilter, FilterSyntaxError } from '../../src/filter/displayFilter.ts';
import type { FieldValue } from '../../dissectors/catalog.ts';

const known = new Set([
  'corosync_totemsrp.orf_token',
  'corosync_totemsrp.orf_token.rtr_list_entries',
  'corosync_totemsrp.rtr_item.seq',
  'corosync_totemsrp.message_header.type',
  'corosync_totemsrp.memb_ring_id',
  'ip.src',
  'totem.transport',
  'udp.payload',
  'corosync_totemsrp.memb_ring_id.seq',
]);
const isKnown = (n: string): boolean => known.has(n);

function frame(fields: Record<string, FieldValue[]>) {
  return (name: string) => fields[name];
}

const token = frame({
  'corosync_totemsrp.orf_token': [true],
  'corosync_totemsrp.orf_token.rtr_list_entries': [2],
  'corosync_totemsrp.rtr_item.seq': [0x3f, 0x40],
  'corosync_totemsrp.message_header.type': [0],
  'corosync_totemsrp.memb_ring_id': ['1.d'],
  'corosync_totemsrp.memb_ring_id.seq': [13n],
  'ip.src': ['192.0.2.1'],
  'totem.transport': ['udpu'],
  'udp.payload': [new Uint8Array([0x70, 0xc0, 0x03])],
});
const mcast = frame({
  'corosync_totemsrp.message_header.type': [1],
  'ip.src': ['192.0.2.2'],
  'totem.transport': ['udpu'],
});

test('comparisons on numbers, hex, bigints, text and bytes', () => {
  const cases: Array<[string, boolean, boolean]> = [
    ['corosync_totemsrp.orf_token.rtr_list_entries > 0', true, false],
    ['corosync_totemsrp.orf_token.rtr_list_entries >= 2 && corosync_totemsrp.orf_token.rtr_list_entries <= 2', true, false],
    ['corosync_totemsrp.rtr_item.seq == 0x40', true, false],
    ['corosync_totemsrp.rtr_item.seq == 64', true, false],
    ['corosync_totemsrp.rtr_item.seq != 0x40', false, false],
    ['corosync_totemsrp.rtr_item.seq != 0x41', true, false],
    ['corosync_totemsrp.memb_ring_id == 1.d', true, false],
    ['corosync_totemsrp.memb_ring_id.seq == 0xd', true, false],
    ['ip.src == 192.0.2.2', false, true],
    ['ip.src eq "192.0.2.1"', true, false],
    ['totem.transport == udpu and corosync_totemsrp.message_header.type == 1', false, true],
    ['corosync_totemsrp.orf_token', true, false],
    ['!corosync_totemsrp.orf_token', false, true],
    ['not (corosync_totemsrp.orf_token || ip.src == 192.0.2.2)', false, false],
    ['corosync_totemsrp.message_header.type < 1 || corosync_totemsrp.message_header.type > 0', true, true],
    ['udp.payload contains 70c0', true, false],
    ['udp.payload == 70:c0:03', true, false],
  ];
  for (const [src, onToken, onMcast] of cases) {
    const f = compileFilter(src, isKnown);
    assert.equal(f.matches(token), onToken, `${src} on token`);
    assert.equal(f.matches(mcast), onMcast, `${src} on mcast`);
  }
});

test('comparison on an absent field is false, even !=', () => {
  const f = compileFilter('corosync_totemsrp.orf_token.rtr_list_entries != 5', isKnown);
  assert.equal(f.matches(mcast), false);
  assert.deepEqual(f.fields, ['corosync_totemsrp.orf_token.rtr_list_entries']);
});

test('syntax errors and unknown fields name the column', () => {
  const bad: Array<[string, RegExp]> = [
    ['ip.src ==', /expected a value/],
    ['(ip.src == 1', /expected '\)'/],
    ['ip.srcx == 1', /unknown field 'ip.srcx' \(at column 1\)/],
    ['ip.src == 1 ip.src', /unexpected 'ip.src' \(at column 13\)/],
    ['ip.src = 1', /unexpected '='/],
    ['"abc', /unterminated string/],
    ['&& ip.src', /expected a field name/],
  ];
  for (const [src, re] of bad) {
    assert.throws(() => compileFilter(src, isKnown), (e: unknown) => e instanceof FilterSyntaxError && re.test(e.message), src);
  }
});
