// Removes lab namespaces, processes and dirs left by crashed runs (creator process gone).
// Usage: npx tsx test/lab/cleanup.ts [prefix]     (prefix default "tsl")
import { removeStaleLabs } from './index.ts';

const prefix = process.argv[2] ?? 'tsl';
const removed = removeStaleLabs(prefix);
console.log(removed.length === 0 ? 'no stale labs' : `removed: ${removed.join(' ')}`);
