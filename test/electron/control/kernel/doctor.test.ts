import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { collectDoctor } from '../../../../electron/control/kernel/doctor';
import { DoctorReport } from '../../../../shared/contract';
import { FINGERPRINTS, ScriptedSys, fakeRoot } from './probe-fixtures';

const roots: string[] = [];
afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

describe('collectDoctor', () => {
  it('reports "no blksnap module" on this machine, with the reasons and the fix', () => {
    const facts = collectDoctor();
    expect(facts.dialect).toBeNull();
    expect(facts.reasons.join('\n')).toMatch(/no blksnap module/);
    expect(facts.modules.map((m) => [m.name, m.loaded])).toEqual([['blksnap', false], ['veeamblksnap', false], ['bdevfilter', false]]);
    expect(facts.nodes.every((n) => !n.exists)).toBe(true);
    expect(facts.fixes.join('\n')).toMatch(/modprobe/);
    expect(facts.kernelRelease).not.toBe('');
  });

  it('fills a DoctorReport the contract accepts when given the backend', () => {
    const backend = {
      kind: 'emulator' as const, dialect: 'lk6.15' as const, dialectLabel: 'emulator', verified: true, reason: 'no module',
      version: { major: 2, minor: 0, revision: 0, build: 0 }, controlNode: null, stateDir: '/tmp/x',
      capabilities: { explicitAttach: true, addAfterCreate: true, appendStorage: false, cbtMapNeedsTakenSnapshot: false, maxSnapshots: null, storageModes: ['file' as const], eventCodes: {}, needsStretchService: false },
    };
    expect(() => DoctorReport().parse(collectDoctor({ backend }))).not.toThrow();
  });

  it('reports a loaded module, its version and parameters, and the mknod for a node udev did not create', () => {
    const root = fakeRoot({
      '/proc/modules': 'veeamblksnap 139264 1 - Live 0xffffffffc0639000 (OE)\nbdevfilter 24576 2 veeamblksnap, Live 0xffffffffc0632000 (OE)\n',
      '/sys/module/veeamblksnap/version': '7.0.0.0\n',
      '/sys/module/veeamblksnap/parameters/diff_storage_minimum': '2097152\n',
      '/sys/module/veeamblksnap/parameters/chunk_maximum_in_queue': '16\n',
      '/sys/module/bdevfilter/version': '7.0.0.0\n',
      '/sys/class/misc/bdevfilter/dev': '10:124\n',
    });
    roots.push(root);
    const facts = collectDoctor({ root, sys: new ScriptedSys({}), kernelRelease: '6.1.0-56-amd64' });
    expect(facts.modules[1]).toEqual({ name: 'veeamblksnap', loaded: true, version: '7.0.0.0', parameters: { chunk_maximum_in_queue: 16, diff_storage_minimum: 2097152 } });
    expect(facts.fixes.join('\n')).toMatch(/mknod \/dev\/bdevfilter c 10 124/);
    expect(facts.reasons.join('\n')).toMatch(/cannot open \/dev\/bdevfilter|\/dev\/veeamblksnap/);
  });

  it('names a tools/module mismatch', () => {
    const root = fakeRoot(FINGERPRINTS.standalone);
    roots.push(root);
    const facts = collectDoctor({ root, sys: new ScriptedSys({ 0x80085600: { version: [2, 0, 0, 0] } }) });
    expect(facts.fixes.join('\n')).toMatch(/Tools\/module mismatch/);
  });
});
