/**
 * knet packet crypto, sending side (encrypt, then sign) — wire-format.md §7.6, the inverse of
 * crypto.ts `KnetCrypto.open` (KN libknet/crypto_openssl.c `opensslcrypto_encrypt_and_signv`):
 *
 *   cipher + hash:  salt/IV(16, random) | AES-CBC(knet packet, PKCS#7) | HMAC(salt|ciphertext)
 *   cipher only:    salt/IV(16) | AES-CBC(knet packet, PKCS#7)
 *   hash only:      knet packet | HMAC(knet packet)
 *   none/none:      the knet packet itself (corosync configures no crypto at all)
 *
 * HMAC key = the whole authkey; AES key = its first 16/24/32 bytes. Also the data MTU arithmetic
 * of §7.4 (KN libknet/onwire.c `calc_max_data_outlen`), which depends on the crypto overhead.
 * Keys stay in private fields: never in errors, results or JSON.
 */
import { createCipheriv, createHmac, randomFillSync } from 'node:crypto';
import { KNET_HEADER_ALL_SIZE } from './header.ts';
import { AES_BLOCK, CIPHER_KEY_LENGTHS, HASH_LENGTHS, KNET_SALT_SIZE, type KnetCipher, type KnetHash } from './crypto.ts';

/** IPv4 + UDP header bytes (KNET_PMTUD_OVERHEAD_V4 = 20, UDP 8). */
export const KNET_UDP4_OVERHEAD = 28;
/** IPv6 + UDP header bytes. */
export const KNET_UDP6_OVERHEAD = 48;

export interface KnetSealOptions {
  readonly cipher: KnetCipher;
  readonly hash: KnetHash;
  /** The cluster authkey (corosync: 128..4096 bytes). Required unless cipher and hash are both none. */
  readonly key?: Uint8Array;
}

export class KnetSealer {
  readonly cipher: KnetCipher;
  readonly hash: KnetHash;
  readonly #hmacKey: Buffer | undefined;
  readonly #aesKey: Buffer | undefined;

  constructor(opts: KnetSealOptions) {
    this.cipher = opts.cipher;
    this.hash = opts.hash;
    const keyLen = CIPHER_KEY_LENGTHS[opts.cipher];
    if (opts.cipher !== 'none' || opts.hash !== 'none') {
      if (opts.key === undefined) throw new Error(`knet crypto ${opts.cipher}/${opts.hash} needs an authkey`);
      if (opts.key.length < keyLen) throw new Error(`authkey of ${opts.key.length} bytes is too short for ${opts.cipher}`);
    }
    this.#hmacKey = opts.hash !== 'none' && opts.key !== undefined ? Buffer.from(opts.key) : undefined;
    this.#aesKey = opts.cipher !== 'none' && opts.key !== undefined ? Buffer.from(opts.key.subarray(0, keyLen)) : undefined;
  }

  /** No crypto at all: packets go out as they are. */
  get clear(): boolean {
    return this.cipher === 'none' && this.hash === 'none';
  }

  /** Bytes on the wire for a cleartext knet packet of `length` bytes. */
  sealedLength(length: number): number {
    const body = this.cipher === 'none' ? length : KNET_SALT_SIZE + (Math.floor(length / AES_BLOCK) + 1) * AES_BLOCK;
    return body + HASH_LENGTHS[this.hash];
  }

  /**
   * The UDP payload for one cleartext knet packet. `salt` (16 bytes) is for tests only: knet
   * takes a fresh random salt for every packet.
   */
  seal(packet: Uint8Array, salt?: Uint8Array): Uint8Array {
    if (this.clear) return packet;
    let body: Uint8Array = packet;
    if (this.#aesKey !== undefined) {
      const iv = salt !== undefined ? Buffer.from(salt) : randomFillSync(Buffer.alloc(KNET_SALT_SIZE));
      if (iv.length !== KNET_SALT_SIZE) throw new Error(`salt must be ${KNET_SALT_SIZE} bytes`);
      // PKCS#7 padding is node:crypto's default (OpenSSL EVP and NSS CKM_AES_CBC_PAD agree).
      const c = createCipheriv(`aes-${CIPHER_KEY_LENGTHS[this.cipher] * 8}-cbc`, this.#aesKey, iv);
      const head = c.update(packet);
      const tail = c.final();
      const out = new Uint8Array(KNET_SALT_SIZE + head.length + tail.length);
      out.set(iv, 0);
      out.set(head, KNET_SALT_SIZE);
      out.set(tail, KNET_SALT_SIZE + head.length);
      body = out;
    }
    if (this.#hmacKey === undefined) return body;
    const mac = createHmac(this.hash, this.#hmacKey).update(body).digest();
    const out = new Uint8Array(body.length + mac.length);
    out.set(body, 0);
    out.set(mac, body.length);
    return out;
  }

  toJSON(): object {
    return { cipher: this.cipher, hash: this.hash };
  }
}

/**
 * knet's data MTU: the largest user-data fragment that fits a link whose path MTU is `pathMtu`
 * (§7.4): L = PMTU − IP − UDP; no crypto L − 26; hash only L − 26 − hash; with a block cipher
 * t = L − salt − hash, t −= (t mod block) + 1, data_mtu = t − 26. (1500 ⇒ 1446 plain, 1397
 * aes256/sha256, 1426 sha1 only, as captured.)
 */
export function knetDataMtu(pathMtu: number, cipher: KnetCipher, hash: KnetHash, ipOverhead = KNET_UDP4_OVERHEAD): number {
  const link = pathMtu - ipOverhead;
  const hashLen = HASH_LENGTHS[hash];
  if (cipher === 'none') return link - KNET_HEADER_ALL_SIZE - hashLen;
  let t = link - KNET_SALT_SIZE - hashLen;
  t -= (t % AES_BLOCK) + 1;
  return t - KNET_HEADER_ALL_SIZE;
}
