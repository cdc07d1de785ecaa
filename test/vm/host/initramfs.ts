// One initramfs for every guest: busybox, the host's node with the libraries ldd lists, the
// built app with the node_modules it needs at run time, the bundled in-guest suite, Debian's
// virtio/ext4 modules and each Veeam module build. /init picks the guest from the kernel
// command line (vmtest=NAME). Uncompressed newc cpio: nothing to gain from packing it.
import { build as esbuild } from 'esbuild';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { exec, run } from './exec';
import { HERE } from './artifacts';
import type { GuestSpec } from './guests';

export const REPO = join(HERE, '..', '..', '..');

interface PackageJson {
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

/** Directories of the packages `require`d at run time: the app's dependencies, transitively. */
export function runtimePackages(repo: string): string[] {
  const found = new Set<string>();
  // Node's resolution: node_modules in the requiring package's directory and each one above it.
  const lookup = (from: string): string[] => {
    const dirs: string[] = [];
    for (let d = from; ; d = dirname(d)) {
      if (basename(d) !== 'node_modules') dirs.push(join(d, 'node_modules'));
      if (d === repo || d === dirname(d)) return dirs;
    }
  };
  const visit = (name: string, from: string) => {
    const candidate = lookup(from).map((d) => join(d, name)).find((c) => existsSync(join(c, 'package.json')));
    if (!candidate || found.has(candidate)) return; // not installed: an optional dependency for another platform
    found.add(candidate);
    const pkg = JSON.parse(readFileSync(join(candidate, 'package.json'), 'utf8')) as PackageJson;
    for (const dep of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies })) visit(dep, candidate);
  };
  const root = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as PackageJson;
  for (const dep of Object.keys(root.dependencies ?? {})) visit(dep, repo);
  return [...found].sort();
}

async function lddLibraries(binary: string): Promise<string[]> {
  const out = await run('ldd', [binary]);
  const libs: string[] = [];
  for (const line of out.split('\n')) {
    const m = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    if (m) libs.push(m[1]!);
  }
  return libs;
}

/** Copies a file to the same path under `root`, following symlinks. */
function place(root: string, path: string, as = path): void {
  const to = join(root, as);
  mkdirSync(dirname(to), { recursive: true });
  copyFileSync(path, to);
  chmodSync(to, 0o755);
}

export interface InitramfsInput {
  stage: string;
  out: string;
  debian: { kver: string; bootModules: string[] };
  guests: { spec: GuestSpec; moduleDir?: string }[];
}

export async function buildInitramfs(input: InitramfsInput): Promise<void> {
  const root = input.stage;
  rmSync(root, { recursive: true, force: true });
  for (const d of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'proc', 'sys', 'dev', 'tmp', 'mnt', 'root', 'etc', 'vm']) mkdirSync(join(root, d), { recursive: true });
  place(root, '/bin/busybox');
  const busybox = await exec('ldd', ['/bin/busybox']);
  if (busybox.code === 0 && !/statically linked/.test(busybox.stdout)) throw new Error('/bin/busybox is not static: apt-get install busybox-static');

  // node and mke2fs (the suite makes file systems) with their libraries.
  const mke2fs = existsSync('/usr/sbin/mke2fs') ? '/usr/sbin/mke2fs' : '/sbin/mke2fs';
  for (const bin of [process.execPath, mke2fs]) {
    place(root, bin, bin === process.execPath ? '/usr/bin/node' : '/usr/sbin/mke2fs');
    for (const lib of await lddLibraries(bin)) place(root, lib);
  }
  if (existsSync('/etc/mke2fs.conf')) place(root, '/etc/mke2fs.conf');
  writeFileSync(join(root, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  writeFileSync(join(root, 'etc', 'group'), 'root:x:0:\n');

  // The app: dist/ (CLI, web mode, renderer), package.json and the run-time node_modules.
  const app = join(root, 'app');
  mkdirSync(app);
  await run('cp', ['-a', join(REPO, 'dist'), join(REPO, 'package.json'), app]);
  const copied: string[] = [];
  for (const pkg of runtimePackages(REPO)) {
    if (copied.some((c) => pkg.startsWith(`${c}/`))) continue; // came with its parent
    copied.push(pkg);
    const to = join(app, pkg.slice(REPO.length + 1));
    mkdirSync(dirname(to), { recursive: true });
    await run('cp', ['-a', pkg, to]);
  }
  // Native addons (ffi-rs) need their own libraries (librt, ...).
  const addons = (await run('find', [join(app, 'node_modules'), '-name', '*.node', '-type', 'f'])).split('\n').filter(Boolean);
  for (const addon of addons) for (const lib of await lddLibraries(addon)) if (!existsSync(join(root, lib))) place(root, lib);
  // The in-guest suite, bundled like the app (node_modules stay external, resolved from /app).
  await esbuild({
    entryPoints: [join(HERE, '..', 'guest', 'main.ts')],
    outfile: join(app, 'vm', 'suite.mjs'),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    packages: 'external',
    sourcemap: 'inline',
    logLevel: 'error',
  });

  // Modules: Debian's boot modules per kernel release, the Veeam builds per guest.
  const boot = join(root, 'boot-modules', input.debian.kver);
  mkdirSync(boot, { recursive: true });
  writeFileSync(join(boot, 'order'), input.debian.bootModules.map((m) => basename(m)).join('\n') + '\n');
  for (const m of input.debian.bootModules) copyFileSync(m, join(boot, basename(m)));
  for (const { spec, moduleDir } of input.guests) {
    if (!moduleDir) continue;
    const dir = join(root, 'modules', spec.name);
    mkdirSync(dir, { recursive: true });
    for (const m of spec.modules ?? []) copyFileSync(join(moduleDir, m), join(dir, m));
    writeFileSync(join(dir, 'order'), (spec.modules ?? []).join('\n') + '\n');
  }
  writeFileSync(join(root, 'vm', 'guests.json'), JSON.stringify(input.guests.map((g) => g.spec), null, 1));
  place(root, join(HERE, '..', 'guest', 'init.sh'), '/init');

  rmSync(input.out, { force: true });
  await run('sh', ['-c', `cd "${root}" && find . | cpio -o -H newc -R 0:0 --quiet > "${input.out}"`]);
}
