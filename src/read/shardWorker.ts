/** Worker-thread entry: runs one shard (src/read/shard.ts) and posts its result back. */
import { parentPort, workerData } from 'node:worker_threads';
import { runShard, type ShardSpec } from './shard.ts';

const spec = workerData as ShardSpec;
runShard(spec).then(
  (result) => parentPort?.postMessage({ ok: true, result }),
  (e: unknown) => parentPort?.postMessage({ ok: false, error: e instanceof Error ? (e.stack ?? e.message) : String(e) }),
);
