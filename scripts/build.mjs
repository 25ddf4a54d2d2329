// Bundles the CLI into dist/totemscope.mjs (one ESM file; npm packages stay external) so the command
// starts in a fraction of the time the tsx loader needs. Run by `npm ci` (prepare) and `npm run build`.
// bin/totemscope.mjs uses the bundle only while it is newer than every source file.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
await build({
  absWorkingDir: root,
  entryPoints: ['src/cli/main.ts'],
  outfile: 'dist/totemscope.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: 'linked',
  logLevel: 'warning',
});
