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
 *
 * Speed: open() works one packet at a time (HMAC in a WebAssembly kernel, AES in aes.ts or, for
 * long packets, one native AES-CBC call). A caller that has several payloads at hand first calls
 * prepare() with them: their HMACs are then checked four at a time (SIMD) and their AES-CBC done in
 * one native call for the batch, about 2.5× less CPU per packet; open() gives the same results.
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
   * For long packets and batches: one long-lived node:crypto AES-CBC decipher per cipher (AES-NI),
   * fed `salt | ciphertext`. CBC is P[i] = D(C[i]) xor C[i-1]: the salt block's own output (which
   * depends on whatever the decipher saw before) is thrown away, and the first ciphertext block is
   * xored with the salt, exactly as with IV = salt. So one object serves every packet, and a batch
   * of packets goes through one update() call. Whole blocks only: nothing stays buffered.
   */
  readonly cbc: Partial<Record<KnetCipher, Decipher>>;
}

/** Ciphertext length from which one native AES-CBC call (AES-NI) beats aes.ts despite its per-call cost (measured crossover ~100-120 B). */
const NATIVE_AES_MIN = 128;
/** prepare(): fewer verified packets than this are decrypted one by one (aes.ts) in open(). */
const BATCH_AES_MIN = 4;

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
  /**
   * prepare()'s work, consumed in order by open(): the payloads (matched by identity), whether each
   * verified under #preparedConfig, and the decrypted result when the batch decrypted it.
   */
  #preparedPayloads: readonly Uint8Array[] = [];
  #preparedOk = new Uint8Array(0);
  #preparedResults: (KnetOpened | undefined)[] = [];
  #preparedConfig: Config | undefined;
  #preparedNext = 0;
  #preparedHits = 0;
  /** #decryptBatch's input (reused; its output is a fresh buffer the plaintext views point into). */
  #batchInput = Buffer.alloc(0);
  #batchOffsets = new Int32Array(0);

  constructor(opts: KnetCryptoOptions = {}) {
    this.#keys = (opts.keys ?? []).map((k) => ({
      hmacKey: Buffer.from(k),
      sha256: new HmacSha256(k, (x) => createHash('sha256').update(x).digest()),
      decryptors: {},
      cbc: {},
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

  /**
   * Everything that can change how a later packet opens, as a string (no key material): the
   * detected configuration and the cleartext/signed evidence. Two instances with equal states open
   * every later packet alike (prepared batches are a cache with identical results). Used to check
   * that a capture decoded in shards gives exactly one pass's results (src/read/shards.ts).
   */
  boundaryState(): string {
    const c = this.#cached;
    return `${c === undefined ? '-' : `${c.keyIndex}/${c.cipher}/${c.hash}`};${this.#sawCleartext ? 1 : 0};${this.#signedHashLength}`;
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
    // The next prepared payload, if this is it (else prepare()'s batch is dropped).
    let prepared = -1;
    if (this.#preparedNext < this.#preparedPayloads.length) {
      if (this.#preparedPayloads[this.#preparedNext] === b) prepared = this.#preparedNext++;
      else this.#dropPrepared();
    }
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
      const preparedHere = prepared >= 0 && c === this.#preparedConfig;
      // prepare() verified and decrypted (or copied) this payload under this very configuration,
      // both from the same snapshot of its bytes: the result open() would give.
      const ready = preparedHere ? this.#preparedResults[prepared] : undefined;
      if (ready !== undefined) {
        this.#preparedHits++;
        return ready;
      }
      // A prepared payload that failed goes straight to the search below (as a failed #verify
      // would); one that verified without a result (an error to report) is checked again here, on
      // its current bytes.
      if ((!preparedHere || this.#preparedOk[prepared] === 1) && this.#verify(b, c.keyIndex, c.hash)) {
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
    if (hash === 'sha256') return material.sha256.verifyTrailingOne(b);
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
    const cipherLen = bodyLen - KNET_SALT_SIZE;
    let plain: Uint8Array;
    let start: number;
    if (cipherLen >= NATIVE_AES_MIN) {
      // salt | ciphertext straight from the packet; the first output block is the salt's, dropped.
      const out = cbcDecipher(material, cfg.cipher, aesKey).update(b.subarray(0, bodyLen));
      plain = new Uint8Array(out.buffer, out.byteOffset, bodyLen);
      start = KNET_SALT_SIZE;
    } else {
      let decryptor = material.decryptors[cfg.cipher];
      if (decryptor === undefined) {
        decryptor = new AesCbcDecryptor(aesKey);
        material.decryptors[cfg.cipher] = decryptor;
      }
      if (this.#slabUsed + cipherLen > this.#slab.length) {
        this.#slab = new Uint8Array(Math.max(PLAINTEXT_SLAB, cipherLen));
        this.#slabUsed = 0;
      }
      plain = this.#slab;
      start = this.#slabUsed;
      decryptor.decryptCbc(b, KNET_SALT_SIZE, cipherLen, 0, plain, start);
      // Keep 8-byte alignment for the next packet (cheap, and friendly to any later word access).
      this.#slabUsed = (start + cipherLen + 7) & ~7;
    }
    return plaintextResult(plain, start, cipherLen, b, cfg, requireHeader, hmacOk);
  }

  /**
   * Batch fast path, optional: verifies (and decrypts) `payloads` ahead of the open() calls that
   * follow for exactly these payloads, in this order, so their HMACs go through the four-lane SIMD
   * kernel and their AES-CBC through one native call. open() stays the authority: it consults the
   * prepared work only for the payload object it expects next and only under the configuration
   * the batch used, so results are identical to open() without prepare(); a payload that is not the
   * expected one drops the rest of the batch. The payloads' bytes must not change until opened.
   * Works once a configuration with sha256 was detected (or configured and seen); otherwise a no-op.
   */
  prepare(payloads: readonly Uint8Array[]): void {
    this.#dropPrepared();
    const c = this.#cached;
    if (c === undefined || c.hash !== 'sha256' || payloads.length === 0) return;
    const material = this.#keys[c.keyIndex]!;
    const n = payloads.length;
    const ok = this.#preparedOk.length >= n ? this.#preparedOk : (this.#preparedOk = new Uint8Array(Math.max(n, 2 * this.#preparedOk.length)));
    material.sha256.verifyTrailing(payloads, ok);
    const results = this.#preparedResults;
    results.length = n;
    results.fill(undefined);
    // Same bounds as #verify: longer bodies never verify.
    for (let i = 0; i < n; i++) if (ok[i] === 1 && payloads[i]!.length - HASH_LENGTHS.sha256 > KNET_MAX_PACKET_SIZE) ok[i] = 0;
    const aesKey = material.aes[c.cipher];
    if (c.cipher === 'none') this.#copyBatch(payloads, ok, c, results);
    else if (aesKey !== undefined) this.#decryptBatch(payloads, ok, c, material, aesKey, results);
    this.#preparedPayloads = payloads;
    this.#preparedConfig = c;
  }

  /**
   * One native AES-CBC call over every verified, well-formed packet of the batch. The packets go
   * in whole, one after the other: with a 32-byte HMAC each stays a whole number of blocks, and
   * CBC needs only each packet's salt block right before its ciphertext (the outputs of the salt
   * and HMAC blocks are thrown away). Packets left out (bad length, bad padding) are decrypted by
   * #decrypt in open(), which gives the errors.
   */
  #decryptBatch(payloads: readonly Uint8Array[], ok: Uint8Array, c: Config, material: KeyMaterial, aesKey: Buffer, results: (KnetOpened | undefined)[]): void {
    const n = payloads.length;
    const hashLen = HASH_LENGTHS[c.hash];
    if (hashLen % AES_BLOCK !== 0) return;
    if (this.#batchOffsets.length < n) this.#batchOffsets = new Int32Array(Math.max(n, 2 * this.#batchOffsets.length));
    const offsets = this.#batchOffsets;
    let total = 0;
    let count = 0;
    for (let i = 0; i < n; i++) {
      offsets[i] = -1;
      if (ok[i] !== 1) continue;
      const length = payloads[i]!.length;
      const bodyLen = length - hashLen;
      if (bodyLen < KNET_SALT_SIZE + AES_BLOCK || (bodyLen - KNET_SALT_SIZE) % AES_BLOCK !== 0) continue;
      offsets[i] = total;
      total += length;
      count++;
    }
    if (count < BATCH_AES_MIN) return;
    if (this.#batchInput.length < total) this.#batchInput = Buffer.allocUnsafe(Math.max(total, 2 * this.#batchInput.length));
    const input = this.#batchInput;
    for (let i = 0; i < n; i++) if (offsets[i]! >= 0) input.set(payloads[i]!, offsets[i]!);
    const out = cbcDecipher(material, c.cipher, aesKey).update(total === input.length ? input : input.subarray(0, total));
    const plain = new Uint8Array(out.buffer, out.byteOffset, total);
    for (let i = 0; i < n; i++) {
      const at = offsets[i]!;
      if (at < 0) continue;
      const p = payloads[i]!;
      const r = plaintextResult(plain, at + KNET_SALT_SIZE, p.length - hashLen - KNET_SALT_SIZE, p, c, false, true);
      if (!(r instanceof WireError)) results[i] = r;
    }
  }

  /**
   * Hash-only traffic: the verified packets are copied (one buffer for the batch), so what open()
   * returns is the very bytes whose HMAC was checked, whatever happens to the payloads later.
   */
  #copyBatch(payloads: readonly Uint8Array[], ok: Uint8Array, c: Config, results: (KnetOpened | undefined)[]): void {
    const n = payloads.length;
    const hashLen = HASH_LENGTHS[c.hash];
    let total = 0;
    for (let i = 0; i < n; i++) if (ok[i] === 1) total += payloads[i]!.length - hashLen;
    const copy = new Uint8Array(total);
    const info: KnetCryptoInfo = { cipher: 'none', hash: c.hash, keyIndex: c.keyIndex, hmacOk: true };
    let at = 0;
    for (let i = 0; i < n; i++) {
      if (ok[i] !== 1) continue;
      const p = payloads[i]!;
      const bodyLen = p.length - hashLen;
      copy.set(new Uint8Array(p.buffer, p.byteOffset, bodyLen), at);
      results[i] = { packet: new Uint8Array(copy.buffer, at, bodyLen), crypto: info };
      at += bodyLen;
    }
  }

  /** How many open() calls were answered from prepare()'s work (for tests and benches). */
  get preparedHits(): number {
    return this.#preparedHits;
  }

  #dropPrepared(): void {
    if (this.#preparedPayloads.length === 0) return;
    this.#preparedPayloads = [];
    this.#preparedResults.length = 0;
    this.#preparedConfig = undefined;
    this.#preparedNext = 0;
  }
}

function cbcDecipher(material: KeyMaterial, cipher: KnetCipher, aesKey: Buffer): Decipher {
  let d = material.cbc[cipher];
  if (d === undefined) {
    d = createDecipheriv(`aes-${CIPHER_KEY_LENGTHS[cipher] * 8}-cbc`, aesKey, Buffer.alloc(AES_BLOCK));
    d.setAutoPadding(false);
    material.cbc[cipher] = d;
  }
  return d;
}

/** Checks PKCS#7 padding of the `cipherLen` decrypted bytes at `plain[start..]` and makes the result. */
function plaintextResult(
  plain: Uint8Array,
  start: number,
  cipherLen: number,
  b: Uint8Array,
  cfg: Config,
  requireHeader: boolean,
  hmacOk: boolean,
): Decoded<KnetOpened, KnetCryptoErrorCode> {
  const end = start + cipherLen;
  const pad = plain[end - 1]!;
  let padOk = pad >= 1 && pad <= AES_BLOCK;
  for (let i = end - pad; padOk && i < end - 1; i++) if (plain[i] !== pad) padOk = false;
  if (!padOk) {
    return new WireError('knet.crypto.bad_padding', KNET_SALT_SIZE, `${cfg.cipher}-cbc decryption gave invalid PKCS#7 padding`);
  }
  // Views made directly (subarray() looks up a species constructor: slower on this hot path).
  const packet = new Uint8Array(plain.buffer, plain.byteOffset + start, cipherLen - pad);
  if (requireHeader && !looksLikePlainKnet(packet)) {
    return new WireError('knet.crypto.bad_padding', KNET_SALT_SIZE, `${cfg.cipher}-cbc decryption did not give a knet packet`);
  }
  return { packet, crypto: new DecryptedInfo(cfg, hmacOk, b) };
}

/**
 * KnetCryptoInfo of a decrypted packet. The salt view is made when read (trees, JSON; rarely on
 * the decode path), not per packet: it is the first 16 bytes of the packet as received.
 */
class DecryptedInfo implements KnetCryptoInfo {
  readonly cipher: KnetCipher;
  readonly hash: KnetHash;
  readonly keyIndex: number;
  readonly hmacOk: boolean;
  readonly #received: Uint8Array;

  constructor(cfg: Config, hmacOk: boolean, received: Uint8Array) {
    this.cipher = cfg.cipher;
    this.hash = cfg.hash;
    this.keyIndex = cfg.keyIndex;
    this.hmacOk = hmacOk;
    this.#received = received;
  }

  get salt(): Uint8Array {
    return this.#received.subarray(0, KNET_SALT_SIZE);
  }
}

export function isKnetCipher(s: string): s is KnetCipher {
  return s === 'none' || s === 'aes128' || s === 'aes192' || s === 'aes256';
}

export function isKnetHash(s: string): s is KnetHash {
  return s in HASH_LENGTHS;
}
