// State files are flushed to disk (fsync) before they replace the old ones, except runtime.json:
// it only describes the running process, and a start waits for its write before printing the URL.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { readStateFileSync, writeStateFileSync } from '../../../electron/app/stateFiles';
import { writeRuntimeFile } from '../../../electron/web/runtime';
import { readStateFile, writeStateFile as writeEmulatorState } from '../../../electron/control/emulator/state-file';

vi.mock('node:fs', async (importOriginal) => {
  const original = await importOriginal<typeof import('node:fs')>();
  return { ...original, fsyncSync: vi.fn(original.fsyncSync) };
});

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'blksnap-durable-'));
  vi.mocked(fs.fsyncSync).mockClear();
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('flushing state files', () => {
  it('flushes a state file before it replaces the old one', () => {
    const file = path.join(dir, 'registry.json');
    writeStateFileSync(file, '{"version":1}');
    expect(fs.fsyncSync).toHaveBeenCalledTimes(1);
    writeEmulatorState(dir, { flavour: 'upstream', hz: 250, parameters: {}, nextMinor: 0, nextTrackerId: 1, devices: [], snapshots: [], cleanShutdown: false });
    expect(fs.fsyncSync).toHaveBeenCalledTimes(2);
    expect(readStateFile(dir)?.cleanShutdown).toBe(false);
  });

  it('writes runtime.json whole and 0600 without flushing it', () => {
    const file = writeRuntimeFile(dir, { url: 'http://127.0.0.1:1/?token=secret', token: 'secret', port: 1 });
    expect(fs.fsyncSync).not.toHaveBeenCalled();
    expect(JSON.parse(readStateFileSync(file))).toEqual({ pid: process.pid, url: 'http://127.0.0.1:1/?token=secret', token: 'secret', port: 1 });
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    // Written beside and renamed into place: no temporary file is left.
    expect(fs.readdirSync(dir)).toEqual(['runtime.json']);
  });
});
