// A script written on the emulator must stay right on a server: each emulator flavour claims the
// capabilities its dialect's kernel client claims (issue 19, item 12: needsStretchService differed
// on VAL-7.0).
import { describe, expect, it } from 'vitest';
import { FLAVOUR_RULES, type Flavour } from '../../../electron/control/emulator/flavours';
import { v1Capabilities } from '../../../electron/control/kernel/dialects/v1/control';
import { lk615 } from '../../../electron/control/kernel/dialects/lk6.15';
import { val70 } from '../../../electron/control/kernel/dialects/val-7.0';
import { val13 } from '../../../electron/control/kernel/dialects/val-13';
import { v7 } from '../../../electron/control/kernel/dialects/v7';
import { v6 } from '../../../electron/control/kernel/dialects/v6';

const KERNEL: Record<Flavour, unknown> = {
  upstream: lk615.capabilities, v7: v7.capabilities, v6: v6.capabilities, v1: v1Capabilities(), 'val-7.0': val70.capabilities, 'val-13': val13.capabilities,
};

describe('capabilities: emulator flavour = kernel dialect', () => {
  it.each(Object.keys(KERNEL) as Flavour[])('%s', (flavour) => {
    expect(FLAVOUR_RULES[flavour].capabilities).toEqual(KERNEL[flavour]);
  });

  it('only v1 needs the stretch service (the app uses path mode on the standalone modules)', () => {
    const needing = (Object.keys(KERNEL) as Flavour[]).filter((f) => FLAVOUR_RULES[f].capabilities.needsStretchService);
    expect(needing).toEqual(['v1']);
  });
});
