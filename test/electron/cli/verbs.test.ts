// Every verb's options, output and errors, against a fake service.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AppEvent, BlksnapApi, DoctorReport } from '../../../shared/contract';
import { appError, errnoError } from '../../../shared/errors';
import type { BackendInfo, SnapshotEvent } from '../../../shared/schemas';
import { cli, fakeApi, fakeConnector } from './harness';

const ID = '3f2b8e1c-0a4d-4f6e-9b1a-2c3d4e5f6a7b';

function backend(dialect: 'lk6.15' | 'v1' = 'lk6.15'): BackendInfo {
  const v1 = dialect === 'v1';
  return {
    kind: 'emulator', dialect, dialectLabel: v1 ? 'v1 (emulated)' : 'upstream lk6.15 (emulated)', verified: true,
    reason: 'no module; using the emulator', version: v1 ? { major: 1, minor: 0, revision: 0, build: 0 } : { major: 2, minor: 0, revision: 0, build: 0 },
    controlNode: null, stateDir: '/tmp/x',
    capabilities: {
      explicitAttach: !v1, addAfterCreate: !v1, appendStorage: v1, cbtMapNeedsTakenSnapshot: v1, maxSnapshots: v1 ? 1 : null,
      storageModes: v1 ? ['ranges'] : ['file', 'directory', 'block'], eventCodes: v1 ? { 0: 'low_free_space', 1: 'corrupted' } : { 0: 'corrupted', 1: 'no_space' },
      needsStretchService: v1,
    },
  };
}

function event(kind: SnapshotEvent['kind'], extra: Partial<SnapshotEvent> = {}): SnapshotEvent {
  return { snapshotId: ID, code: { corrupted: 0, no_space: 1, low_free_space: 2, unknown: 7 }[kind], kind, timeLabelNs: '4294967396', device: null, errCode: null, requestedSectors: null, ...extra };
}

