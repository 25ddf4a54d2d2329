/**
 * Findings that say "corosync refuses this" are checked against real corosync 3.1.7: for each
 * config, `config check` must report an error whose `corosync` text corosync itself prints when
 * it exits at startup (syntax errors with the same line number). And a config we pass must start.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { checkConfigText, parseIpAddrJson, type HostAddress } from '../../src/config/index.ts';
import { LabError, requireLabPrerequisites, withLab, type Lab } from '../lab/index.ts';

const LOGGING = 'logging {\n  to_logfile: yes\n  logfile: /var/log/corosync/corosync.log\n  to_stderr: yes\n  to_syslog: no\n}\nsystem {\n  sched_rr: no\n}\nquorum {\n  provider: corosync_votequorum\n}\n';

function conf(totem: string, nodes = '  node {\n    ring0_addr: 192.0.2.1\n    nodeid: 1\n    name: n1\n  }\n  node {\n    ring0_addr: 192.0.2.2\n    nodeid: 2\n    name: n2\n  }'): string {
  return `totem {\n  version: 2\n  cluster_name: tsref\n${totem}\n}\n${LOGGING}nodelist {\n${nodes}\n}\n`;
}

interface Refusal {
  readonly name: string;
  readonly text: string;
  readonly code: string;
  readonly authkey?: boolean;
}

const REFUSALS: readonly Refusal[] = [
  { name: 'cipher without hash', text: conf('  crypto_cipher: aes256\n  crypto_hash: none'), code: 'crypto.cipher-without-hash' },
  { name: 'crypto on udpu', text: conf('  transport: udpu\n  crypto_cipher: aes256\n  crypto_hash: sha256'), code: 'crypto.non-knet', authkey: true },
  { name: 'knet without nodeid (local node)', text: conf('', '  node {\n    ring0_addr: 192.0.2.1\n    name: n1\n  }\n  node {\n    ring0_addr: 192.0.2.2\n    nodeid: 2\n    name: n2\n  }'), code: 'nodelist.local-nodeid-knet' },
  { name: 'knet without nodeid (other node)', text: conf('', '  node {\n    ring0_addr: 192.0.2.1\n    nodeid: 1\n    name: n1\n  }\n  node {\n    ring0_addr: 192.0.2.2\n    name: n2\n  }'), code: 'node.nodeid-missing-knet' },
  { name: 'local node not in the nodelist', text: conf('', '  node {\n    ring0_addr: 192.0.2.7\n    nodeid: 7\n    name: n7\n  }\n  node {\n    ring0_addr: 192.0.2.2\n    nodeid: 2\n    name: n2\n  }'), code: 'nodelist.local-node-missing' },
  { name: 'duplicate nodeid', text: conf('', '  node {\n    ring0_addr: 192.0.2.1\n    nodeid: 1\n    name: n1\n  }\n  node {\n    ring0_addr: 192.0.2.2\n    nodeid: 1\n    name: n2\n  }'), code: 'node.nodeid-duplicate' },
  { name: 'token below 30 ms', text: conf('  token: 20'), code: 'totem.token-too-small' },
  { name: 'consensus below join', text: conf('  join: 500\n  consensus: 400'), code: 'totem.consensus-below-join' },
  { name: 'invalid transport', text: conf('  transport: tcp'), code: 'totem.transport' },
  { name: 'link mode', text: conf('  link_mode: fastest'), code: 'totem.link-mode' },
  { name: 'ttl on knet', text: conf('  interface {\n    linknumber: 0\n    ttl: 5\n  }'), code: 'interface.ttl-non-multicast' },
  { name: 'inline comment in an integer', text: conf('  token: 3000 # ms'), code: 'conf.value-not-integer' },
  { name: 'invalid cipher', text: conf('  crypto_cipher: 3des\n  crypto_hash: sha1'), code: 'conf.invalid-value' },
  { name: 'two links, node without ring1', text: conf('', '  node {\n    ring0_addr: 192.0.2.1\n    ring1_addr: 198.51.100.1\n    nodeid: 1\n    name: n1\n  }\n  node {\n    ring0_addr: 192.0.2.2\n    nodeid: 2\n    name: n2\n  }'), code: 'nodelist.link-count-mismatch' },
  { name: 'blank inside a key', text: conf('  to ken: 1'), code: 'conf.invalid-key-name' },
  { name: 'link number 9', text: conf('  interface {\n    linknumber: 9\n    knet_link_priority: 2\n  }'), code: 'interface.link-number' },
  { name: 'two_node with a quorum device', text: conf('').replace('provider: corosync_votequorum', 'provider: corosync_votequorum\n  two_node: 1\n  device {\n    model: net\n    votes: 1\n  }'), code: 'quorum.two-node-qdevice' },
  { name: 'syntax: line too long', text: conf(`  cluster_name: ${'x'.repeat(600)}`), code: 'conf.line-too-long' },
  { name: 'syntax: text after {', text: conf('  interface { linknumber: 0\n  }'), code: 'conf.extra-after-open-brace' },
  { name: 'syntax: missing }', text: conf('  interface {\n    linknumber: 0'), code: 'conf.missing-close-brace' },
  { name: 'syntax: unexpected }', text: `${conf('')}}\n`, code: 'conf.unexpected-close-brace' },
  { name: 'syntax: bare word', text: conf('  token 3000'), code: 'conf.not-section-or-key' },
];

/** corosync's stdout/stderr and log of this start only; undefined when it started fine. */
async function corosyncOutput(lab: Lab, text: string, authkey: boolean): Promise<string | undefined> {
  const outPath = path.join(lab.nodeDir(1), 'corosync.out');
  const outMark = existsSync(outPath) ? readFileSync(outPath, 'utf8').length : 0;
  const logMark = lab.logMark(1);
  try {
    await lab.startCorosync(1, text, { timeoutMs: 15_000, ...(authkey ? { authkey: Buffer.alloc(256, 3) } : {}) });
  } catch (e) {
    if (!(e instanceof LabError)) throw e;
    return `${readFileSync(outPath, 'utf8').slice(outMark)}\n${lab.log(1).slice(logMark)}`;
  }
  await lab.stop(1);
  return undefined;
}

