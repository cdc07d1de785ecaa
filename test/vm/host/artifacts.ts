// What the guests boot: Debian's 6.1 kernel image (downloaded, unpacked, never installed) with
// the Veeam modules built against its headers, and the tiny patched 6.12 kernels. Each is
// cached under CACHE_DIR by a key of its inputs.
import { existsSync, readdirSync, writeFileSync, copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { cached, CACHE_DIR, keyOf, sha256File } from './cache';
import { exec, run } from './exec';
import { UPSTREAM_PATCHES, type GuestSpec, type KernelName } from './guests';

export const HERE = new URL('.', import.meta.url).pathname;
export const REALMODULE = process.env.BLKSNAP_REALMODULE ?? join(HERE, '..', '..', '..', '..', 'shared', 'realmodule');
const SOURCE_612 = process.env.BLKSNAP_VM_LINUX_SOURCE ?? '/usr/src/linux-source-6.12.tar.xz';

export interface DebianKernel {
  kver: string;
  version: string;
  vmlinuz: string;
  /** Unpacked image root (lib/modules/<kver>/...). */
  root: string;
  /** Host paths of the virtio and ext4 modules, in load order. */
  bootModules: string[];
}

/** The newest Debian 6.1 kernel whose headers are installed (.ci/run installs them). */
export async function debianKernel(log: (s: string) => void): Promise<DebianKernel> {
  const headers = existsSync('/usr/src') ? readdirSync('/usr/src').filter((d) => /^linux-headers-6\.1\.0-\d+-amd64$/.test(d)) : [];
  headers.sort((a, b) => Number(a.split('-')[3]) - Number(b.split('-')[3]));
  const newest = headers.at(-1);
  if (!newest) throw new Error('no /usr/src/linux-headers-6.1.0-NN-amd64: apt-get install linux-headers-6.1.0-NN-amd64 (see test/vm/README.md)');
  const kver = newest.slice('linux-headers-'.length);
  const version = (await run('dpkg-query', ['-W', '-f', '${Version}', newest])).trim();
  const dir = join(CACHE_DIR, 'debian', `${kver}-${version}`);
  const { built } = await cached(dir, async (scratch) => {
    log(`downloading linux-image-${kver}=${version}`);
    await run('apt-get', ['download', `linux-image-${kver}=${version}`], { cwd: scratch });
    const deb = readdirSync(scratch).find((f) => f.endsWith('.deb'));
    if (!deb) throw new Error(`apt-get download linux-image-${kver} left no .deb`);
    await run('dpkg-deb', ['-x', join(scratch, deb), join(scratch, 'root')]);
    await run('depmod', ['-b', join(scratch, 'root'), kver]);
  });
  if (built) log(`Debian kernel ${kver} unpacked in ${dir}`);
  const root = join(dir, 'root');
  const bootModules: string[] = [];
  for (const mod of ['virtio_pci', 'virtio_blk', 'crc32c_generic', 'ext4']) {
    const out = await run('modprobe', ['-d', root, '-S', kver, '--show-depends', mod]);
    for (const line of out.split('\n')) {
      const m = /^insmod (\S+)/.exec(line.trim());
      if (m && !bootModules.includes(m[1]!)) bootModules.push(m[1]!);
    }
  }
  return { kver, version, vmlinuz: join(root, 'boot', `vmlinuz-${kver}`), root, bootModules };
}

/** The guest's out-of-tree modules, built against Debian's headers. Returns their directory. */
export async function veeamModules(guest: GuestSpec, kernel: DebianKernel, log: (s: string) => void): Promise<string> {
  const archive = join(REALMODULE, guest.archive!);
  if (!existsSync(archive)) throw new Error(`module source ${archive} is missing (BLKSNAP_REALMODULE points elsewhere?)`);
  const key = keyOf([await sha256File(archive), kernel.kver, kernel.version, 'make M= modules']);
  const dir = join(CACHE_DIR, 'modules', `${guest.name}-${key}`);
  const { built } = await cached(dir, async (scratch) => {
    const src = join(scratch, 'src');
    mkdirSync(src);
    await run('tar', ['-xzf', archive, '-C', src]);
    log(`${guest.name}: building the module against linux-headers-${kernel.kver}`);
    await run('make', ['-C', `/usr/src/linux-headers-${kernel.kver}`, `M=${join(src, 'module')}`, 'modules'], { env: { ...process.env, MAKEFLAGS: '' } });
    for (const ko of guest.modules ?? []) {
      const built = join(src, 'module', ko);
      if (!existsSync(built)) throw new Error(`${guest.name}: the build did not produce ${ko}`);
      copyFileSync(built, join(scratch, ko));
    }
    await run('rm', ['-rf', src]);
  });
  if (built) log(`${guest.name}: modules built in ${dir}`);
  return dir;
}

/** A tiny 6.12 kernel with one upstream patch set built in. Returns the bzImage path. */
export async function patchedKernel(name: Exclude<KernelName, 'debian-6.1'>, log: (s: string) => void): Promise<string> {
  if (!existsSync(SOURCE_612)) throw new Error(`${SOURCE_612} is missing: apt-get install linux-source-6.12`);
  const patch = join(REALMODULE, 'upstream', 'on-6.12', UPSTREAM_PATCHES[name]);
  const script = join(HERE, 'build-kernel.sh');
  const config = join(HERE, 'kernel.config');
  const key = keyOf([await sha256File(SOURCE_612), await sha256File(patch), await sha256File(config), await sha256File(script)]);
  const dir = join(CACHE_DIR, 'kernel', `${name}-${key}`);
  const { built } = await cached(dir, async (scratch) => {
    log(`${name}: building a tiny 6.12 kernel with ${basename(patch)} (several minutes)`);
    const started = Date.now();
    // One ccache for the three kernels, kept beside them in the cache (not part of the key).
    await run('bash', [script, SOURCE_612, patch, config, scratch], { env: { ...process.env, VM_CCACHE_DIR: join(CACHE_DIR, 'ccache') } });
    writeFileSync(join(scratch, 'build-seconds'), `${Math.round((Date.now() - started) / 1000)}\n`);
  }, (pid) => log(`${name}: another process (${pid}) is building this kernel; waiting for it`));
  if (built) log(`${name}: kernel built in ${readFileSync(join(dir, 'build-seconds'), 'utf8').trim()} s`);
  return join(dir, 'bzImage');
}

export async function hostTool(name: string): Promise<string | null> {
  const r = await exec('sh', ['-c', `command -v ${name}`]);
  return r.code === 0 ? r.stdout.trim() : null;
}