async function run(argv: string[], methods: Partial<BlksnapApi> = {}) {
  const connect = fakeConnector(fakeApi({ backendInfo: async () => backend(), ...methods }));
  const r = await cli(argv, { connect, env: {} });
  return { ...r, connects: connect.connects, closes: connect.closes };
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'blksnapctl-verbs-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('the command line', () => {
  it('says "Command not found." without a command', async () => {
    const r = await run([]);
    expect([r.code, r.stdout, r.stderr]).toEqual([1, '', 'Command not found.\n']);
  });

  it('says "Command is not set." for an unknown command', async () => {
    const r = await run(['snapshot_explode']);
    expect([r.code, r.stderr]).toEqual([1, 'Command is not set.\n']);
  });

  it.each(['help', '--help', '-h'])('prints the usage of every command for %s', async (word) => {
    const r = await run([word]);
    expect(r.code).toBe(0);
    expect(r.lines.slice(0, 6)).toEqual(['Usage:', '--help, -h or help:', '\tPrint this usage.', '<command> [arguments]:', '\tExecute the management command.', '']);
    for (const verb of ['version', 'attach', 'detach', 'cbtinfo', 'readcbtmap', 'markdirtyblock', 'snapshot_create', 'snapshot_add', 'snapshot_take',
      'snapshot_collect', 'snapshot_destroy', 'snapshot_info', 'snapshot_waitevent', 'snapshot_watcher', 'emu_create', 'emu_remove', 'emu_list',
      'emu_write', 'emu_read', 'emu_workload', 'doctor']) expect(r.lines).toContain(`${verb}:`);
    expect(r.stdout).toContain('  -d [ --device ] arg   Device name.');
    expect(r.stdout).toContain('--json');
    expect(r.connects).toBe(0);
  });

  it('prints one command\'s usage for -h and --help, without touching the service', async () => {
    const r = await run(['attach', '-h']);
    expect(r.stdout).toBe('Attach blksnap tracker to block device.\n  -h [ --help ]         Print usage for command.\n  -d [ --device ] arg   Device name.\n\n');
    expect((await run(['snapshot_take', '--help'])).lines[0]).toBe('Take snapshot.');
    expect(r.connects).toBe(0);
  });

  it.each([
    [['attach'], 'device'], [['detach'], 'device'], [['cbtinfo'], 'device'], [['readcbtmap'], 'device'], [['readcbtmap', '-d', '/dev/x'], 'file'],
    [['markdirtyblock'], 'device'], [['markdirtyblock', '-d', '/dev/x'], 'ranges'],
    [['snapshot_add', '-i', ID], 'device'], [['snapshot_add', '-d', '/dev/x'], 'id'], [['snapshot_take'], 'id'], [['snapshot_destroy'], 'id'],
    [['snapshot_info'], 'device'], [['snapshot_waitevent'], 'id'], [['snapshot_waitevent', '-i', ID], 'timeout'], [['snapshot_watcher'], 'id'],
    [['emu_create'], 'name'], [['emu_create', '-n', 'd'], 'size'], [['emu_remove'], 'name'], [['emu_write'], 'device'], [['emu_read', '-d', '/dev/x', '-o', '0', '-l', '1'], 'out'],
  ])('%j says which argument is missed', async (argv, name) => {
    const r = await run(argv);
    expect([r.code, r.stdout, r.stderr, r.connects]).toEqual([1, '', `Argument '${name}' is missed.\n`, 0]);
  });

  it.each([[['snapshot_create'], 'file'], [['snapshot_create', '-f', '/tmp'], 'limit']])('%j says which argument is missed (after asking the dialect)', async (argv, name) => {
    const r = await run(argv);
    expect([r.code, r.stdout, r.stderr]).toEqual([1, '', `Argument '${name}' is missed.\n`]);
  });

  it.each([
    ['cbtinfo', '-d', '/dev/x', '-j'], ['readcbtmap', '-d', '/dev/x', '-f', '/tmp/m', '-j'], ['snapshot_info', '-d', '/dev/x', '--json-'.slice(0, 4)],
    ['snapshot_collect', '-j'], ['snapshot_waitevent', '-i', ID, '-t', '1', '-j'],
  ])('keeps the upstream -j failing: %j', async (...argv) => {
    const r = await run(argv);
    expect([r.code, r.stderr]).toEqual([1, "Argument 'json' is not supported yet.\n"]);
  });

  it('reports boost parse errors', async () => {
    expect((await run(['attach', '-d', '/dev/a', '-d', '/dev/b'])).stderr).toBe("option '--device' cannot be specified more than once\n");
    expect((await run(['attach', '--bogus'])).stderr).toBe("unrecognised option '--bogus'\n");
    expect((await run(['attach', '/dev/sda'])).stderr).toBe('too many positional options have been specified on the command line\n');
  });

  it('prints a service error with the errno name and meaning, exit 1, and closes the connection', async () => {
    const r = await run(['detach', '-d', '/dev/x'], { detach: async () => { throw errnoError('ENOENT', 'BLKFILTER_DETACH', 'the device is not tracked', { device: '/dev/x' }); } });
    expect([r.code, r.stdout, r.stderr]).toEqual([1, '', 'blksnapctl: BLKFILTER_DETACH: ENOENT (No such file or directory): the device is not tracked\n']);
    expect([r.connects, r.closes]).toEqual([1, 1]);
  });

  it('names the code of an error whose message does not', async () => {
    const r = await run(['snapshot_take', '-i', ID], { snapshotTake: async () => { throw appError('EGUARD', 'one v1 snapshot at a time'); } });
    expect(r.stderr).toBe('blksnapctl: one v1 snapshot at a time (EGUARD: Refused by a safety guard of blksnap Manager)\n');
  });

  it('refuses a malformed snapshot id before calling the service', async () => {
    const r = await run(['snapshot_take', '-i', 'not-a-uuid']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^blksnapctl: 'not-a-uuid' is not a snapshot id .*\(EBADARG: A request argument is invalid\)\n$/);
    expect(r.connects).toBe(0);
  });

  it('with --json, also prints the error as JSON on stdout', async () => {
    const r = await run(['--json', 'snapshot_destroy', '-i', ID], { snapshotDestroy: async () => { throw errnoError('ENODEV', 'SNAPSHOT_DESTROY', 'no such snapshot'); } });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: 'ENODEV', errno: 19, operation: 'SNAPSHOT_DESTROY' } });
  });
});

