// The doctor the app boots with (electron/app/boot.ts → defaultDoctor): the kernel doctor's
// report as is on the kernel backend, and the same plus the emulator's row on the emulator.
import { describe, expect, it } from 'vitest';
import { collectDoctor } from '../../../electron/control/kernel/doctor';
import { basicDoctor, defaultDoctor } from '../../../electron/service/doctor';
import { FakeControl } from './fakeControl';

describe('defaultDoctor', () => {
  it('on the kernel backend answers exactly what the kernel doctor answers (no emulator row)', async () => {
    const control = new FakeControl('kernel');
    const report = await defaultDoctor(control);
    expect(report).toEqual(collectDoctor({ backend: control.info }));
    expect(report.modules.map((m) => m.name)).toEqual(['blksnap', 'veeamblksnap', 'bdevfilter']);
  });

  it('on the emulator adds one emulator row after the kernel facts: flavour, state folder, HZ, parameters', async () => {
    const control = new FakeControl('emulator');
    const report = await defaultDoctor(control);
    const kernel = collectDoctor({ backend: control.info });
    expect(report.modules.slice(0, -1)).toEqual(kernel.modules);
    expect(report.reasons).toEqual(kernel.reasons);
    expect(report.modules.at(-1)).toEqual({
      name: 'emulator', loaded: true, version: '2.0.0.0', parameters: await control.parameters(),
      note: `emulates upstream lk6.15 (--emulate upstream); state folder ${control.info.stateDir ?? 'none'}; HZ 250`,
    });
    // The basic doctor (where the kernel one cannot load) has the same row.
    expect((await basicDoctor(control)).modules.at(-1)).toEqual(report.modules.at(-1));
  });
});
