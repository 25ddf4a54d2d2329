/** What `totemscope read` is asked to do, and what it reports back (src/read/run.ts, statsRead.ts). */
import type { KnetCryptoOptions } from '../../dissectors/knet/index.ts';
import type { PortRange } from '../decode/ports.ts';
import type { DisplayFilter } from '../filter/displayFilter.ts';

export type ReadMode = 'summary' | 'verbose' | 'json' | 'stats' | 'deliver';

export interface ReadConfig {
  readonly path: string; // '-' = stdin
  readonly mode: ReadMode;
  /** With mode 'stats': print the statistics as one JSON object. */
  readonly statsJson?: boolean;
  readonly hex: boolean;
  readonly count?: number;
  readonly filter?: DisplayFilter;
  readonly ports?: PortRange;
  readonly knet?: KnetCryptoOptions;
  /** With mode 'deliver': JSON objects instead of text lines, and how many body bytes to show. */
  readonly deliverJson?: boolean;
  readonly payloadBytes?: number;
  /** Also show frames that are not corosync traffic (ARP, other UDP ports, ...). */
  readonly all: boolean;
  /**
   * With mode 'stats' on a regular file: decode shards of a big capture in this many threads
   * (src/read/shards.ts; the figures are those of one pass or it reads in one pass). Default 1.
   */
  readonly threads?: number;
  /**
   * The user chose `threads` (--threads): shards are used on any file of DEFAULT_MIN_SHARD_BYTES per
   * thread (else only where threads pay, AUTO_MIN_SHARD_BYTES), and stderr says why a read fell
   * back to one pass.
   */
  readonly threadsAsked?: boolean;
}

export interface ReadResult {
  /** True when the input was read to its end. */
  readonly complete: boolean;
  /** Frames of encrypted knet traffic that could not be decrypted (no key, wrong key, corrupted). */
  readonly undecryptable: number;
  readonly framesRead: number;
  readonly framesShown: number;
  readonly problem?: string;
}

