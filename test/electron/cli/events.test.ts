// snapshot_waitevent and snapshot_watcher against the real emulator service: a difference
// storage that reaches its limit (no_space) and then overflows (corrupted).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEmulator } from '../../../electron/control/emulator';
import { WATCHER_TIMEOUT_TICKS } from '../../../electron/cli/verbs/events';
import { cli, type CliRun } from './harness';

let dir: string;

function run(...argv: string[]): Promise<CliRun> {
  return cli(['--emulator-dir', join(dir, 'state'), '--backend', 'emulator', ...argv], {});
}

async function ok(...argv: string[]): Promise<CliRun> {
  const r = await run(...argv);
  if (r.code !== 0) throw new Error(`blksnapctl ${argv.join(' ')} failed: ${r.stderr}`);
  return r;
}

/** A taken snapshot of /dev/disk0 whose 10 MiB storage (8 MiB usable) is overflowed by 16 MiB of writes. */
async function overflowedSnapshot(): Promise<{ id: string; devId: string }> {
  const created = await ok('emu_create', '--name', 'disk0', '--size', '64M');
  const devId = created.lines[2]!.slice('dev_id='.length);
  const id = (await ok('snapshot_create', '-f', dir, '-l', '10M', '-d', '/dev/disk0')).lines[0]!;
  await ok('snapshot_take', '-i', id);
  await ok('emu_write', '-d', '/dev/disk0', '-o', '0', '-p', '1', '-l', '16M');
  return { id, devId };
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'blksnapctl-ev-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('snapshot_waitevent', () => {
  it('prints result=timeout when no event comes within the ticks', async () => {
    await ok('emu_create', '--name', 'disk0', '--size', '64M');
    const id = (await ok('snapshot_create', '-f', dir, '-l', '1G', '-d', '/dev/disk0')).lines[0]!;
    expect((await ok('snapshot_waitevent', '-i', id, '-t', '0')).lines).toEqual(['result=timeout']);
    expect((await ok('snapshot_waitevent', '-i', id, '--time', '5')).lines).toEqual(['result=timeout']);
  });

  it('prints result=not found for an unknown snapshot', async () => {
    expect((await ok('snapshot_waitevent', '-i', '3f2b8e1c-0a4d-4f6e-9b1a-2c3d4e5f6a7b', '-t', '1')).lines).toEqual(['result=not found']);
  });

  it('prints the no_space then the corrupted event, oldest first', async () => {
    await overflowedSnapshot().then(async ({ id }) => {
      const first = await ok('snapshot_waitevent', '-i', id, '-t', '100');
      expect(first.lines).toEqual(['result=ok', expect.stringMatching(/^time=\d+$/), 'event=no_space']);
      const second = await ok('snapshot_waitevent', '-i', id, '-t', '100');
      expect(second.lines).toEqual(['result=ok', expect.stringMatching(/^time=\d+$/), 'event=corrupted']);
      const info = await ok('snapshot_info', '-d', '/dev/disk0');
      expect(info.lines[0]).toBe('error_code=-28');
    });
  });

  it('gives the event as JSON with --json', async () => {
    const { id, devId } = await overflowedSnapshot();
    await ok('snapshot_waitevent', '-i', id, '-t', '100');
    const r = await ok('snapshot_waitevent', '-i', id, '-t', '100', '--json');
    const doc = JSON.parse(r.stdout) as { result: string; event: { kind: string; errCode: number; device: { major: number; minor: number } } };
    expect(doc.result).toBe('ok');
    expect(doc.event.kind).toBe('corrupted');
    expect(doc.event.errCode).toBe(28);
    expect(`${doc.event.device.major}:${doc.event.device.minor}`).toBe(devId);
  });
});

