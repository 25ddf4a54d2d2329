// Bundles the CLI into dist/totemscope.mjs (one ESM file; npm packages stay external) so the command
// starts in a fraction of the time the tsx loader needs. Run by `npm ci` (prepare) and `npm run build`.
// bin/totemscope.mjs uses the bundle only while it is newer than every source file.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
await build({
  absWorkingDir: root,
  // The CLI, and the worker that decodes one shard of a big capture (src/read/shards.ts).
  entryPoints: { totemscope: 'src/cli/main.ts', shardWorker: 'src/read/shardWorker.ts' },
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: 'linked',
  logLevel: 'warning',
});
