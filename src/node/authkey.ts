/**
 * The knet authkey for `totemscope node`, found the way corosync finds it (wire-format.md §2.1,
 * CS3 exec/totemconfig.c `totem_config_keyread`): an explicit file (--key) first, then
 * totem.keyfile, then the inline totem.key, then /etc/corosync/authkey; 128..4096 bytes. Only
 * needed when crypto_cipher or crypto_hash is not none. The key itself never reaches a log or an
 * error message.
 */
import { readFileSync } from 'node:fs';
import { KEY_LEN_MAX, KEY_LEN_MIN } from '../config/index.ts';
import type { CorosyncConf } from '../config/model.ts';

export const DEFAULT_AUTHKEY = '/etc/corosync/authkey';

export type AuthkeyResult =
  | { readonly key: Uint8Array; readonly source: string }
  | { readonly key: undefined; readonly source: 'none' }
  | { readonly error: string };

export function loadAuthkey(
  crypto: { readonly cipher: string; readonly hash: string },
  conf: CorosyncConf | undefined,
  keyOption: string | undefined,
  read: (path: string) => Uint8Array = (p) => new Uint8Array(readFileSync(p)),
): AuthkeyResult {
  if (crypto.cipher === 'none' && crypto.hash === 'none' && keyOption === undefined) return { key: undefined, source: 'none' };
  let key: Uint8Array;
  let source: string;
  const keyfile = conf?.totem.str.keyfile?.value;
  const inline = conf?.totem.str.key?.value;
  try {
    if (keyOption !== undefined) {
      source = keyOption;
      key = read(keyOption);
    } else if (keyfile !== undefined) {
      source = `totem.keyfile ${keyfile}`;
      key = read(keyfile);
    } else if (inline !== undefined) {
      source = 'totem.key';
      key = new TextEncoder().encode(inline);
    } else {
      source = DEFAULT_AUTHKEY;
      key = read(DEFAULT_AUTHKEY);
    }
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return { error: `cannot read the authkey: ${err.code ?? ''} ${err.message}`.trim() };
  }
  if (key.length < KEY_LEN_MIN || key.length > KEY_LEN_MAX) {
    return { error: `authkey from ${source} is ${key.length} bytes, corosync needs ${KEY_LEN_MIN}..${KEY_LEN_MAX}` };
  }
  return { key, source };
}
