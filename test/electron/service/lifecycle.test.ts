import { describe, expect, it } from 'vitest';
import { LifecycleListeners } from '../../../electron/service/lifecycle';
import type { SnapshotCreateRequest } from '../../../shared/schemas';

const REQUEST: SnapshotCreateRequest = { devices: ['/dev/vda'], diffStoragePath: '/var/tmp', diffStorageLimitSectors: 2048 };

describe('lifecycle listeners', () => {
  it('calls every listener in turn; a failing one is reported and the next still runs', async () => {
    const reported: unknown[] = [];
    const hooks = new LifecycleListeners((err) => reported.push(err));
    const calls: string[] = [];
    hooks.add({ beforeTake: () => { calls.push('first'); throw new Error('listener broke'); } });
    hooks.add({ beforeTake: async (id) => { calls.push(`second ${id}`); } });
    await hooks.notify((l) => l.beforeTake?.('s1'));
    expect(calls).toEqual(['first', 'second s1']);
    expect(reported).toHaveLength(1);
    expect((reported[0] as Error).message).toBe('listener broke');
  });

  it('lets beforeCreate refuse the create: its error is the caller\'s', async () => {
    const hooks = new LifecycleListeners(() => { throw new Error('must not be reported'); });
    hooks.add({ beforeCreate: () => { throw new Error('not a usable directory'); } });
    await expect(hooks.beforeCreate(REQUEST)).rejects.toThrow('not a usable directory');
  });

  it('stops calling a listener once it is removed', async () => {
    const hooks = new LifecycleListeners(() => undefined);
    let calls = 0;
    const remove = hooks.add({ snapshotDestroyed: () => { calls += 1; } });
    await hooks.notify((l) => l.snapshotDestroyed?.('s1'));
    remove();
    await hooks.notify((l) => l.snapshotDestroyed?.('s1'));
    expect(calls).toBe(1);
  });
});
