/**
 * knet packet crypto (authenticate, then decrypt) — wire-format.md §7.6
 * (KN libknet/crypto_openssl.c `opensslcrypto_authenticate_and_decrypt`, crypto_nss.c; wire-identical).
 *
 *   cipher + hash:  salt/IV(16) | AES-CBC(knet packet, PKCS#7) | HMAC(salt|ciphertext)
 *   hash only:      knet packet | HMAC(knet packet)
 *   none/none:      knet packet (corosync configures no crypto at all)
 *
 * HMAC key = the whole authkey; AES key = its first 16/24/32 bytes; IV = salt. The HMAC is checked
 * (constant-time) before any decrypted byte is looked at. The keys live in a private field and never
 * appear in errors, results or JSON.
 */
import { createDecipheriv, createHash, createHmac, timingSafeEqual, type Decipher } from 'node:crypto';
import { WireError, type Decoded } from '../errors.ts';
import { AesCbcDecryptor } from './aes.ts';
import { HmacSha256 } from './sha256.ts';
import { KNET_MAX_PACKET_SIZE, KNET_MIN_PACKET, KnetType, looksLikePlainKnet, PAD1, PAD2, TYPE } from './header.ts';

export type KnetCipher = 'none' | 'aes128' | 'aes192' | 'aes256';
export type KnetHash = 'none' | 'md5' | 'sha1' | 'sha256' | 'sha384' | 'sha512';

export const KNET_SALT_SIZE = 16;
export const AES_BLOCK = 16;
export const HASH_LENGTHS: Readonly<Record<KnetHash, number>> = { none: 0, md5: 16, sha1: 20, sha256: 32, sha384: 48, sha512: 64 };
export const CIPHER_KEY_LENGTHS: Readonly<Record<KnetCipher, number>> = { none: 0, aes128: 16, aes192: 24, aes256: 32 };
/** Detection order: the most common configurations first (pcs/Proxmox default aes256/sha256). */
const HASH_ORDER: readonly KnetHash[] = ['sha256', 'sha1', 'sha512', 'sha384', 'md5'];
const CIPHER_ORDER: readonly KnetCipher[] = ['aes256', 'none', 'aes128', 'aes192'];

export type KnetCryptoErrorCode =
  | 'knet.crypto.hmac_mismatch'
  | 'knet.crypto.no_key'
  | 'knet.crypto.bad_padding'
  | 'knet.crypto.too_short';

export interface KnetCryptoInfo {
  readonly cipher: KnetCipher;
  readonly hash: KnetHash;
  /** Index into the key list of the key that verified (-1 for cleartext). */
  readonly keyIndex: number;
  /** The 16-byte salt/IV (cipher only). */
  readonly salt?: Uint8Array;
  /** The HMAC verified (false only for cleartext, which has none). */
  readonly hmacOk: boolean;
}

export interface KnetOpened {
  /** The cleartext knet packet. */
  readonly packet: Uint8Array;
  readonly crypto: KnetCryptoInfo;
}

export interface KnetCryptoOptions {
  /** Authkeys, tried in order (a capture spanning a key change decodes with both). */
  readonly keys?: readonly Uint8Array[];
  /** From corosync.conf crypto_cipher; detected per packet when absent. */
  readonly cipher?: KnetCipher;
  /** From corosync.conf crypto_hash; detected per packet when absent. */
  readonly hash?: KnetHash;
}

interface Config {
  readonly keyIndex: number;
  readonly cipher: KnetCipher;
  readonly hash: KnetHash;
}

const SIGNED_EXTRA = new Set([16, 20, 32, 48, 64]);

const CLEAR: KnetCryptoInfo = { cipher: 'none', hash: 'none', keyIndex: -1, hmacOk: false };

