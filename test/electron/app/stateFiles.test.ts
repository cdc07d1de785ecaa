// State-directory files: no write follows a symlink, every file ends 0600, and a state
// directory other users can write to (or own) is refused with how to fix it.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkStateDir, readStateFileSync, stateDirProblem, writeStateFile, writeStateFileSync } from '../../../electron/app/stateFiles';
import { writeRuntimeFile } from '../../../electron/web/runtime';
import { writeStateFile as writeEmulatorState, readStateFile } from '../../../electron/control/emulator/state-file';
import { createEmulator } from '../../../electron/control/emulator';
import { BlksnapError } from '../../../shared/errors';
import { skipBecause } from '../../skip';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'blksnap-statefiles-'));
  dirs.push(d);
  return d;
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const server = { url: 'http://127.0.0.1:1/?token=secret', token: 'secret', port: 1 };
const emptyState = { flavour: 'upstream' as const, hz: 250, parameters: {}, nextMinor: 0, nextTrackerId: 1, devices: [], snapshots: [], cleanShutdown: true };

describe('state files', () => {
  it('a symlink runtime.json -> victim leaves the victim untouched and becomes a 0600 regular file', () => {
    const dir = tempDir();
    const victim = path.join(tempDir(), 'victim');
    fs.writeFileSync(victim, 'precious\n', { mode: 0o644 });
    fs.symlinkSync(victim, path.join(dir, 'runtime.json'));
    const file = writeRuntimeFile(dir, server);
    expect(fs.readFileSync(victim, 'utf8')).toBe('precious\n');
    expect((fs.statSync(victim).mode & 0o777).toString(8)).toBe('644');
    const st = fs.lstatSync(file);
    expect(st.isFile()).toBe(true);
    expect((st.mode & 0o777).toString(8)).toBe('600');
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toMatchObject({ token: 'secret' });
  });

  it('a pre-existing world-readable runtime.json is replaced by a 0600 one', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'runtime.json'), '{}', { mode: 0o644 });
    fs.chmodSync(path.join(dir, 'runtime.json'), 0o644);
    const file = writeRuntimeFile(dir, server);
    expect((fs.statSync(file).mode & 0o777).toString(8)).toBe('600');
  });

  it('a symlink state.json.tmp (or the per-process temporary name) never redirects the emulator state write', () => {
    const dir = tempDir();
    const victim = path.join(tempDir(), 'victim');
    fs.writeFileSync(victim, 'precious\n');
    fs.symlinkSync(victim, path.join(dir, 'state.json.tmp'));
    fs.symlinkSync(victim, path.join(dir, `state.json.${process.pid}.tmp`));
    writeEmulatorState(dir, emptyState);
    expect(fs.readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(readStateFile(dir)?.flavour).toBe('upstream');
    expect((fs.statSync(path.join(dir, 'state.json')).mode & 0o777).toString(8)).toBe('600');
    expect(fs.existsSync(path.join(dir, `state.json.${process.pid}.tmp`))).toBe(false);
  });

  it('the asynchronous write replaces a symlink at the name, not its target', async () => {
    const dir = tempDir();
    const victim = path.join(tempDir(), 'victim');
    fs.writeFileSync(victim, 'precious\n');
    fs.symlinkSync(victim, path.join(dir, 'token'));
    await writeStateFile(path.join(dir, 'token'), 'abc');
    expect(fs.readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(fs.lstatSync(path.join(dir, 'token')).isFile()).toBe(true);
  });

  it('reading a state file through a symlink is refused (ELOOP)', () => {
    const dir = tempDir();
    const victim = path.join(tempDir(), 'victim');
    fs.writeFileSync(victim, '{"token":"x"}');
    fs.symlinkSync(victim, path.join(dir, 'runtime.json'));
    expect(() => readStateFileSync(path.join(dir, 'runtime.json'))).toThrow(/ELOOP/);
  });

  it('writeStateFileSync writes bytes too', () => {
    const dir = tempDir();
    writeStateFileSync(path.join(dir, 'b'), new Uint8Array([1, 2, 3]));
    expect([...fs.readFileSync(path.join(dir, 'b'))]).toEqual([1, 2, 3]);
  });
});

describe('state directory', () => {
  it('a world-writable state directory is refused with the chmod that fixes it', async () => {
    const dir = tempDir();
    fs.chmodSync(dir, 0o777);
    expect(stateDirProblem(dir)).toMatch(/writable by every user \(mode 0777\).*chmod 700/);
    expect(() => checkStateDir(dir)).toThrow(BlksnapError);
    await expect(createEmulator({ stateDir: dir })).rejects.toThrow(/chmod 700/);
  });

  it('a group-writable state directory is refused', () => {
    const dir = tempDir();
    fs.chmodSync(dir, 0o770);
    expect(stateDirProblem(dir)).toMatch(/writable by its group/);
  });

  it('a 0700 directory of this user is accepted', () => {
    expect(stateDirProblem(tempDir())).toBeNull();
  });

  it.skipIf(skipBecause('the foreign-owner state directory test', !isRoot && 'it needs root to chown a directory to another user', 'as root (CI runs as root)'))('a state directory owned by another user is refused with the chown that fixes it', () => {
    const dir = tempDir();
    fs.chownSync(dir, 12345, 12345);
    expect(stateDirProblem(dir)).toMatch(/owned by uid 12345.*chown 0/);
  });
});
