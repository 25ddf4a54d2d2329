#!/usr/bin/env node
// Starts the CLI from the esbuild bundle (dist/, built by `npm ci` / `npm run build`) when it is
// up to date, else straight from the TypeScript sources through tsx's loader. A bundle older than
// any source file is never used, so editing the sources can not run stale code.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const root = fileURLToPath(new URL('..', import.meta.url));
const bundle = join(root, 'dist', 'totemscope.mjs');

function newestSource(dir, newest = 0) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = newestSource(p, newest);
    else if (e.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

function bundleIsFresh() {
  if (process.env.TOTEMSCOPE_NO_BUNDLE === '1' || !existsSync(bundle)) return false;
  const built = statSync(bundle).mtimeMs;
  return built >= newestSource(join(root, 'src')) && built >= newestSource(join(root, 'dissectors'));
}

let main;
if (bundleIsFresh()) {
  ({ main } = await import(bundle));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/cli/main.ts'));
}
await main(process.argv);