interface KeyMaterial {
  readonly hmacKey: Buffer;
  /** HMAC-SHA256 with precomputed pads (the common aes256/sha256 case); other hashes use node:crypto. */
  readonly sha256: HmacSha256;
  readonly aes: Readonly<Record<KnetCipher, Buffer | undefined>>;
  /**
   * AES-CBC decryptors (round keys expanded once per key and cipher), made on first use. In
   * TypeScript (aes.ts): node:crypto's per-call cost (1-3 µs and an off-heap Buffer per
   * `update()`) is several times the work for a typical 5-block knet packet.
   */
  readonly decryptors: Partial<Record<KnetCipher, AesCbcDecryptor>>;
  /**
   * For long packets: one long-lived node:crypto AES-ECB decipher per cipher (AES-NI). CBC is
   * P[i] = D(C[i]) xor C[i-1] with C[-1] = IV, and ECB keeps no state between whole blocks, so one
   * object serves every packet; its fixed per-call cost only pays off from NATIVE_AES_MIN bytes.
   */
  readonly ecb: Partial<Record<KnetCipher, Decipher>>;
}

/** Ciphertext length from which node:crypto's AES-NI beats aes.ts despite its per-call cost (measured crossover ~200 B). */
const NATIVE_AES_MIN = 256;

/**
 * Plaintext goes into slabs of this size, one packet after the other; a full slab is left to the
 * garbage collector (views into it stay valid) and a new one started. One allocation per few
 * thousand packets instead of one off-heap buffer per packet.
 */
const PLAINTEXT_SLAB = 64 * 1024;

export class KnetCrypto {
  readonly #keys: readonly KeyMaterial[];
  readonly #fixedCipher: KnetCipher | undefined;
  readonly #fixedHash: KnetHash | undefined;
  /** The configuration that last verified; tried first. */
  #cached: Config | undefined;
  #sawCleartext = false;
  /** HMAC length seen on control packets (0: none seen). */
  #signedHashLength = 0;
  #slab = new Uint8Array(0);
  #slabUsed = 0;

