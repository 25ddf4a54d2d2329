import { createHash, createHmac, createDecipheriv, randomBytes } from 'node:crypto';
import { HmacSha256 } from './dissectors/knet/sha256.ts';
const key = randomBytes(256);
const h = new HmacSha256(key, (k) => createHash('sha256').update(k).digest());
const d = randomBytes(288); const ref = createHmac('sha256', key).update(d).digest();
const ecb = createDecipheriv('aes-256-ecb', key.subarray(0, 32), null); ecb.setAutoPadding(false);
const N = 50000;
function cpu(name: string, f: () => void) { const c0 = process.cpuUsage(); for (let i = 0; i < N; i++) f(); const u = process.cpuUsage(c0); console.log(name, (N / ((u.user + u.system) / 1e6)).toFixed(0), '/cpu-s'); }
for (let r = 0; r < 2; r++) {
  cpu('js hmac  ', () => h.verify(d, 288, ref));
  cpu('node hmac', () => createHmac('sha256', key).update(d).digest());
  cpu('ecb 272B ', () => ecb.update(d.subarray(16)));
}
