/** `totemscope node` authkey lookup (src/node/authkey.ts): --key, totem.keyfile, totem.key, /etc/corosync/authkey. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { loadTotemConfig } from '../../src/config/index.ts';
import { DEFAULT_AUTHKEY, loadAuthkey } from '../../src/node/authkey.ts';

function confOf(totemExtra: string): ReturnType<typeof loadTotemConfig> {
  return loadTotemConfig(`totem {
  version: 2
  cluster_name: unit
  transport: knet
${totemExtra}
}
nodelist {
  node {
    ring0_addr: 192.0.2.1
    nodeid: 1
  }
}
`);
}

test('authkey: not needed without crypto; --key wins over totem.keyfile; sizes 128..4096 enforced', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'totemscope-authkey-'));
  try {
    const good = path.join(dir, 'good');
    const other = path.join(dir, 'other');
    const short = path.join(dir, 'short');
    writeFileSync(good, Buffer.alloc(256, 1));
    writeFileSync(other, Buffer.alloc(128, 2));
    writeFileSync(short, Buffer.alloc(64, 3));

    const plain = confOf('  crypto_cipher: none\n  crypto_hash: none');
    assert.ok(!('error' in plain));
    assert.deepEqual(loadAuthkey(plain.totem.crypto, plain.report.conf, undefined), { key: undefined, source: 'none' });

    const crypto = confOf(`  crypto_cipher: aes256\n  crypto_hash: sha256\n  keyfile: ${good}`);
    assert.ok(!('error' in crypto));
    const fromConf = loadAuthkey(crypto.totem.crypto, crypto.report.conf, undefined);
    assert.ok('key' in fromConf && fromConf.key !== undefined);
    assert.equal(fromConf.key.length, 256);
    assert.equal(fromConf.source, `totem.keyfile ${good}`);

    const fromOption = loadAuthkey(crypto.totem.crypto, crypto.report.conf, other);
    assert.ok('key' in fromOption && fromOption.key !== undefined);
    assert.equal(fromOption.key[0], 2);

    const tooShort = loadAuthkey(crypto.totem.crypto, crypto.report.conf, short);
    assert.ok('error' in tooShort);
    assert.match(tooShort.error, /64 bytes, corosync needs 128\.\.4096/);
    assert.doesNotMatch(tooShort.error, /\x03/, 'key bytes never in the message');

    const missing = loadAuthkey(crypto.totem.crypto, crypto.report.conf, path.join(dir, 'absent'));
    assert.ok('error' in missing);
    assert.match(missing.error, /ENOENT/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('authkey: secauth on implies crypto; without keyfile the default path is read; inline totem.key is used as bytes', () => {
  const secauth = confOf('  secauth: on');
  assert.ok(!('error' in secauth));
  const read: string[] = [];
  const r = loadAuthkey(secauth.totem.crypto, secauth.report.conf, undefined, (p) => {
    read.push(p);
    return new Uint8Array(256);
  });
  assert.deepEqual(read, [DEFAULT_AUTHKEY]);
  assert.ok('key' in r && r.key !== undefined && r.key.length === 256);

  const inline = confOf(`  crypto_cipher: aes256\n  crypto_hash: sha256\n  key: ${'k'.repeat(200)}`);
  assert.ok(!('error' in inline));
  const k = loadAuthkey(inline.totem.crypto, inline.report.conf, undefined, () => assert.fail('no file read'));
  assert.ok('key' in k && k.key !== undefined);
  assert.equal(k.source, 'totem.key');
  assert.equal(k.key.length, 200);
});
