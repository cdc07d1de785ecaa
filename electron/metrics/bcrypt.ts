// bcrypt checks for basic auth on the metrics listener, the Prometheus exporters' convention
// (web-config.yml holds bcrypt hashes). Node has no bcrypt and no bcrypt package is installed;
// glibc's libcrypt (libxcrypt on Debian: package libcrypt1, always present) implements $2b$/$2y$,
// and ffi-rs (already used for the ioctls) calls it in a worker thread so a check (tens of ms at
// cost 10) never blocks the event loop. No hand-written crypto.
import { createHash, timingSafeEqual } from 'node:crypto';
import { createRequire } from 'node:module';

type FfiModule = typeof import('ffi-rs');
let ffi: FfiModule | null = null;

function libcrypt(): FfiModule {
  if (ffi) return ffi;
  const mod = createRequire(import.meta.url)('ffi-rs') as FfiModule;
  mod.open({ library: 'libcrypt', path: 'libcrypt.so.1' });
  ffi = mod;
  return mod;
}

const BCRYPT_RE = /^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/;

export function isBcryptHash(hash: string): boolean {
  return BCRYPT_RE.test(hash);
}

/** crypt(3) of `password` with the settings (and salt) of `hash`; null where libcrypt refuses. */
async function crypt(password: string, hash: string): Promise<string | null> {
  const m = libcrypt();
  const out = (await m.load({
    library: 'libcrypt', funcName: 'crypt', retType: m.DataType.String, runInNewThread: true,
    paramsType: [m.DataType.String, m.DataType.String], paramsValue: [password, hash],
  })) as string | null;
  return typeof out === 'string' && out.startsWith('$2') ? out : null;
}

const MAX_CACHED = 64;

/** Verifies passwords against bcrypt hashes; a pair that matched once is remembered (as a digest) so scrapes stay cheap. */
export class BcryptVerifier {
  private readonly good = new Set<string>();

  async verify(password: string, hash: string): Promise<boolean> {
    if (!isBcryptHash(hash) || password.includes('\0')) return false;
    const key = createHash('sha256').update(`${hash}\0${password}`).digest('hex');
    if (this.good.has(key)) return true;
    const computed = await crypt(password, hash).catch(() => null);
    const ok = computed !== null && computed.length === hash.length && timingSafeEqual(Buffer.from(computed), Buffer.from(hash));
    if (ok) {
      if (this.good.size >= MAX_CACHED) this.good.clear();
      this.good.add(key);
    }
    return ok;
  }
}
