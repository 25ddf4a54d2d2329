import { createHash, createHmac, randomBytes } from 'node:crypto';
import { HmacSha256 } from './dissectors/knet/sha256.ts';
const key = randomBytes(256);
const h = new HmacSha256(key, (k) => createHash('sha256').update(k).digest());
for (const n of [0, 1, 55, 56, 63, 64, 65, 119, 120, 300, 1500]) {
  const d = randomBytes(n);
  const ref = createHmac('sha256', key).update(d).digest();
  if (!Buffer.from(h.digest(d)).equals(ref)) console.log('MISMATCH', n);
  if (!h.verify(d, n, ref)) console.log('verify fail', n);
}
const d = randomBytes(300); const ref = createHmac('sha256', key).update(d).digest();
const N = 200000; let t = performance.now(); for (let i = 0; i < N; i++) h.verify(d, 300, ref); console.log('js hmac', (N / (performance.now() - t) * 1000).toFixed(0));
t = performance.now(); for (let i = 0; i < N; i++) createHmac('sha256', key).update(d).digest(); console.log('node hmac', (N / (performance.now() - t) * 1000).toFixed(0));
