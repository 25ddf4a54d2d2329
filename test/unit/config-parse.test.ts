/**
 * corosync.conf parser: the example configs shipped with corosync (Debian bookworm's
 * /etc/corosync/corosync.conf, upstream conf/*.example at v3.1.7 and v2.4.6, the configs of the
 * reference captures) and malformed inputs, each error with corosync's message, line and column.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { buildConf, checkConfigText, parseConfText, type ConfSyntaxCode } from '../../src/config/index.ts';

const FIX = new URL('../fixtures/config/', import.meta.url);
const read = (name: string): string => readFileSync(new URL(name, FIX), 'utf8');

function parseOk(text: string, version: 2 | 3 = 3) {
  const r = parseConfText(text);
  if (!r.ok) assert.fail(`unexpected syntax error ${JSON.stringify(r.error)}`);
  return buildConf(r.doc, version);
}

test('Debian bookworm /etc/corosync/corosync.conf: sections, values, lines', () => {
  const { conf, findings } = parseOk(read('debian-bookworm-corosync.conf'));
  assert.deepEqual(findings, []);
  assert.equal(conf.totem.u32.version?.value, 2);
  assert.equal(conf.totem.str.cluster_name?.value, 'debian');
  assert.equal(conf.totem.str.cluster_name?.line, 8);
  assert.equal(conf.totem.str.crypto_cipher?.value, 'none');
  assert.equal(conf.logging.options.get('logfile')?.value, '/var/log/corosync/corosync.log');
  assert.equal(conf.logging.subsys.get('QUORUM')?.get('debug')?.value, 'off');
  assert.equal(conf.quorum.provider?.value, 'corosync_votequorum');
  assert.equal(conf.nodes.length, 1);
  const n = conf.nodes[0];
  assert.equal(n?.name?.value, 'node1');
  assert.equal(n?.nodeid?.value, 1);
  assert.equal(n?.rings.get(0)?.value, '127.0.0.1');
  assert.equal(n?.rings.get(0)?.line, 58);
  assert.equal(n?.line, 52);
  assert.deepEqual([...conf.sections.keys()], ['totem', 'logging', 'quorum', 'nodelist']);
  // cmap keys exactly as corosync names them.
  assert.equal(conf.cmap.get('nodelist.node.0.ring0_addr')?.value, '127.0.0.1');
  assert.equal(conf.cmap.get('nodelist.node.0.nodeid')?.type, 'u32');
  assert.equal(conf.cmap.get('logging.logger_subsys.QUORUM.subsys')?.value, 'QUORUM');
});

test('upstream 3.1.7 example: two nodes without ring0_addr (commented out), name and nodeid kept', () => {
  const { conf, findings } = parseOk(read('upstream-3.1.7-corosync.conf.example'));
  assert.deepEqual(findings, []);
  assert.equal(conf.nodes.length, 2);
  assert.deepEqual(conf.nodes.map((n) => [n.name?.value, n.nodeid?.value, n.rings.size]), [['node1', 1, 0], ['node2', 2, 0]]);
  assert.equal(conf.quorum.provider, undefined, '#provider is a comment');
  const report = checkConfigText(read('upstream-3.1.7-corosync.conf.example'));
  assert.ok(report.findings.some((f) => f.code === 'node.ring0-missing'));
});

test('upstream 2.4.6 examples under 2.x rules (ringnumber, bindnetaddr, mcast, udpu members)', () => {
  const udp = parseOk(read('upstream-2.4.6-corosync.conf.example'), 2);
  assert.deepEqual(udp.findings.filter((f) => f.severity === 'error'), []);
  const i0 = udp.conf.interfaces[0];
  assert.equal(i0?.linknumber, 0);
  assert.equal(i0?.bindnetaddr?.value, '192.168.1.0');
  assert.equal(i0?.mcastaddr?.value, '239.255.1.1');
  assert.equal(i0?.mcastport?.value, 5405);
  assert.equal(i0?.ttl?.value, 1);
  const udpu = parseOk(read('upstream-2.4.6-corosync.conf.example.udpu'), 2);
  assert.equal(udpu.conf.totem.str.transport?.value, 'udpu');
  assert.equal(udpu.conf.nodes.length, 5);
  assert.deepEqual(udpu.conf.nodes.map((n) => n.nodeid?.value), [1, 2, undefined, undefined, undefined]);
  assert.equal(udpu.conf.nodes[0]?.rings.get(0)?.value, '10.16.35.101');
  // Under 3.x rules the same file's "ringnumber" is not the link key.
  const as3 = parseOk(read('upstream-2.4.6-corosync.conf.example'), 3);
  assert.ok(as3.findings.some((f) => f.code === 'interface.wrong-link-key'));
});

test('capture configs parse without findings', () => {
  for (const f of ['capture-knet-plain.conf', 'capture-knet-aes256.conf', 'capture-knet-hashonly.conf', 'capture-udp.conf', 'capture-udpu.conf']) {
    const { conf, findings } = parseOk(read(f));
    assert.deepEqual(findings, [], f);
    assert.ok(conf.nodes.length >= 2, f);
  }
});

test('whitespace, CRLF, tabs, blank and comment lines; no inline comments; no quoting; IPv6 colons', () => {
  const text = [
    '# comment',
    '   \t# indented comment',
    '',
    'totem\t{\r',
    '\tversion:\t2   ',
    '  cluster_name: "my cluster"',
    '  token: 3000 # ms',
    '  transport:knet',
    '}',
    'nodelist {',
    '  node {',
    '    ring0_addr: fe80::1:2',
    '    nodeid:1',
    '  }',
    '}',
  ].join('\n');
  const r = parseConfText(text);
  assert.ok(r.ok);
  const { conf, findings } = buildConf(r.doc, 3);
  assert.equal(conf.totem.u32.version?.value, 2);
  assert.equal(conf.totem.u32.version?.column, 11, 'value column after the tab');
  assert.equal(conf.totem.str.cluster_name?.value, '"my cluster"', 'quotes are kept');
  assert.equal(conf.totem.str.transport?.value, 'knet');
  assert.equal(conf.nodes[0]?.rings.get(0)?.value, 'fe80::1:2', 'split at the first colon only');
  assert.equal(conf.totem.u32.token, undefined, '"3000 # ms" is not an integer');
  const tokenErr = findings.find((f) => f.code === 'conf.value-not-integer');
  assert.ok(tokenErr);
  assert.equal(tokenErr.line, 7);
  assert.equal(tokenErr.column, 10);
  assert.equal(tokenErr.corosync, 'Value of key "totem.token" is expected to be integer in range (0..4294967295), but "3000 # ms" was given');
  assert.match(tokenErr.message, /no inline comments/);
  assert.ok(findings.some((f) => f.code === 'conf.quoted-value' && f.line === 6));
});

test('section name rules: "totem: {" is totem; a "{" anywhere opens a section', () => {
  const r = parseConfText('totem: {\n version: 2\n}\n');
  assert.ok(r.ok);
  const first = r.doc.root.items[0];
  assert.ok(first !== undefined && 'items' in first && first.name === 'totem');
  const bad = parseConfText('totem {\n  key: va{lue\n}\n');
  assert.ok(!bad.ok);
  assert.equal(bad.error.code, 'conf.extra-after-open-brace');
  assert.deepEqual([bad.error.line, bad.error.column], [2, 11]);
});

const MALFORMED: readonly { name: string; text: string; code: ConfSyntaxCode; line: number; column: number; message: string }[] = [
  { name: 'missing section name', text: 'totem {\n}\n  {\n', code: 'conf.missing-section-name', line: 3, column: 3, message: "Missing section name before opening bracket '{'" },
  { name: 'text after {', text: 'totem { version: 2\n}\n', code: 'conf.extra-after-open-brace', line: 1, column: 9, message: "Extra characters after opening bracket '{'" },
  // A ":" line is key/value even with a "}" in it (value "2 }"), so the section is never closed.
  { name: '"}" after a value', text: 'totem {\n  version: 2 }\n', code: 'conf.missing-close-brace', line: 2, column: 1, message: 'Missing closing brace' },
  { name: 'text after }', text: 'totem {\n} x\n', code: 'conf.extra-around-close-brace', line: 2, column: 3, message: "Extra characters before or after closing bracket '}'" },
  { name: 'text before } (no colon)', text: 'totem {\n  x }\n', code: 'conf.extra-around-close-brace', line: 2, column: 3, message: "Extra characters before or after closing bracket '}'" },
  { name: 'unexpected }', text: 'totem {\n}\n}\n', code: 'conf.unexpected-close-brace', line: 3, column: 1, message: 'Unexpected closing brace' },
  { name: 'bare word', text: 'totem {\n  version 2\n}\n', code: 'conf.not-section-or-key', line: 2, column: 3, message: 'Line is not opening or closing section or key value' },
  { name: 'missing }', text: 'totem {\n  version: 2\nnodelist {\n}\n', code: 'conf.missing-close-brace', line: 4, column: 1, message: 'Missing closing brace' },
  { name: 'line too long', text: `totem {\n  cluster_name: ${'x'.repeat(600)}\n}\n`, code: 'conf.line-too-long', line: 2, column: 511, message: 'Line too long' },
];

for (const m of MALFORMED) {
  test(`malformed: ${m.name} → ${m.code} at ${m.line}:${m.column}`, () => {
    const r = parseConfText(m.text);
    assert.ok(!r.ok, 'must fail');
    assert.equal(r.error.code, m.code);
    assert.equal(r.error.line, m.line);
    assert.equal(r.error.column, m.column);
    if (m.message !== '') assert.equal(r.error.message, m.message);
    const report = checkConfigText(m.text);
    assert.equal(report.ok, false);
    assert.equal(report.findings[0]?.line, m.line);
    assert.equal(report.findings[0]?.column, m.column);
  });
}

test('a line of exactly 510 characters is accepted, 511 is too long (fgets into char[512])', () => {
  const key = '  cluster_name: ';
  const ok = `totem {\n${key}${'a'.repeat(510 - key.length)}\n}\n`;
  assert.ok(parseConfText(ok).ok);
  const long = `totem {\n${key}${'a'.repeat(511 - key.length)}\n}\n`;
  const r = parseConfText(long);
  assert.ok(!r.ok && r.error.code === 'conf.line-too-long');
});

test('value errors: integer ranges per key type, enums, with corosync text and position', () => {
  const text = [
    'totem {',
    '  version: 2',
    '  token: -1',
    '  crypto_cipher: 3des',
    '  interface {',
    '    linknumber: 300',
    '    mcastport: 70000',
    '    knet_link_priority: 256',
    '  }',
    '}',
    'quorum {',
    '  two_node: 2x',
    '}',
    'system {',
    '  sched_rr: maybe',
    '}',
    'nodelist {',
    '  node {',
    '    nodeid: 0x10',
    '  }',
    '}',
  ].join('\n');
  const r = parseConfText(text);
  assert.ok(r.ok);
  const { findings } = buildConf(r.doc, 3);
  const at = (line: number): string | undefined => findings.find((f) => f.line === line && f.severity === 'error')?.corosync;
  assert.equal(at(3), 'Value of key "totem.token" is expected to be integer in range (0..4294967295), but "-1" was given');
  assert.equal(at(4), 'Invalid cipher type. Should be none, aes256, aes192 or aes128');
  assert.equal(at(6), 'Value of key "totem.interface.linknumber" is expected to be integer in range (0..255), but "300" was given');
  assert.equal(at(7), 'Value of key "totem.interface.mcastport" is expected to be integer in range (0..65535), but "70000" was given');
  assert.equal(at(8), 'Value of key "totem.interface.knet_link_priority" is expected to be integer in range (0..255), but "256" was given');
  assert.equal(at(12), 'Value of key "quorum.two_node" is expected to be integer in range (0..255), but "2x" was given');
  assert.equal(at(15), 'Invalid system.sched_rr value');
  assert.equal(at(19), 'Value of key "nodelist.node.0.nodeid" is expected to be integer in range (0..4294967295), but "0x10" was given');
  assert.equal(findings.find((f) => f.line === 3)?.column, 10);
});

test('duplicates: last value wins with a warning; two interface sections for one link merge; second nodelist restarts at 0', () => {
  const text = [
    'totem {',
    '  version: 2',
    '  token: 1000',
    '  token: 5000',
    '  interface {',
    '    linknumber: 1',
    '    knet_link_priority: 3',
    '  }',
    '  interface {',
    '    linknumber: 1',
    '    knet_link_priority: 7',
    '  }',
    '}',
    'nodelist {',
    '  node {',
    '    ring0_addr: 192.0.2.1',
    '    nodeid: 1',
    '  }',
    '}',
    'nodelist {',
    '  node {',
    '    ring0_addr: 192.0.2.9',
    '  }',
    '}',
  ].join('\n');
  const r = parseConfText(text);
  assert.ok(r.ok);
  const { conf, findings } = buildConf(r.doc, 3);
  assert.equal(conf.totem.u32.token?.value, 5000);
  assert.equal(conf.totem.u32.token?.line, 4);
  const dup = findings.find((f) => f.code === 'conf.duplicate-key' && f.line === 4);
  assert.ok(dup);
  assert.match(dup.message, /first at line 3/);
  assert.equal(conf.interfaces[0]?.knet_link_priority?.value, 7);
  assert.ok(findings.some((f) => f.code === 'interface.duplicate-link' && f.line === 10));
  assert.ok(findings.some((f) => f.code === 'nodelist.second-section' && f.line === 20));
  assert.equal(conf.nodes.length, 1, 'the second nodelist overwrites position 0');
  assert.equal(conf.nodes[0]?.rings.get(0)?.value, '192.0.2.9');
  assert.equal(conf.nodes[0]?.nodeid?.value, 1, 'keys it does not set survive');
});

test('unknown keys and sections are warnings with their line; logger_subsys needs subsys; uidgid and member keys', () => {
  const text = [
    'totem {',
    '  version: 2',
    '  tokn: 3000',
    '}',
    'totm {',
    '  x: 1',
    '}',
    'logging {',
    '  to_syslogg: yes',
    '  logger_subsys {',
    '    debug: on',
    '  }',
    '}',
    'uidgid {',
    '  user: hacluster',
    '}',
    'nodelist {',
    '  node {',
    '    ring0_addr: 192.0.2.1',
    '    rign1_addr: 192.0.2.2',
    '  }',
    '}',
  ].join('\n');
  const r = parseConfText(text);
  assert.ok(r.ok);
  const { findings } = buildConf(r.doc, 3);
  const codesAt = findings.map((f) => `${f.code}@${f.line ?? 0}`);
  for (const want of ['conf.unknown-key@3', 'conf.unknown-section@5', 'conf.unknown-key@9', 'logging.subsys-missing@10', 'uidgid.invalid-key@15', 'conf.unknown-key@20']) {
    assert.ok(codesAt.includes(want), `${want} in ${codesAt.join(', ')}`);
  }
  assert.equal(findings.find((f) => f.code === 'conf.unknown-key' && f.line === 3)?.column, 3);
});

test('property: the parser never throws and errors always carry a position inside the text', async () => {
  const fc = await import('fast-check');
  const piece = fc.constantFrom('totem', 'node', 'nodelist', ' ', '\t', '{', '}', ':', '#', 'token', '3000', 'x', '\r', '::1', '"', "'");
  const line = fc.array(piece, { maxLength: 8 }).map((p) => p.join(''));
  const text = fc.oneof(fc.string({ maxLength: 200 }), fc.array(line, { maxLength: 30 }).map((l) => l.join('\n')));
  fc.assert(
    fc.property(text, (t) => {
      const r = parseConfText(t);
      if (!r.ok) {
        const lines = t.split('\n').length;
        assert.ok(r.error.line >= 0 && r.error.line <= lines, `line ${r.error.line} of ${lines}`);
        assert.ok(r.error.column >= 1);
      } else {
        // Whatever parses also builds and checks without throwing.
        buildConf(r.doc, 3);
        checkConfigText(t);
        checkConfigText(t, { corosyncVersion: 2 });
      }
    }),
    { numRuns: 400 },
  );
});
