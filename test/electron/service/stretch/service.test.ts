// The stretch service's rules with a scripted control and the emulator allocator (no module).
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BlksnapControl } from '../../../../electron/control/types';
import { EmulatorRangeAllocator, StretchService, type RangeAllocator, type StretchAppEvent } from '../../../../electron/service/stretch';
import { manifestName } from '../../../../electron/service/stretch/manifest';
import { appError } from '../../../../shared/errors';
import type { SectorRange, SnapshotEvent } from '../../../../shared/schemas';

const ID = '0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9';
const OTHER = '11111111-2222-4333-8444-555555555555';
const PORTION = 2048;
const MANIFEST_NAME = manifestName(ID);
const OTHER_MANIFEST = manifestName(OTHER);

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

function service(control: BlksnapControl, limitPortions: number | null = 3, allocator: RangeAllocator = new EmulatorRangeAllocator()) {
  return new StretchService({ control, snapshotId: ID, directory: dir, limitBytes: limitPortions === null ? null : limitPortions * PORTION * 512, allocator, onAppEvent: (e) => events.push(e) });
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
    await expect.poll(() => appended.length, { timeout: 15_000 }).toBeGreaterThan(0);
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

  it('at start, keeps a dead or live snapshot\'s leftovers within the boot and stretches beside them, deletes them after a reboot, resumes its own', async () => {
    writeFileSync(join(dir, 'diff_storage#0'), 'x');
    writeFileSync(join(dir, 'unrelated.txt'), 'keep me');
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const other = (bootId: string) => writeFileSync(join(dir, OTHER_MANIFEST), JSON.stringify({ version: 1, snapshotId: OTHER, bootId, createdAtMs: 0, files: [join(dir, 'diff_storage#0'), join(dir, '..', 'escape')] }));
    other(boot);
    // Listed, or not listed in the same boot (a v1 module may still write into it, spec §6.3):
    // its files stay, and this snapshot still gets storage, in a file of its own (issue 19, item 2).
    for (const live of [[OTHER, ID], [ID]]) {
      const { control, appended } = fakeControl(live);
      const s = service(control);
      await s.start();
      await s.onEvent(low());
      expect(appended.map((a) => a.device)).toEqual([join(dir, 'diff_storage#1')]);
      expect(existsSync(join(dir, 'diff_storage#0'))).toBe(true);
      expect(events.some((e) => /stay in .* uses new files beside them/.test(e.message))).toBe(true);
      await s.stop({ deleteFiles: false });
      rmSync(join(dir, 'diff_storage#1'), { force: true });
      rmSync(join(dir, MANIFEST_NAME), { force: true });
    }
    other('an-earlier-boot');
    await service(fakeControl([ID]).control).start();
    expect(readdirSync(dir).sort()).toEqual([MANIFEST_NAME, 'unrelated.txt']);
    expect(events.some((e) => /deleted 1 leftover/.test(e.message))).toBe(true);
    writeFileSync(join(dir, 'diff_storage#0'), Buffer.alloc(PORTION * 512));
    writeFileSync(join(dir, MANIFEST_NAME), JSON.stringify({ version: 1, snapshotId: ID, bootId: boot, createdAtMs: 0, limitBytes: 3 * PORTION * 512, files: [join(dir, 'diff_storage#0')] }));
    const resumed = service(fakeControl([ID]).control);
    await resumed.start();
    expect(resumed.status()).toMatchObject({ allocatedBytes: PORTION * 512, files: [{ path: join(dir, 'diff_storage#0') }] });
  });

  it('caps a request beyond the limit at what is left, as the v1 tool does (issue 19, item 1)', async () => {
    const { control, appended } = fakeControl();
    // The module asks for 1 GiB at create (diff_storage_minimum); the user allows 128 MiB.
    const s = new StretchService({ control, snapshotId: ID, directory: dir, limitBytes: 128 * 2 ** 20, allocator: new EmulatorRangeAllocator(), onAppEvent: (e) => events.push(e) });
    await s.start();
    await s.onEvent(low(2 ** 21));
    expect(appended).toEqual([{ id: ID, device: join(dir, 'diff_storage#0'), ranges: [{ offsetSectors: 0, countSectors: 128 * 2048 }] }]);
    expect(statSync(join(dir, 'diff_storage#0')).size).toBe(128 * 2 ** 20);
    expect(events.some((e) => e.level === 'warning' && /asks for 1 GiB; 128 MiB allocated/.test(e.message))).toBe(true);
    expect(s.status()).toMatchObject({ allocatedBytes: 128 * 2 ** 20, limitReached: true, unansweredRequests: 0 });
    await s.onEvent(low(2 ** 21));
    expect(appended).toHaveLength(1);
    expect(s.status().unansweredRequests).toBe(1);
  });

  it('caps the rest in whole pages: a limit that is not a page multiple never yields an unaligned file', async () => {
    const { control, appended } = fakeControl();
    const s = new StretchService({ control, snapshotId: ID, directory: dir, limitBytes: 3 * 4096 + 1536, allocator: new EmulatorRangeAllocator(), onAppEvent: (e) => events.push(e) });
    await s.start();
    await s.onEvent(low(PORTION));
    expect(appended[0]?.ranges).toEqual([{ offsetSectors: 0, countSectors: 24 }]);
    await s.onEvent(low(PORTION));
    expect(appended).toHaveLength(1);
  });

  it('a later process resumes with the limit the manifest keeps, not 0 (issue 19, item 3)', async () => {
    const first = fakeControl();
    const a = service(first.control, 3);
    await a.start();
    await a.onEvent(low());
    await a.stop({ deleteFiles: false });
    expect(JSON.parse(readFileSync(join(dir, MANIFEST_NAME), 'utf8'))).toMatchObject({ limitBytes: 3 * PORTION * 512 });
    // The next run does not know the limit (its fill sample has none yet): null, or a wrong 0.
    for (const given of [null, 0]) {
      const later = fakeControl();
      const b = service(later.control, given);
      await b.start();
      expect(b.status()).toMatchObject({ limitBytes: 3 * PORTION * 512, allocatedBytes: PORTION * 512 });
      await b.onEvent(low());
      expect(later.appended).toHaveLength(1);
      await b.stop({ deleteFiles: false });
      rmSync(join(dir, 'diff_storage#1'), { force: true });
      const m = JSON.parse(readFileSync(join(dir, MANIFEST_NAME), 'utf8')) as { files: string[] };
      writeFileSync(join(dir, MANIFEST_NAME), JSON.stringify({ ...m, files: m.files.slice(0, 1) }));
    }
  });

  it('refuses to resume without a known limit instead of answering nothing', async () => {
    await expect(service(fakeControl().control, null).start()).rejects.toThrow(/its limit is not known/);
  });

  it('cleanupLeftovers deletes after a reboot even if the snapshot is listed, and only its own file names', async () => {
    writeFileSync(join(dir, 'diff_storage#3'), 'x');
    writeFileSync(join(dir, 'notes'), 'x');
    writeFileSync(join(dir, OTHER_MANIFEST), JSON.stringify({ version: 1, snapshotId: OTHER, bootId: 'another-boot', createdAtMs: 0, files: [join(dir, 'diff_storage#3'), join(dir, 'notes')] }));
    const result = await StretchService.cleanupLeftovers(dir, { liveSnapshotIds: [OTHER] });
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
