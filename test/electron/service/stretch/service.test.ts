// The stretch service's rules with a scripted control and the emulator allocator (no module).
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BlksnapControl } from '../../../../electron/control/types';
import { EmulatorRangeAllocator, StretchService, type RangeAllocator, type StretchAppEvent } from '../../../../electron/service/stretch';
import { MANIFEST_NAME } from '../../../../electron/service/stretch/manifest';
import { appError } from '../../../../shared/errors';
import type { SectorRange, SnapshotEvent } from '../../../../shared/schemas';

const ID = '0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9';
const OTHER = '11111111-2222-4333-8444-555555555555';
const PORTION = 2048;

interface Appended { id: string; device: string; ranges: SectorRange[] }

function fakeControl(live: string[] = [ID]) {
  const appended: Appended[] = [];
  const state = { live, failAppend: false };
  const control = {
    appendStorage: async (id: string, device: string, ranges: SectorRange[]) => {
      if (state.failAppend) throw appError('EBADARG', 'refused by the test');
      appended.push({ id, device, ranges });
    },
    snapshotCollect: async () => state.live,
  } as unknown as BlksnapControl;
  return { control, appended, state };
}

const low = (sectors = PORTION, id = ID): SnapshotEvent => ({ snapshotId: id, code: 0, kind: 'low_free_space', timeLabelNs: '1', device: null, errCode: null, requestedSectors: sectors });
const corrupted = (): SnapshotEvent => ({ snapshotId: ID, code: 1, kind: 'corrupted', timeLabelNs: '2', device: { major: 254, minor: 0 }, errCode: 28, requestedSectors: null });

let dir = '';
let events: StretchAppEvent[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'stretch-unit-'));
  events = [];
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function service(control: BlksnapControl, limitPortions = 3, allocator: RangeAllocator = new EmulatorRangeAllocator()) {
  return new StretchService({ control, snapshotId: ID, directory: dir, limitBytes: limitPortions * PORTION * 512, allocator, onAppEvent: (e) => events.push(e) });
}

