// Bundles the CLI into dist/ (ESM, built by `npm ci` (prepare) and `npm run build`) so the command
// starts in a fraction of the time the tsx loader needs. bin/totemscope.mjs uses the bundle only
// while it is newer than every source file.
//
// Start-up is a large part of a short run (`read --stats` on a big file is about a second), so:
//  - code splitting: each command imports its work when it runs (src/cli/commands/*.ts), and the
//    bundle is split at those imports; `read --stats` compiles only what counting needs, and the
//    shard worker shares the same chunks;
//  - commander is bundled (a CommonJS package loaded through Node's resolver costs tens of ms);
//    other npm packages stay external, loaded on demand (codecs).
// Chunks sit next to the entry points in dist/: the worker is found relative to the chunk that
// starts it (src/read/shards.ts).
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const BUNDLED_PACKAGES = /^(commander|@commander-js\/extra-typings)(\/|$)/;

/** Every bare import (npm packages, node: builtins) is external except the bundled packages. */
const externals = {
  name: 'externals',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => (BUNDLED_PACKAGES.test(args.path) ? undefined : { path: args.path, external: true }));
  },
};

rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
await build({
  absWorkingDir: root,
  // The CLI, and the worker that decodes one shard of a big capture (src/read/shards.ts).
  entryPoints: { totemscope: 'src/cli/main.ts', shardWorker: 'src/read/shardWorker.ts' },
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  chunkNames: '[name]-[hash]',
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  plugins: [externals],
  // commander is CommonJS and require()s node builtins; an ES module has no `require` of its own.
  banner: { js: "import { createRequire as __totemscopeRequire } from 'node:module'; const require = __totemscopeRequire(import.meta.url);" },
  sourcemap: 'linked',
  logLevel: 'warning',
});