test('errors with corosync text: real corosync refuses the same configs with the same message', { timeout: 300_000 }, async (t) => {
  requireLabPrerequisites();
  await withLab({ nodes: [1], transport: 'knet', links: 2, prefix: 'tsref' }, async (lab) => {
    const addrs = parseIpAddrJson((await lab.exec(1, ['ip', '-j', 'addr'])).stdout) as HostAddress[];
    for (const r of REFUSALS) {
      await t.test(r.name, async () => {
        const report = checkConfigText(r.text, { hostname: os.hostname(), addrs });
        const f = report.findings.find((x) => x.code === r.code);
        assert.ok(f, `${r.code} expected; got ${report.findings.map((x) => x.code).join(', ')}`);
        assert.equal(f.severity, 'error');
        assert.ok(f.corosync, 'carries corosync text');
        const out = await corosyncOutput(lab, r.text, r.authkey === true);
        assert.ok(out !== undefined, 'corosync must refuse to start');
        // Syntax errors: corosync prints "parser error: FILE:LINE: message" with our line.
        const expected = r.code.startsWith('conf.') && report.syntaxError !== undefined
          ? `parser error: /etc/corosync/corosync.conf:${report.syntaxError.line}: ${report.syntaxError.message}`
          : (f.corosync ?? '').trimEnd();
        assert.ok(out.includes(expected), `corosync output should contain:\n${expected}\n---\n${out}`);
      });
    }
    await t.test('a config without errors starts', async () => {
      const text = conf('  token: 1000');
      assert.equal(checkConfigText(text, { hostname: os.hostname(), addrs }).ok, true);
      assert.equal(await corosyncOutput(lab, text, false), undefined);
    });
  });
});

const WARNINGS: readonly Refusal[] = [
  { name: 'totem.nodeid', text: conf('  nodeid: 9'), code: 'totem.nodeid-deprecated' },
  { name: 'bindnetaddr with a nodelist', text: conf('  interface {\n    linknumber: 0\n    bindnetaddr: 192.0.2.0\n  }'), code: 'interface.bindnetaddr-with-nodelist' },
  { name: 'member with a nodelist', text: conf('  interface {\n    linknumber: 0\n    member {\n      memberaddr: 192.0.2.1\n    }\n  }'), code: 'interface.members-ignored' },
  { name: 'auto_tie_breaker_node without auto_tie_breaker', text: conf('').replace('provider: corosync_votequorum', 'provider: corosync_votequorum\n  auto_tie_breaker_node: lowest'), code: 'quorum.atb-node-meaningless' },
  { name: 'two_node with auto_tie_breaker', text: conf('').replace('provider: corosync_votequorum', 'provider: corosync_votequorum\n  two_node: 1\n  auto_tie_breaker: 1'), code: 'quorum.two-node-atb' },
  { name: 'token_warning below token_retransmit', text: conf('  token_warning: 10').replace('to_syslog: no', 'to_syslog: no\n  debug: on'), code: 'totem.token-warning-spurious' },
];

test('warnings with corosync text: corosync starts and logs the same message', { timeout: 300_000 }, async (t) => {
  requireLabPrerequisites();
  await withLab({ nodes: [1], transport: 'knet', prefix: 'tswarn' }, async (lab) => {
    const addrs = parseIpAddrJson((await lab.exec(1, ['ip', '-j', 'addr'])).stdout) as HostAddress[];
    for (const w of WARNINGS) {
      await t.test(w.name, async () => {
        const report = checkConfigText(w.text, { hostname: os.hostname(), addrs });
        assert.equal(report.ok, true, JSON.stringify(report.findings.filter((f) => f.severity === 'error')));
        const f = report.findings.find((x) => x.code === w.code);
        assert.ok(f?.corosync, `${w.code} with corosync text expected`);
        const mark = lab.logMark(1);
        await lab.startCorosync(1, w.text, { timeoutMs: 15_000 });
        try {
          await lab.waitForLog(1, new RegExp(f.corosync.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), 10_000, mark);
        } finally {
          await lab.stop(1);
        }
      });
    }
  });
});
