/** How a `read` ends: what stopped it early, and what it says on stderr about it (run.ts, statsRead.ts). */
import type { Writable } from 'node:stream';
import { isCaptureFormatError } from '../../dissectors/capture/index.ts';
import type { PipelineStats } from '../decode/stats.ts';
import type { ReadResult } from './types.ts';

/** The reason a read stopped early, from a malformed capture or an I/O error; anything else is rethrown. */
export function readProblem(e: unknown, path: string): string {
  if (isCaptureFormatError(e)) return e.message;
  if (e instanceof Error && 'code' in e) return `${path}: ${e.message}`;
  throw e;
}

/** Says on stderr why the read stopped early and what could not be decrypted; the command's result. */
export function readOutcome(stats: PipelineStats, problem: string | undefined, framesShown: number, stderr: Writable): ReadResult {
  if (problem !== undefined) {
    stderr.write(`totemscope: ${problem}\n`);
    stderr.write(`totemscope: ${stats.frames} frames were read before the error\n`);
  }
  const base = { complete: problem === undefined, undecryptable: warnUndecryptable(stats, stderr), framesRead: stats.frames, framesShown };
  return problem === undefined ? base : { ...base, problem };
}

/** Says on stderr how many encrypted knet frames could not be decrypted; returns that number. */
function warnUndecryptable(stats: PipelineStats, stderr: Writable): number {
  let undecryptable = 0;
  for (const [code, n] of stats.errorsByCode) if (code.startsWith('knet.crypto.')) undecryptable += n;
  if (undecryptable > 0) {
    stderr.write(`totemscope: ${undecryptable} encrypted knet frames could not be decrypted (see knet.crypto.* in --stats); give the cluster's authkey with --key\n`);
  }
  return undecryptable;
}
