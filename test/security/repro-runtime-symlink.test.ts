// Reproduction 4 of issue 13: a symlink runtime.json -> victim in the state directory made the
// app (as root) overwrite the victim with the token JSON; a pre-existing 0644 runtime.json stayed
// world-readable; a 0777 state directory was accepted silently; state.json.tmp was opened alike.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bootService } from '../../electron/app/boot';
import { writeStateFile } from '../../electron/control/emulator/state-file';
import { writeRuntimeFile } from '../../electron/web/runtime';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
const tempDir = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'blksnap-repro4-'));
  dirs.push(d);
  return d;
};
const server = { url: 'http://127.0.0.1:1/?token=t0ken', token: 't0ken', port: 1 };

describe('reproduction: runtime.json follows symlinks', () => {
  it('a symlink runtime.json -> victim leaves the victim as it was', () => {
    const dir = tempDir();
    const victim = path.join(tempDir(), 'victim');
    fs.writeFileSync(victim, 'root:x:0:0::/root:/bin/sh\n');
    fs.symlinkSync(victim, path.join(dir, 'runtime.json'));
    writeRuntimeFile(dir, server);
    expect(fs.readFileSync(victim, 'utf8')).toBe('root:x:0:0::/root:/bin/sh\n');
    expect(fs.lstatSync(path.join(dir, 'runtime.json')).isSymbolicLink()).toBe(false);
  });

  it('a pre-existing 0644 runtime.json ends 0600', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'runtime.json'), '{}');
    fs.chmodSync(path.join(dir, 'runtime.json'), 0o644);
    writeRuntimeFile(dir, server);
    expect(fs.statSync(path.join(dir, 'runtime.json')).mode & 0o077).toBe(0);
  });

  it('a 0777 state directory is refused with how to fix it', async () => {
    const dir = tempDir();
    fs.chmodSync(dir, 0o777);
    await expect(bootService({ emulatorDir: dir, backend: 'emulator', dialect: null, emulate: 'upstream' })).rejects.toThrow(/mode 0777.*chmod 700/);
  });

  it('state.json.tmp planted as a symlink is never written through', () => {
    const dir = tempDir();
    const victim = path.join(tempDir(), 'victim');
    fs.writeFileSync(victim, 'precious');
    fs.symlinkSync(victim, path.join(dir, 'state.json.tmp'));
    writeStateFile(dir, { flavour: 'upstream', hz: 250, parameters: {}, nextMinor: 0, nextTrackerId: 1, devices: [], snapshots: [], cleanShutdown: true });
    expect(fs.readFileSync(victim, 'utf8')).toBe('precious');
  });
});