describe('tracker verbs', () => {
  it('version prints M.m.r.b and ignores -j', async () => {
    expect((await run(['version'])).lines).toEqual(['2.0.0.0']);
    expect((await run(['version', '-j'])).lines).toEqual(['2.0.0.0']);
    expect(JSON.parse((await run(['version', '--json'])).stdout)).toMatchObject({ version: '2.0.0.0', backend: 'emulator', dialect: 'lk6.15' });
  });

  it('attach says Attached successfully, or Already was attached on EALREADY', async () => {
    expect((await run(['attach', '-d', '/dev/x'], { attach: async () => ({ ok: true }) })).lines).toEqual(['Attached successfully']);
    const again = await run(['attach', '--dev', '/dev/x'], { attach: async () => { throw errnoError('EALREADY', 'BLKFILTER_ATTACH', 'already attached'); } });
    expect([again.code, again.lines]).toEqual([0, ['Already was attached']]);
  });

  it('detach prints nothing and passes --force', async () => {
    const calls: unknown[] = [];
    const r = await run(['detach', '-d', '/dev/x', '--force'], { detach: async (a) => { calls.push(a); return { ok: true }; } });
    expect([r.code, r.stdout, calls]).toEqual([0, '', [{ device: '/dev/x', force: true }]]);
  });

  it('cbtinfo prints the five keys in the upstream order', async () => {
    const r = await run(['cbtinfo', '-d', '/dev/x'], {
      cbtInfo: async () => ({ deviceCapacityBytes: 1 << 30, blockSizeBytes: 65536, blockCount: 16384, generationId: ID, changesNumber: 3 }),
    });
    expect(r.lines).toEqual(['block_size=65536', 'device_capacity=1073741824', 'block_count=16384', `generation_id=${ID}`, 'changes_number=3']);
  });

  it('readcbtmap writes the whole read map to the file', async () => {
    const map = new Uint8Array([0, 1, 2, 255]);
    const r = await run(['readcbtmap', '-d', '/dev/x', '--file', join(dir, 'map')], { cbtMap: async () => map });
    expect([r.code, r.stdout]).toEqual([0, '']);
    expect(new Uint8Array(readFileSync(join(dir, 'map')))).toEqual(map);
  });

  it('markdirtyblock takes multitoken, repeatable ranges (and the --range prefix)', async () => {
    const calls: unknown[] = [];
    const r = await run(['markdirtyblock', '-d', '/dev/x', '-r', '0:8', '64:16', '--range', '1024:1'], { markDirty: async (a) => { calls.push(a); return { ok: true }; } });
    expect(r.code).toBe(0);
    expect(calls).toEqual([{ device: '/dev/x', ranges: [{ offsetSectors: 0, countSectors: 8 }, { offsetSectors: 64, countSectors: 16 }, { offsetSectors: 1024, countSectors: 1 }] }]);
  });

  it('markdirtyblock refuses a range without a colon', async () => {
    expect((await run(['markdirtyblock', '-d', '/dev/x', '-r', '12'])).stderr).toBe('Invalid format of range string.\n');
  });

  it('markdirtyblock --file prints the device path of the file\'s filesystem first', async () => {
    writeFileSync(join(dir, 'f'), Buffer.alloc(8192, 1));
    const r = await run(['markdirtyblock', '-f', join(dir, 'f')], { markDirty: async () => ({ ok: true }) });
    expect(r.lines[0]).toMatch(/^device path: '\/dev\/block\/\d+:\d+'$/);
    // tmpfs and overlay filesystems may refuse FIEMAP; where they answer, each extent is listed.
    if (r.code === 0) for (const line of r.lines.slice(1)) expect(line).toMatch(/^allocate range: ofs=\d+ cnt=\d+$/);
    else expect(r.stderr).toMatch(/^blksnapctl: markdirtyblock --file: E[A-Z]+ .*FIEMAP|ffi-rs/);
  });
});

