// Every verb's options, output and errors, against a fake service: the command line, tracker and
// snapshot verbs. Event verbs, doctor and emulator verbs are in verbs-*.test.ts beside it.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { appError, errnoError } from '../../../shared/errors';
import type { BlksnapApi } from '../../../shared/contract';
import { backend, ID, run, tempDirEach } from './harness';

const tmp = tempDirEach('blksnapctl-verbs-');

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
    const r = await run(['readcbtmap', '-d', '/dev/x', '--file', join(tmp(), 'map')], { cbtMap: async () => map });
    expect([r.code, r.stdout]).toEqual([0, '']);
    expect(new Uint8Array(readFileSync(join(tmp(), 'map')))).toEqual(map);
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
    writeFileSync(join(tmp(), 'f'), Buffer.alloc(8192, 1));
    const r = await run(['markdirtyblock', '-f', join(tmp(), 'f')], { markDirty: async () => ({ ok: true }) });
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

  it('snapshot_create\'s note says what the dialect does at the limit: no event and no 2 MiB reserve on v7 (its guest sent corrupted only)', async () => {
    const v7 = { ...backend(), dialect: 'v7' as const };
    v7.capabilities.eventCodes = { 0: 'corrupted' };
    const r = await run(['snapshot_create', '-f', '/tmp', '-l', '16M'], { backendInfo: async () => v7, snapshotCreate: async () => ({ id: ID }), parameters: async () => ({}) });
    expect(r.stderr).toMatch(/sends no event before the overflow \(only a kernel log line\), and the snapshot overflows once about 16 MiB/);
    expect((await run(['snapshot_create', '-f', '/tmp', '-l', '16M'], { snapshotCreate: async () => ({ id: ID }), parameters: async () => ({}) })).stderr).toMatch(/no_space at the first copy.*about 14 MiB/);
  });

  it('snapshot_create without -f is range mode where the dialect has one (VAL-7.0)', async () => {
    const val = backend();
    val.capabilities.storageModes = ['file', 'directory', 'block', 'ranges'];
    const reqs: { diffStoragePath: string | null }[] = [];
    const r = await run(['snapshot_create', '-l', '16M'], { backendInfo: async () => val, snapshotCreate: async (req) => { reqs.push(req); return { id: ID }; } });
    expect([r.code, reqs.map((q) => q.diffStoragePath)]).toEqual([0, [null]]);
    // Nothing in the app appends range-mode storage (the create form does not offer it): say so.
    expect(r.stderr).toMatch(/note: no -f: range mode\. Neither blksnapctl nor blksnap Manager appends storage to it: .*overflows at its first copy-on-write/);
    const withFile = await run(['snapshot_create', '-f', '/tmp', '-l', '16M'], { backendInfo: async () => val, snapshotCreate: async () => ({ id: ID }) });
    expect(withFile.stderr).not.toMatch(/range mode/);
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
