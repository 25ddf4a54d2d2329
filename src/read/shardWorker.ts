/**
 * Worker-thread entry: waits for one shard's spec, runs it (src/read/shard.ts) and posts the
 * result back. The worker is started before the shard is planned, so its start-up (a new isolate,
 * loading and compiling the decoders) overlaps the planning; the spec arrives as a message.
 */
import { parentPort } from 'node:worker_threads';
import { runShard, type ShardSpec } from './shard.ts';

parentPort?.once('message', (spec: ShardSpec) => {
  runShard(spec).then(
    (result) => parentPort?.postMessage({ ok: true, result }),
    (e: unknown) => parentPort?.postMessage({ ok: false, error: e instanceof Error ? (e.stack ?? e.message) : String(e) }),
  );
});
