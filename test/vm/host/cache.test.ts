// The VM cache's one-builder-per-directory rule: a directory another live process is building is
// waited for, not built twice; a builder that died is taken over.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cached } from './cache';

const root = mkdtempSync(join(tmpdir(), 'vm-cache-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Another process "building" `dir`: it holds the lock, and after `ms` finishes (or just exits). */
function otherBuilder(dir: string, ms: number, finishes: boolean): Promise<void> {
  const script = finishes ? `sleep ${ms / 1000}; mkdir -p '${dir}'; echo other > '${dir}/who'; touch '${dir}/.done'` : `sleep ${ms / 1000}`;
  const child = spawn('sh', ['-c', script], { stdio: 'ignore' });
  writeFileSync(`${dir}.lock`, `${child.pid}\n`);
  return new Promise((resolve) => child.on('exit', () => resolve()));
}

describe('cached', () => {
  it('waits for a live builder of the same directory and takes its result', async () => {
    const dir = join(root, 'a');
    const other = otherBuilder(dir, 1500, true);
    let builds = 0;
    let waitedFor = 0;
    const r = await cached(dir, async (scratch) => {
      builds += 1;
      writeFileSync(join(scratch, 'who'), 'me');
    }, (pid) => (waitedFor = pid));
    await other;
    expect(builds).toBe(0);
    expect(waitedFor).toBeGreaterThan(0);
    expect(r.built).toBe(false);
    expect(readFileSync(join(dir, 'who'), 'utf8').trim()).toBe('other');
    expect(existsSync(`${dir}.lock`), 'no lock left behind').toBe(false);
  });

  it('takes over from a builder that exited without finishing, and removes its own lock', async () => {
    const dir = join(root, 'b');
    await otherBuilder(dir, 0, false); // already gone: its pid is dead
    const r = await cached(dir, async (scratch) => writeFileSync(join(scratch, 'who'), 'me'));
    expect(r.built).toBe(true);
    expect(readFileSync(join(dir, 'who'), 'utf8')).toBe('me');
    expect(existsSync(`${dir}.lock`)).toBe(false);
    expect((await cached(dir, async () => { throw new Error('built twice'); })).built).toBe(false);
  });

  it('takes over a lock a killed run left with the pid this process now has (pids repeat in a fresh container), and waits for its own', async () => {
    const dir = join(root, 'stale-own-pid');
    writeFileSync(`${dir}.lock`, `${process.pid} 00000000-0000-4000-8000-000000000000\n`);
    let builds = 0;
    const slowBuild = async (scratch: string) => {
      builds += 1;
      await new Promise((r) => setTimeout(r, 300));
      writeFileSync(join(scratch, 'who'), 'me');
    };
    // Two builds of the same directory in this process: the second waits for the first's lock
    // (its own pid, its own token) and takes the result instead of building again.
    const [first, second] = await Promise.all([cached(dir, slowBuild), cached(dir, slowBuild)]);
    expect([first.built, second.built, builds]).toEqual([true, false, 1]);
    expect(readFileSync(join(dir, 'who'), 'utf8')).toBe('me');
    expect(existsSync(`${dir}.lock`)).toBe(false);
  }, 20_000);

  it('builds once when two waiters saw the same dead builder: the later one leaves alone the lock the earlier one has taken since', async () => {
    const dir = join(root, 'c');
    await otherBuilder(dir, 0, false); // its pid is dead
    let builds = 0;
    let letLaterGo = (): void => undefined;
    const laterMayGo = new Promise<void>((resolve) => (letLaterGo = resolve));
    const build = async (scratch: string) => {
      builds += 1;
      letLaterGo(); // the earlier waiter holds the lock now: the later one acts on what it saw before
      await new Promise((r) => setTimeout(r, 300));
      writeFileSync(join(scratch, 'who'), `build ${builds}`);
    };
    // Both see the dead pid; the later one is held between that and its takeover.
    const later = cached(dir, build, undefined, { beforeTakeover: () => laterMayGo });
    const earlier = cached(dir, build);
    const [a, b] = await Promise.all([earlier, later]);
    expect(builds).toBe(1);
    expect([a.built, b.built]).toEqual([true, false]);
    expect(readFileSync(join(dir, 'who'), 'utf8')).toBe('build 1');
    expect(existsSync(`${dir}.lock`)).toBe(false);
    expect(existsSync(`${dir}.lock.takeover`)).toBe(false);
  });
});
