// How a run reaches the service when another process holds the emulator directory.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bootService } from '../../../electron/app/boot';
import { parseRuntimeInfo, runningApp } from '../../../electron/cli/connect';
import { cli } from './harness';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'blksnapctl-connect-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('connecting', () => {
  it('waits for another short run to release the emulator directory', async () => {
    const emulatorDir = join(dir, 'state');
    const holder = await bootService({ emulatorDir, backend: 'emulator', dialect: null, emulate: 'upstream' });
    const waiting = cli(['--emulator-dir', emulatorDir, 'version'], { env: {} });
    await new Promise((r) => setTimeout(r, 300));
    await holder.close();
    const r = await waiting;
    expect([r.code, r.lines, r.stderr]).toEqual([0, ['2.0.0.0'], '']);
  });
});

describe('runtime.json (checked without zod)', () => {
  const good = { pid: process.pid, url: 'http://127.0.0.1:9731/?token=abc', token: 'abc', port: 9731 };

  it('takes a running app\'s announcement as it is written, extra fields aside', () => {
    expect(parseRuntimeInfo(good)).toEqual(good);
    expect(parseRuntimeInfo({ ...good, started: 1 })).toEqual(good);
    expect(parseRuntimeInfo({ ...good, port: 0 })).toEqual({ ...good, port: 0 });
  });

  it('refuses a value missing a field or with one out of range, as the zod schema before it did', () => {
    const bad: unknown[] = [
      null, 'text', [], {},
      { ...good, pid: 0 }, { ...good, pid: -1 }, { ...good, pid: 1.5 }, { ...good, pid: '1' },
      { ...good, url: '' }, { ...good, url: 1 }, { ...good, token: '' }, { ...good, token: undefined },
      { ...good, port: -1 }, { ...good, port: 65536 }, { ...good, port: 80.5 }, { ...good, port: '80' },
    ];
    for (const value of bad) expect(parseRuntimeInfo(value), JSON.stringify(value)).toBeNull();
  });

  it('finds the app whose runtime.json is right and whose pid is alive; a malformed or stale one is ignored', () => {
    const emulatorDir = join(dir, 'state');
    mkdirSync(emulatorDir, { mode: 0o700 });
    const write = (value: unknown) => writeFileSync(join(emulatorDir, 'runtime.json'), typeof value === 'string' ? value : JSON.stringify(value), { mode: 0o600 });
    write(good);
    expect(runningApp(emulatorDir)).toEqual(good);
    write('{"pid": ');
    expect(runningApp(emulatorDir)).toBeNull();
    write({ ...good, port: 70000 });
    expect(runningApp(emulatorDir)).toBeNull();
    write({ ...good, pid: 2 ** 22 + 1 });
    expect(runningApp(emulatorDir)).toBeNull();
  });
});