describe('snapshot_watcher', () => {
  it('prints each event as the upstream tool and stops at corrupted', async () => {
    const { id, devId } = await overflowedSnapshot();
    const r = await ok('snapshot_watcher', '-i', id);
    expect(r.lines).toEqual([
      'Start snapshot watcher.',
      expect.stringMatching(/^\d+ - The the difference storage already grow up to 10 MiB\. Limit has been reached\.$/),
      expect.stringMatching(new RegExp(`^\\d+ - The snapshot was corrupted for device \\[${devId}\\] with error "No space left on device"\\.$`)),
      'Snapshot watcher finished',
    ]);
    const t = Number(r.lines[1]!.split(' ')[0]);
    expect(t).toBeLessThan(2 ** 32);
  });

  it('shares its service while it runs, so other runs write meanwhile (as with the upstream tool in the background)', async () => {
    const created = await ok('emu_create', '--name', 'disk0', '--size', '64M');
    const devId = created.lines[2]!.slice('dev_id='.length);
    const id = (await ok('snapshot_create', '-f', dir, '-l', '10M', '-d', '/dev/disk0')).lines[0]!;
    await ok('snapshot_take', '-i', id);
    const runtime = join(dir, 'state', 'runtime.json');
    const watching = run('snapshot_watcher', '-i', id);
    await expect.poll(() => existsSync(runtime), { timeout: 20_000 }).toBe(true);
    // 8 MiB fill the storage's usable part exactly; the next chunk overflows it and ends the watcher.
    await ok('emu_write', '-d', '/dev/disk0', '-o', '0', '-p', '1', '-l', '4M');
    await ok('emu_write', '-d', '/dev/disk0', '-o', '4M', '-p', '1', '-l', '4M');
    await ok('emu_write', '-d', '/dev/disk0', '-o', '8M', '-p', '1', '-l', '4M');
    const r = await watching;
    expect(r.code).toBe(0);
    expect(r.lines.at(-2)).toMatch(new RegExp(`corrupted for device \\[${devId}\\]`));
    expect(existsSync(runtime)).toBe(false);
  });

  it('ends at once on SIGINT, without waiting out the module wait', async () => {
    // An emulator at HZ 10: the watcher's wait (WATCHER_TIMEOUT_TICKS) lasts 100 s, so a watcher
    // that waits it out is told apart from one that ends at once by a bound no loaded machine reaches.
    const waitMs = (WATCHER_TIMEOUT_TICKS * 1000) / 10;
    await (await createEmulator({ stateDir: join(dir, 'state'), hz: 10 })).close();
    await ok('emu_create', '--name', 'disk0', '--size', '64M');
    const id = (await ok('snapshot_create', '-f', dir, '-l', '1G', '-d', '/dev/disk0')).lines[0]!;
    const interrupt = new AbortController();
    const watching = cli(['--emulator-dir', join(dir, 'state'), 'snapshot_watcher', '-i', id], { signal: interrupt.signal, env: {} });
    const runtime = join(dir, 'state', 'runtime.json');
    await expect.poll(() => existsSync(runtime), { timeout: 20_000 }).toBe(true);
    interrupt.abort();
    const bound = waitMs / 5;
    const r = await Promise.race([watching, new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), bound).unref())]);
    expect(r, `the watcher still ran ${bound} ms after SIGINT (its wait lasts ${waitMs} ms)`).not.toBe('still running');
    expect([(r as CliRun).code, (r as CliRun).lines]).toEqual([0, ['Start snapshot watcher.', 'Snapshot watcher finished']]);
  });

  it('says so when the snapshot does not exist', async () => {
    const r = await ok('snapshot_watcher', '-i', '3f2b8e1c-0a4d-4f6e-9b1a-2c3d4e5f6a7b');
    expect(r.lines).toEqual(['Start snapshot watcher.', 'Snapshot not found', 'Snapshot watcher finished']);
  });

  it('prints JSON lines with --json', async () => {
    const { id } = await overflowedSnapshot();
    const r = await ok('--json', 'snapshot_watcher', '-i', id);
    const docs = r.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(docs.map((d) => (d.event as { kind?: string } | undefined)?.kind ?? d.reason)).toEqual(['no_space', 'corrupted', 'corrupted']);
    expect(docs.at(-1)).toEqual({ finished: true, reason: 'corrupted' });
  });
});
