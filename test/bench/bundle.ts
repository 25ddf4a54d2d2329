/**
 * The CLI runs from the dist/ bundle only while it is newer than every source, else through tsx,
 * whose start-up (about a second) would be timed too. Every bench builds it first.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = new URL('../..', import.meta.url).pathname;

export function buildBundle(): void {
  const build = spawnSync(process.execPath, [join(ROOT, 'scripts/build.mjs')], { stdio: 'inherit' });
  if (build.status !== 0) throw new Error('bench: node scripts/build.mjs failed');
}