  constructor(opts: KnetCryptoOptions = {}) {
    this.#keys = (opts.keys ?? []).map((k) => ({
      hmacKey: Buffer.from(k),
      sha256: new HmacSha256(k, (x) => createHash('sha256').update(x).digest()),
      decryptors: {},
      ecb: {},
      aes: {
        none: undefined,
        aes128: k.length >= 16 ? Buffer.from(k.subarray(0, 16)) : undefined,
        aes192: k.length >= 24 ? Buffer.from(k.subarray(0, 24)) : undefined,
        aes256: k.length >= 32 ? Buffer.from(k.subarray(0, 32)) : undefined,
      },
    }));
    this.#fixedCipher = opts.cipher;
    this.#fixedHash = opts.hash;
  }

  get keyCount(): number {
    return this.#keys.length;
  }

  /** The configuration in use (after the first verified packet), for reports. Never the key. */
  get detected(): { cipher: KnetCipher; hash: KnetHash; keyIndex: number } | undefined {
    return this.#cached ? { ...this.#cached } : undefined;
  }

  /** Keeps keys out of any accidental JSON dump. */
  toJSON(): object {
    return { keys: this.#keys.length, detected: this.detected ?? null };
  }

  /**
   * Authenticates and decrypts one UDP payload. Cleartext knet packets pass through when no
   * crypto is configured (no keys, or cipher and hash both `none`), or when nothing verified yet.
   */
  open(b: Uint8Array): Decoded<KnetOpened, KnetCryptoErrorCode> {
    const fixedNone = this.#fixedCipher === 'none' && this.#fixedHash === 'none';
    if (fixedNone) return { packet: b, crypto: CLEAR };
    this.#observe(b);
    // A hash-only DATA or PMTUD packet looks like a cleartext one (its HMAC reads as payload). Once
    // signed control packets were seen, such packets must verify: never garbage frames.
    const variableLength = b[TYPE] === KnetType.DATA || b[TYPE] === KnetType.PMTUD;
    const plainOk = looksLikePlainKnet(b) && !(this.#signedHashLength > 0 && variableLength);
    if (this.#keys.length === 0) {
      if (plainOk) return { packet: b, crypto: CLEAR };
      return new WireError('knet.crypto.no_key', 0, 'packet looks encrypted or signed and no authkey was given (--key)');
    }
    // Cleartext capture read with --key: skip the HMAC attempts once 26-byte pings showed it is clear.
    if (plainOk && this.#cached === undefined && this.#sawCleartext && this.#signedHashLength === 0) return { packet: b, crypto: CLEAR };

    let verifiedButBad: WireError<KnetCryptoErrorCode> | undefined;
    if (this.#cached) {
      const c = this.#cached;
      if (this.#verify(b, c.keyIndex, c.hash)) {
        // Configuration known: trust it, no header heuristics.
        return this.#decrypt(b, c, false);
      }
    }
    const hashes = this.#fixedHash !== undefined ? [this.#fixedHash] : HASH_ORDER;
    const ciphers = this.#fixedCipher !== undefined ? [this.#fixedCipher] : CIPHER_ORDER;
    const detecting = this.#fixedCipher === undefined;
    for (let keyIndex = 0; keyIndex < this.#keys.length; keyIndex++) {
      for (const hash of hashes) {
        if (hash === 'none' || !this.#verify(b, keyIndex, hash)) continue;
        for (const cipher of ciphers) {
          const cfg = { keyIndex, cipher, hash };
          const r = this.#decrypt(b, cfg, detecting);
          if (!(r instanceof WireError)) {
            this.#cached = cfg;
            return r;
          }
          verifiedButBad ??= r;
        }
      }
    }
    if (this.#fixedHash === 'none' && this.#fixedCipher !== undefined) {
      // Cipher without hash (corosync refuses it, knet allows it): padding + header are the only check.
      for (let keyIndex = 0; keyIndex < this.#keys.length; keyIndex++) {
        const r = this.#decrypt(b, { keyIndex, cipher: this.#fixedCipher, hash: 'none' }, true);
        if (!(r instanceof WireError)) return r;
        verifiedButBad ??= r;
      }
    }
    if (plainOk) return { packet: b, crypto: CLEAR };
    if (verifiedButBad) return verifiedButBad;
    const minLen = this.#minimumLength();
    if (b.length < minLen) {
      return new WireError('knet.crypto.too_short', 0, `packet of ${b.length} bytes is shorter than the smallest signed knet packet (${minLen})`);
    }
    return new WireError('knet.crypto.hmac_mismatch', 0, 'HMAC mismatch: wrong key or not this cluster');
  }

  /**
   * Evidence from control packets, whose cleartext length is fixed: PING/PONG 26 bytes, PMTUD_REPLY
   * 9. Exactly that ⇒ cleartext traffic; that plus an HMAC length ⇒ hash-only (signed) traffic.
   */
  #observe(b: Uint8Array): void {
    if (b.length < KNET_MIN_PACKET || b[0] !== 1 || b[PAD1] !== 0 || b[PAD2] !== 0) return;
    const t = b[TYPE];
    const base = t === KnetType.PING || t === KnetType.PONG ? 26 : t === KnetType.PMTUD_REPLY ? 9 : 0;
    if (base === 0) return;
    const extra = b.length - base;
    if (extra === 0) this.#sawCleartext = true;
    else if (SIGNED_EXTRA.has(extra)) this.#signedHashLength = extra;
  }

  #minimumLength(): number {
    const hash = this.#fixedHash;
    const hashLen = hash === undefined ? HASH_LENGTHS.md5 : HASH_LENGTHS[hash];
    const cipher = this.#fixedCipher;
    const cipherPart = cipher === undefined || cipher === 'none' ? 7 : KNET_SALT_SIZE + AES_BLOCK;
    return cipherPart + hashLen;
  }

  /** Constant-time HMAC check of the trailing `hash` bytes. */
  #verify(b: Uint8Array, keyIndex: number, hash: KnetHash): boolean {
    const hashLen = HASH_LENGTHS[hash];
    if (hashLen === 0) return true;
    const bodyLen = b.length - hashLen;
    if (bodyLen <= 0 || bodyLen > KNET_MAX_PACKET_SIZE) return false;
    const material = this.#keys[keyIndex]!;
    if (hash === 'sha256') return material.sha256.verify(b, bodyLen, b.subarray(bodyLen));
    const mac = createHmac(hash, material.hmacKey).update(b.subarray(0, bodyLen)).digest();
    return timingSafeEqual(mac, b.subarray(bodyLen));
  }

  /** Decrypts a packet whose HMAC (if any) already verified. */
  #decrypt(b: Uint8Array, cfg: Config, requireHeader: boolean): Decoded<KnetOpened, KnetCryptoErrorCode> {
    const hashLen = HASH_LENGTHS[cfg.hash];
    const bodyLen = b.length - hashLen;
    const hmacOk = hashLen > 0;
    if (cfg.cipher === 'none') {
      const packet = b.subarray(0, bodyLen);
      if (requireHeader && !looksLikePlainKnet(packet)) {
        return new WireError('knet.crypto.bad_padding', 0, 'HMAC verified but the signed data is not a knet packet');
      }
      return { packet, crypto: { cipher: 'none', hash: cfg.hash, keyIndex: cfg.keyIndex, hmacOk } };
    }
    if (bodyLen < KNET_SALT_SIZE + AES_BLOCK) {
      return new WireError('knet.crypto.too_short', 0, `packet of ${b.length} bytes is too short for salt, one AES block and a ${cfg.hash} HMAC`);
    }
    if ((bodyLen - KNET_SALT_SIZE) % AES_BLOCK !== 0) {
      return new WireError('knet.crypto.bad_padding', KNET_SALT_SIZE, `${cfg.cipher}-cbc ciphertext of ${bodyLen - KNET_SALT_SIZE} bytes is not a whole number of blocks`);
    }
    const material = this.#keys[cfg.keyIndex]!;
    const aesKey = material.aes[cfg.cipher];
    if (aesKey === undefined) {
      return new WireError('knet.crypto.bad_padding', 0, `authkey too short for ${cfg.cipher}`);
    }
    const salt = b.subarray(0, KNET_SALT_SIZE);
    const cipherLen = bodyLen - KNET_SALT_SIZE;
    if (this.#slabUsed + cipherLen > this.#slab.length) {
      this.#slab = new Uint8Array(Math.max(PLAINTEXT_SLAB, cipherLen));
      this.#slabUsed = 0;
    }
    const slab = this.#slab;
    const start = this.#slabUsed;
    const end = start + cipherLen;
    if (cipherLen >= NATIVE_AES_MIN) {
      let ecb = material.ecb[cfg.cipher];
      if (ecb === undefined) {
        ecb = createDecipheriv(`aes-${CIPHER_KEY_LENGTHS[cfg.cipher] * 8}-ecb`, aesKey, null);
        ecb.setAutoPadding(false);
        material.ecb[cfg.cipher] = ecb;
      }
      // Whole blocks only (checked above), so nothing stays buffered in the shared decipher.
      const out = ecb.update(b.subarray(KNET_SALT_SIZE, bodyLen));
      // Plain Uint8Array views (not Buffers) keep this loop's element access monomorphic.
      const blocks = new Uint8Array(out.buffer, out.byteOffset, cipherLen);
      const previous = new Uint8Array(b.buffer, b.byteOffset, cipherLen);
      for (let i = 0; i < cipherLen; i++) slab[start + i] = blocks[i]! ^ previous[i]!;
    } else {
      let decryptor = material.decryptors[cfg.cipher];
      if (decryptor === undefined) {
        decryptor = new AesCbcDecryptor(aesKey);
        material.decryptors[cfg.cipher] = decryptor;
      }
      decryptor.decryptCbc(b, KNET_SALT_SIZE, cipherLen, 0, slab, start);
    }
    const pad = slab[end - 1]!;
    let padOk = pad >= 1 && pad <= AES_BLOCK;
    for (let i = end - pad; padOk && i < end - 1; i++) if (slab[i] !== pad) padOk = false;
    if (!padOk) {
      return new WireError('knet.crypto.bad_padding', KNET_SALT_SIZE, `${cfg.cipher}-cbc decryption gave invalid PKCS#7 padding`);
    }
    // Keep 8-byte alignment for the next packet (cheap, and friendly to any later word access).
    this.#slabUsed = (end + 7) & ~7;
    const packet = slab.subarray(start, end - pad);
    if (requireHeader && !looksLikePlainKnet(packet)) {
      return new WireError('knet.crypto.bad_padding', KNET_SALT_SIZE, `${cfg.cipher}-cbc decryption did not give a knet packet`);
    }
    return { packet, crypto: { cipher: cfg.cipher, hash: cfg.hash, keyIndex: cfg.keyIndex, salt, hmacOk } };
  }
}

export function isKnetCipher(s: string): s is KnetCipher {
  return s === 'none' || s === 'aes128' || s === 'aes192' || s === 'aes256';
}

export function isKnetHash(s: string): s is KnetHash {
  return s in HASH_LENGTHS;
}