describe('snapshot verbs', () => {
  it('snapshot_create prints the id first, then adds each device, attaching where not tracked', async () => {
    const calls: string[] = [];
    const attached = new Set<string>(['/dev/a']);
    const r = await run(['snapshot_create', '-f', '/var/tmp', '-l', '1G', '-d', '/dev/a', '/dev/b'], {
      snapshotCreate: async (req) => { calls.push(`create ${req.diffStoragePath} ${req.diffStorageLimitSectors} [${req.devices.join(',')}]`); return { id: ID }; },
      snapshotAdd: async ({ device }) => {
        calls.push(`add ${device}`);
        if (!attached.has(device)) throw errnoError('ENOENT', 'SNAPSHOTADD', 'not tracked');
        return { ok: true };
      },
      attach: async ({ device }) => { calls.push(`attach ${device}`); attached.add(device); return { ok: true }; },
    });
    expect([r.code, r.lines]).toEqual([0, [ID]]);
    expect(calls).toEqual(['create /var/tmp 2097152 []', 'add /dev/a', 'add /dev/b', 'attach /dev/b', 'add /dev/b']);
  });

  it('snapshot_create parses the limit with the GUI\'s parser and rule (shared/limits.ts)', async () => {
    const limits: number[] = [];
    const methods = { snapshotCreate: async (req: { diffStorageLimitSectors: number }) => { limits.push(req.diffStorageLimitSectors); return { id: ID }; } };
    for (const l of ['100M', '100m', '2G', '1.5G']) expect((await run(['snapshot_create', '-f', '/tmp', '-l', l], methods)).code).toBe(0);
    expect(limits).toEqual([204800, 204800, 4194304, 3145728]);
  });

  it.each([
    [['-l', '-1G'], /negative/], [['--limit', '-1G'], /negative/], [['-l=-1G'], /not a size/], [['-l', '0'], /greater than zero/],
    [['-l', '512K'], /cannot hold a single copied chunk.*smallest limit that works is 2\.25 MiB/], [['-l', '1000'], /512-byte sectors/],
  ])('snapshot_create refuses the limit %j and says why, creating nothing', async (limit, why) => {
    let created = 0;
    const r = await run(['snapshot_create', '-f', '/tmp', ...limit], { snapshotCreate: async () => { created++; return { id: ID }; } });
    expect([r.code, created, r.stdout]).toEqual([1, 0, '']);
    expect(r.stderr).toMatch(why);
  });

  it('snapshot_create explains a limit below diff_storage_minimum on stderr, using the module\'s parameters', async () => {
    const r = await run(['snapshot_create', '-f', '/tmp', '-l', '64M'], { snapshotCreate: async () => ({ id: ID }), parameters: async () => ({ diff_storage_minimum: 2_097_152, chunk_minimum_shift: 18 }) });
    expect([r.code, r.lines]).toEqual([0, [ID]]);
    expect(r.stderr).toMatch(/^blksnapctl: note: 64 MiB is below the module's diff_storage_minimum \(1 GiB\)/);
    const small = await run(['snapshot_create', '-f', '/tmp', '-l', '64M'], { snapshotCreate: async () => ({ id: ID }), parameters: async () => ({ diff_storage_minimum: 65536 }) });
    expect(small.stderr).toBe('');
  });

  it('snapshot_create without -f is range mode where the dialect has one (VAL-7.0)', async () => {
    const val = backend();
    val.capabilities.storageModes = ['file', 'directory', 'block', 'ranges'];
    const reqs: { diffStoragePath: string | null }[] = [];
    const r = await run(['snapshot_create', '-l', '16M'], { backendInfo: async () => val, snapshotCreate: async (req) => { reqs.push(req); return { id: ID }; } });
    expect([r.code, reqs.map((q) => q.diffStoragePath)]).toEqual([0, [null]]);
  });

  it('snapshot_create keeps the printed snapshot when adding a device fails', async () => {
    const r = await run(['snapshot_create', '-f', '/tmp', '-l', '1G', '-d', '/dev/a'], {
      snapshotCreate: async () => ({ id: ID }),
      snapshotAdd: async () => { throw errnoError('EBUSY', 'SNAPSHOTADD', 'the device is in another snapshot'); },
    });
    expect([r.code, r.lines]).toEqual([1, [ID]]);
    expect(r.stderr).toMatch(/EBUSY/);
  });

  it('snapshot_create on v1 requires the devices and gives them at create', async () => {
    const v1 = { backendInfo: async () => backend('v1') };
    expect((await run(['snapshot_create', '-f', '/tmp', '-l', '1G'], v1)).stderr).toBe("Argument 'device' is missed.\n");
    expect((await run(['snapshot_create', '-l', '1G', '-d', '/dev/a'], v1)).stderr).toBe("Argument 'file' is missed.\n");
    const reqs: unknown[] = [];
    const r = await run(['snapshot_create', '-f', '/tmp', '-l', '1G', '-d', '/dev/a', '/dev/b'], { ...v1, snapshotCreate: async (req) => { reqs.push(req); return { id: ID }; } });
    expect([r.code, r.lines]).toEqual([0, [ID]]);
    expect(reqs).toEqual([{ diffStoragePath: '/tmp', diffStorageLimitSectors: 2097152, devices: ['/dev/a', '/dev/b'] }]);
  });

  it('snapshot_add auto-attaches', async () => {
    const calls: string[] = [];
    let tracked = false;
    const r = await run(['snapshot_add', '-i', ID, '-d', '/dev/a'], {
      snapshotAdd: async () => { calls.push('add'); if (!tracked) throw errnoError('ENOENT', 'SNAPSHOTADD', 'not tracked'); return { ok: true }; },
      attach: async () => { calls.push('attach'); tracked = true; return { ok: true }; },
    });
    expect([r.code, r.stdout, calls]).toEqual([0, '', ['add', 'attach', 'add']]);
  });

  it('snapshot_take and snapshot_destroy print nothing', async () => {
    const ok = async () => ({ ok: true as const });
    expect(await run(['snapshot_take', '-i', ID], { snapshotTake: ok })).toMatchObject({ code: 0, stdout: '' });
    expect(await run(['snapshot_destroy', '--id', ID.toUpperCase()], { snapshotDestroy: ok })).toMatchObject({ code: 0, stdout: '' });
  });

  it('snapshot_collect prints each id followed by a space, then an empty line', async () => {
    const summary = (id: string) => ({ id }) as unknown as Awaited<ReturnType<BlksnapApi['listSnapshots']>>[number];
    const other = '11111111-2222-4333-8444-555555555555';
    const r = await run(['snapshot_collect'], { listSnapshots: async () => [summary(ID), summary(other)] });
    expect(r.stdout).toBe(`${ID} \n${other} \n\n`);
    expect((await run(['snapshot_collect'], { listSnapshots: async () => [] })).stdout).toBe('\n');
    expect(JSON.parse((await run(['snapshot_collect', '--json'], { listSnapshots: async () => [summary(ID)] })).stdout)).toEqual({ ids: [ID] });
  });

  describe('snapshot_info', () => {
    const device = (tracked: boolean, snapshot: { errorCode: number; image: string } | null) => ({
      listDevices: async () => [{ path: '/dev/a', name: 'a', devId: { major: 252, minor: 0 }, capacitySectors: 8, tracked, discovery: 'emulator' as const, cbt: null, snapshotId: snapshot ? ID : null, snapshot, emulated: true }],
    });

    it('prints error_code= and image=/dev/<name>, an empty image= before the take', async () => {
      expect((await run(['snapshot_info', '-d', '/dev/a'], device(true, { errorCode: -28, image: 'blksnap-252-0' }))).lines).toEqual(['error_code=-28', 'image=/dev/blksnap-252-0']);
      expect((await run(['snapshot_info', '-d', '/dev/a'], device(true, null))).lines).toEqual(['error_code=0', 'image=']); // no image before a take, not a bare /dev/
    });

    it('prints the bare value of --field', async () => {
      const m = device(true, { errorCode: -5, image: 'blksnap-252-0' });
      expect((await run(['snapshot_info', '-d', '/dev/a', '--field', 'image'], m)).lines).toEqual(['/dev/blksnap-252-0']);
      expect((await run(['snapshot_info', '-d', '/dev/a', '-f', 'error_code'], m)).lines).toEqual(['-5']);
      expect((await run(['snapshot_info', '-d', '/dev/a', '-f', 'size'], m)).code).toBe(1);
    });

    it('answers ENOENT for an untracked or unknown device', async () => {
      expect((await run(['snapshot_info', '-d', '/dev/a'], device(false, null))).stderr).toMatch(/^blksnapctl: snapshot_info: ENOENT .*not tracked/);
      expect((await run(['snapshot_info', '-d', '/dev/zz'], device(true, null))).stderr).toMatch(/^blksnapctl: snapshot_info: ENOENT .*no such block device/);
    });
  });
});

describe('event verbs', () => {
  it('snapshot_waitevent passes the timeout as ticks and prints the event', async () => {
    const asked: unknown[] = [];
    const r = await run(['snapshot_waitevent', '-i', ID, '-t', '250'], { waitEvent: async (a) => { asked.push(a); return event('no_space', { requestedSectors: 20480 }); } });
    expect(asked).toEqual([{ id: ID, timeoutTicks: 250 }]);
    expect(r.lines).toEqual(['result=ok', 'time=4294967396', 'event=no_space']);
  });

  it('snapshot_waitevent prints timeout, interrupted and not found', async () => {
    expect((await run(['snapshot_waitevent', '-i', ID, '-t', '1'], { waitEvent: async () => null })).lines).toEqual(['result=timeout']);
    expect((await run(['snapshot_waitevent', '-i', ID, '-t', '1'], { waitEvent: async () => { throw errnoError('EINTR', 'SNAPSHOT_WAIT_EVENT', 'interrupted'); } })).lines).toEqual(['result=interrupted']);
    expect((await run(['snapshot_waitevent', '-i', ID, '-t', '1'], { waitEvent: async () => { throw errnoError('ESRCH', 'SNAPSHOT_WAIT_EVENT', 'no such snapshot'); } })).lines).toEqual(['result=not found']);
  });

  it('snapshot_waitevent prints an unknown code as a number, and v1 low_free_space with requested_nr_sect', async () => {
    expect((await run(['snapshot_waitevent', '-i', ID, '-t', '1'], { waitEvent: async () => event('unknown') })).lines[2]).toBe('event=7');
    const v1 = await run(['snapshot_waitevent', '-i', ID, '-t', '1'], { backendInfo: async () => backend('v1'), waitEvent: async () => event('low_free_space', { requestedSectors: 2097152 }) });
    expect(v1.lines.slice(2)).toEqual(['event=low_free_space', 'requested_nr_sect=2097152']);
  });

  it('snapshot_waitevent refuses a timeout that is not a number', async () => {
    expect((await run(['snapshot_waitevent', '-i', ID, '-t', 'soon'])).code).toBe(1);
  });

  it('snapshot_watcher prints every kind of event and the stretch steps, until the snapshot is gone', async () => {
    const queue: (SnapshotEvent | null | 'gone')[] = [
      event('low_free_space', { requestedSectors: 2097152 }), null, event('no_space', { requestedSectors: 3 * 2097152 }), event('unknown'), 'gone',
    ];
    const history: AppEvent[] = [];
    const stretch: AppEvent = { seq: 5, timeMs: 0, source: 'app', level: 'info', kind: 'stretch', snapshotId: ID, device: null, message: 'appended 1024 MiB (diff_storage#0)', module: null };
    const r = await run(['snapshot_watcher', '-i', ID], {
      eventHistory: async () => history,
      waitEvent: async (a) => {
        expect(a.timeoutTicks).toBe(1000);
        const next = queue.shift();
        if (next === 'gone') throw errnoError('ESRCH', 'SNAPSHOT_WAIT_EVENT', 'no such snapshot');
        if (next?.kind === 'low_free_space') history.push(stretch);
        return next ?? null;
      },
    });
    expect(r.lines).toEqual([
      'Start snapshot watcher.',
      '[stretch] appended 1024 MiB (diff_storage#0)',
      '100 - Low free space in diff storage. Requested 2097152 sectors.',
      '100 - The the difference storage already grow up to 3072 MiB. Limit has been reached.',
      '100 - unsupported event #7.',
      'Snapshot not found',
      'Snapshot watcher finished',
    ]);
  });

  it('snapshot_watcher stops after corrupted, naming the device and strerror', async () => {
    const r = await run(['snapshot_watcher', '-i', ID], {
      eventHistory: async () => [],
      waitEvent: async () => event('corrupted', { device: { major: 252, minor: 3 }, errCode: 5 }),
    });
    expect(r.lines).toEqual(['Start snapshot watcher.', '100 - The snapshot was corrupted for device [252:3] with error "Input/output error".', 'Snapshot watcher finished']);
  });

  it('snapshot_watcher stops on SIGINT', async () => {
    const stop = new AbortController();
    const connect = fakeConnector(fakeApi({ eventHistory: async () => [], waitEvent: async () => { stop.abort(); return null; } }));
    const r = await cli(['snapshot_watcher', '-i', ID], { connect, signal: stop.signal, env: {} });
    expect([r.code, r.lines]).toEqual([0, ['Start snapshot watcher.', 'Snapshot watcher finished']]);
  });
});

describe('doctor', () => {
  const report: DoctorReport = {
    kernelRelease: '6.1.0-test', dialect: 'lk6.15', reasons: ['/dev/blksnap-control not found'], fixes: ['load the module'], backend: backend(),
    modules: [{ name: 'blksnap', loaded: false, version: null, parameters: {} }],
    nodes: [{ path: '/dev/blksnap-control', exists: false, mode: null, note: 'upstream control node' }],
  };

  it('prints the facts, why, and what to fix', async () => {
    const r = await run(['doctor'], { doctor: async () => report });
    expect(r.lines).toEqual([
      'backend: emulator, upstream lk6.15 (emulated) 2.0.0.0', 'reason: no module; using the emulator', 'emulator state: /tmp/x',
      'kernel release: 6.1.0-test', 'kernel dialect: lk6.15', 'modules:', '  blksnap: not loaded', 'nodes:',
      '  /dev/blksnap-control: missing (upstream control node)', 'why:', '  - /dev/blksnap-control not found', 'to fix:', '  - load the module',
    ]);
  });

  it('still reports the facts where the backend cannot start, then fails with its error', async () => {
    const connect = async () => { throw appError('EBACKEND', 'no usable blksnap module'); };
    const r = await cli(['--backend', 'kernel', 'doctor', '--bundle', join(dir, 'b.json')], { connect, env: {} });
    expect(r.code).toBe(1);
    expect(r.lines[0]).toBe('backend: none available');
    expect(r.lines).toContain('modules:');
    expect(r.lines.at(-1)).toBe(`support bundle: ${join(dir, 'b.json')}`);
    expect(r.stderr).toBe('blksnapctl: no usable blksnap module (EBACKEND: The control backend is not available)\n');
    expect(JSON.parse(readFileSync(join(dir, 'b.json'), 'utf8'))).toMatchObject({ tool: 'blksnapctl', backendError: { code: 'EBACKEND' } });
  });

  it('--bundle copies the service\'s support bundle to the file', async () => {
    writeFileSync(join(dir, 'svc.json'), '{"bundle":1}');
    const r = await run(['doctor', '--bundle', join(dir, 'out.json')], { doctor: async () => report, supportBundle: async () => ({ path: join(dir, 'svc.json') }) });
    expect(r.lines.at(-1)).toBe(`support bundle: ${join(dir, 'out.json')}`);
    expect(readFileSync(join(dir, 'out.json'), 'utf8')).toBe('{"bundle":1}');
  });

  it('--bundle writes the report and recent events itself where the service has no bundle', async () => {
    const r = await run(['doctor', '-b', join(dir, 'out.json')], { doctor: async () => report, eventHistory: async () => [] });
    expect(r.code).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8'))).toMatchObject({ tool: 'blksnapctl', doctor: { kernelRelease: '6.1.0-test' }, events: [] });
  });
});

describe('emulator verbs', () => {
  it('emu_write needs a file or a pattern', async () => {
    expect((await run(['emu_write', '-d', '/dev/a', '-o', '0'])).stderr).toBe("Argument 'file' or 'pattern' is missed.\n");
    expect((await run(['emu_write', '-d', '/dev/a', '-o', '0', '-p', '300', '-l', '1'])).code).toBe(1);
  });

  it('emu_write sends the file in order, emu_read writes what it reads', async () => {
    writeFileSync(join(dir, 'in'), Buffer.from('hello'));
    const writes: unknown[] = [];
    await run(['emu_write', '--device', '/dev/a', '--offset', '1K', '--file', join(dir, 'in')], { emuWrite: async (a) => { writes.push({ ...a, data: Buffer.from(a.data).toString() }); return { ok: true }; } });
    expect(writes).toEqual([{ path: '/dev/a', offsetBytes: 1024, data: 'hello' }]);
    const r = await run(['emu_read', '-d', '/dev/a', '-o', '0', '-l', '3', '--out', join(dir, 'out')], { emuRead: async () => new Uint8Array([1, 2, 3]) });
    expect(r.lines).toEqual(['read=3']);
    expect([...readFileSync(join(dir, 'out'))]).toEqual([1, 2, 3]);
  });

  it('emu_workload refuses an unknown pattern', async () => {
    const r = await run(['emu_workload', '-d', '/dev/a', '--pattern', 'zigzag', '--block-size', '4K', '--rate', '0', '--duration', '10']);
    expect(r.stderr).toMatch(/--pattern/);
  });
});
