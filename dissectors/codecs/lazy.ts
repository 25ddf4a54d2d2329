/**
 * Synchronous lazy loading of a codec package: a capture without compressed packets loads none of
 * them (the lzma one is a native addon). `decompress` stays synchronous, so `require` (through
 * createRequire) is used instead of `await import()`.
 */
import { createRequire } from 'node:module';

const requireFromHere = createRequire(import.meta.url);

export function lazyRequire<T>(id: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= requireFromHere(id) as T);
}