describe('StretchService', () => {
  it('answers each low_free_space with the next diff_storage#<k> file, one range on its own path (emulator)', async () => {
    const { control, appended } = fakeControl();
    const s = service(control);
    await s.start();
    await s.onEvent(low());
    await s.onEvent(low());
    expect(appended).toEqual([0, 1].map((k) => ({ id: ID, device: join(dir, `diff_storage#${k}`), ranges: [{ offsetSectors: 0, countSectors: PORTION }] })));
    const file = statSync(join(dir, 'diff_storage#0'));
    expect(file.size).toBe(PORTION * 512);
    expect(file.mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(join(dir, MANIFEST_NAME), 'utf8'))).toMatchObject({ snapshotId: ID, files: [join(dir, 'diff_storage#0'), join(dir, 'diff_storage#1')] });
    expect(events.every((e) => e.kind === 'stretch' && e.source === 'app' && e.snapshotId === ID)).toBe(true);
    expect(s.status()).toMatchObject({ state: 'running', allocatedBytes: 2 * PORTION * 512 });
  });

  it('stops at the limit: warns as soon as the next portion would not fit, then declines the request', async () => {
    const { control, appended } = fakeControl();
    const s = service(control, 2);
    await s.start();
    await s.onEvent(low());
    expect(events.some((e) => e.level === 'warning')).toBe(false);
    await s.onEvent(low());
    const warned = events.findIndex((e) => e.level === 'warning' && /limit reached/.test(e.message));
    expect(warned).toBeGreaterThan(0);
    await s.onEvent(low());
    expect(appended).toHaveLength(2);
    expect(events.slice(warned + 1).some((e) => e.level === 'warning' && /not answered/.test(e.message))).toBe(true);
    expect(s.status()).toMatchObject({ limitReached: true, unansweredRequests: 1, allocatedBytes: 2 * PORTION * 512 });
  });

  it('treats corrupted as the end: reports the loss and answers nothing more', async () => {
    const { control, appended } = fakeControl();
    const s = service(control);
    await s.start();
    await s.onEvent(corrupted());
    await s.onEvent(low());
    expect(appended).toHaveLength(0);
    expect(s.status().state).toBe('lost');
    expect(events.some((e) => e.level === 'error' && /254:0 corrupted/.test(e.message))).toBe(true);
  });

  it('ignores other snapshots\' events and keeps events that came before start', async () => {
    const { control, appended } = fakeControl();
    const s = service(control);
    await s.onEvent(low());
    await s.onEvent(low(PORTION, OTHER));
    expect(appended).toHaveLength(0);
    await s.start();
    await new Promise((r) => setTimeout(r, 50));
    expect(appended).toHaveLength(1);
  });

  it('deletes a file the module refused and reports it', async () => {
    const { control, state } = fakeControl();
    state.failAppend = true;
    const s = service(control);
    await s.start();
    await s.onEvent(low());
    expect(readdirSync(dir)).toEqual([MANIFEST_NAME]);
    expect(events.some((e) => e.level === 'error' && /refused by the test/.test(e.message))).toBe(true);
    expect(s.status().unansweredRequests).toBe(1);
  });

  it('deletes its files only once the snapshot is gone from the module', async () => {
    const { control, state } = fakeControl();
    const s = service(control);
    await s.start();
    await s.onEvent(low());
    await expect(s.stop({ deleteFiles: true })).rejects.toThrow(/still exists/);
    expect(existsSync(join(dir, 'diff_storage#0'))).toBe(true);
    state.live = [];
    await s.stop({ deleteFiles: true });
    expect(readdirSync(dir)).toEqual([]);
  });

  it('at start, deletes a dead snapshot\'s leftovers, refuses a directory a live one still uses, resumes its own', async () => {
    writeFileSync(join(dir, 'diff_storage#0'), 'x');
    writeFileSync(join(dir, 'unrelated.txt'), 'keep me');
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const manifest = (id: string) => writeFileSync(join(dir, MANIFEST_NAME), JSON.stringify({ version: 1, snapshotId: id, bootId: boot, createdAtMs: 0, files: [join(dir, 'diff_storage#0'), join(dir, '..', 'escape')] }));
    manifest(OTHER);
    await expect(service(fakeControl([OTHER, ID]).control).start()).rejects.toThrow(/holds storage of snapshot/);
    // Not listed any more, but the same boot: a v1 module may still write into it (spec §6.3).
    await expect(service(fakeControl([ID]).control).start()).rejects.toThrow(/may still write/);
    expect(existsSync(join(dir, 'diff_storage#0'))).toBe(true);
    writeFileSync(join(dir, MANIFEST_NAME), JSON.stringify({ version: 1, snapshotId: OTHER, bootId: 'an-earlier-boot', createdAtMs: 0, files: [join(dir, 'diff_storage#0'), join(dir, '..', 'escape')] }));
    await service(fakeControl([ID]).control).start();
    expect(readdirSync(dir).sort()).toEqual([MANIFEST_NAME, 'unrelated.txt']);
    expect(events.some((e) => /deleted 1 leftover/.test(e.message))).toBe(true);
    writeFileSync(join(dir, 'diff_storage#0'), Buffer.alloc(PORTION * 512));
    manifest(ID);
    const resumed = service(fakeControl([ID]).control);
    await resumed.start();
    expect(resumed.status()).toMatchObject({ allocatedBytes: PORTION * 512, files: [{ path: join(dir, 'diff_storage#0') }] });
  });

  it('cleanupLeftovers deletes after a reboot even if an id matches, and only its own file names', async () => {
    writeFileSync(join(dir, 'diff_storage#3'), 'x');
    writeFileSync(join(dir, 'notes'), 'x');
    writeFileSync(join(dir, MANIFEST_NAME), JSON.stringify({ version: 1, snapshotId: ID, bootId: 'another-boot', createdAtMs: 0, files: [join(dir, 'diff_storage#3'), join(dir, 'notes')] }));
    const result = await StretchService.cleanupLeftovers(dir, { liveSnapshotIds: [ID] });
    expect(result.deleted).toEqual([join(dir, 'diff_storage#3')]);
    expect(readdirSync(dir)).toEqual(['notes']);
    expect(await StretchService.cleanupLeftovers(dir)).toEqual({ deleted: [], kept: [], reason: null });
  });

  it('cleanupLeftovers keeps the files when the boot is unknown, listed or not', async () => {
    writeFileSync(join(dir, 'diff_storage#0'), 'x');
    writeFileSync(join(dir, MANIFEST_NAME), JSON.stringify({ version: 1, snapshotId: ID, bootId: null, createdAtMs: 0, files: [join(dir, 'diff_storage#0')] }));
    expect((await StretchService.cleanupLeftovers(dir, { liveSnapshotIds: [ID] })).kept).toEqual([join(dir, 'diff_storage#0')]);
    expect((await StretchService.cleanupLeftovers(dir, { liveSnapshotIds: [] })).kept).toEqual([join(dir, 'diff_storage#0')]);
  });

  it('keeps answering after a step fails outside the allocation (reported, counted)', async () => {
    const { control, appended } = fakeControl();
    let calls = 0;
    const flaky: RangeAllocator = {
      name: 'flaky', checkDirectory: async () => undefined,
      allocate: async (path, size) => {
        calls += 1;
        if (calls === 1) throw new Error('disk hiccup');
        return new EmulatorRangeAllocator().allocate(path, size);
      },
    };
    const s = service(control, 3, flaky);
    await s.start();
    await s.onEvent(low());
    await s.onEvent(low());
    expect(appended).toHaveLength(1);
    expect(s.status().unansweredRequests).toBe(1);
    expect(events.some((e) => e.level === 'error' && /disk hiccup/.test(e.message))).toBe(true);
  });

  it('refuses a directory the allocator refuses', async () => {
    const refusing: RangeAllocator = { name: 'test', checkDirectory: async () => { throw appError('EBADARG', 'not ext4'); }, allocate: async () => { throw new Error('unused'); } };
    await expect(service(fakeControl().control, 3, refusing).start()).rejects.toThrow(/not ext4/);
    expect(existsSync(join(dir, MANIFEST_NAME))).toBe(false);
  });
});
