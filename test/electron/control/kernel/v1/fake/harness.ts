// Builds the LD_PRELOAD fake v1 module with gcc and runs a scenario script under it in a child
// node process (`node --import tsx script.ts`), so ffi-rs's open/ioctl reach the fake.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(here, '../../../../../..');

/** Compiles fake_v1.c into `outDir`; returns the .so path or a reason it cannot run here. */
export function buildFakeModule(outDir: string): { so: string } | { skip: string } {
  if (process.platform !== 'linux' || process.arch !== 'x64') return { skip: `the fake speaks the x86_64 v1 ABI; this is ${process.platform}/${process.arch}` };
  const so = join(outDir, 'fake_v1.so');
  try {
    execFileSync('gcc', ['-shared', '-fPIC', '-Wall', '-Wextra', '-Werror', '-O1', '-I', here, '-o', so, join(here, 'fake_v1.c'), '-ldl', '-lpthread'], { stdio: 'pipe' });
  } catch (err) {
    return { skip: `gcc could not build the fake module: ${(err as Error).message}` };
  }
  return { so };
}

export interface ScenarioResult<T> {
  status: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  output: T | null;
  log: Record<string, unknown>[];
}

/** Runs `script` with the fake preloaded; the script prints one JSON line (its result) last. */
export function runScenario<T>(script: string, so: string, env: Record<string, string>, logPath: string): ScenarioResult<T> {
  const child = spawnSync(process.execPath, ['--import', 'tsx', script], {
    cwd: repoRoot, encoding: 'utf8', timeout: 60_000,
    env: { ...process.env, ...env, LD_PRELOAD: so, FAKE_V1_LOG: logPath },
  });
  const lines = (child.stdout ?? '').trim().split('\n').filter(Boolean);
  let output: T | null;
  try {
    output = lines.length ? (JSON.parse(lines[lines.length - 1] as string) as T) : null;
  } catch {
    output = null;
  }
  const log = existsSync(logPath)
    ? readFileSync(logPath, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>)
    : [];
  return { status: child.status, signal: child.signal, stderr: child.stderr ?? '', output, log };
}
