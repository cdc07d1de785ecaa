// blksnapctl doctor against a fake service: the facts, why, what to fix, and the support bundle.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DoctorReport } from '../../../shared/contract';
import { appError } from '../../../shared/errors';
import { backend, cli, run, tempDirEach } from './harness';

const tmp = tempDirEach('blksnapctl-doctor-');

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
    const r = await cli(['--backend', 'kernel', 'doctor', '--bundle', join(tmp(), 'b.json')], { connect, env: {} });
    expect(r.code).toBe(1);
    expect(r.lines[0]).toBe('backend: none available');
    expect(r.lines).toContain('modules:');
    expect(r.lines.at(-1)).toBe(`support bundle: ${join(tmp(), 'b.json')}`);
    expect(r.stderr).toBe('blksnapctl: no usable blksnap module (EBACKEND: The control backend is not available)\n');
    expect(JSON.parse(readFileSync(join(tmp(), 'b.json'), 'utf8'))).toMatchObject({ tool: 'blksnapctl', backendError: { code: 'EBACKEND' } });
  });

  it('--bundle copies the service\'s support bundle to the file', async () => {
    writeFileSync(join(tmp(), 'svc.json'), '{"bundle":1}');
    const r = await run(['doctor', '--bundle', join(tmp(), 'out.json')], { doctor: async () => report, supportBundle: async () => ({ path: join(tmp(), 'svc.json') }) });
    expect(r.lines.at(-1)).toBe(`support bundle: ${join(tmp(), 'out.json')}`);
    expect(readFileSync(join(tmp(), 'out.json'), 'utf8')).toBe('{"bundle":1}');
  });

  it('--bundle writes the report and recent events itself where the service has no bundle', async () => {
    const r = await run(['doctor', '-b', join(tmp(), 'out.json')], { doctor: async () => report, eventHistory: async () => [] });
    expect(r.code).toBe(0);
    expect(JSON.parse(readFileSync(join(tmp(), 'out.json'), 'utf8'))).toMatchObject({ tool: 'blksnapctl', doctor: { kernelRelease: '6.1.0-test' }, events: [] });
  });
});
