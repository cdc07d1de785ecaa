// A resolution job's states without filesystems: nothing changed, nothing to read from, the
// mounted source asked for on a device that is not mounted, a cancel while a source is opened,
// and an unknown job.
import { randomUUID } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import type { BlksnapControl } from '../../../electron/control/types';
import { ChangedFilesResolver, controlHost, type ResolverHost } from '../../../electron/resolver';

function host(map: Uint8Array, over: Partial<ResolverHost> = {}): ResolverHost {
  return {
    cbtInfo: async () => ({ deviceCapacityBytes: map.length * 65536, blockSizeBytes: 65536, blockCount: map.length, generationId: randomUUID(), changesNumber: 3 }),
    readMap: async () => map,
    image: async () => null,
    mountPoint: async () => null,
    ...over,
  };
}

async function finished(resolver: ChangedFilesResolver, args: Parameters<ChangedFilesResolver['start']>[0]) {
  const { jobId } = await resolver.start(args);
  await resolver.wait(jobId);
  return resolver.page({ jobId });
}

describe('changed-files jobs', () => {
  test('nothing changed since N: done at once, all totals 0', async () => {
    const page = await finished(new ChangedFilesResolver(host(new Uint8Array(16).fill(1))), { device: '/dev/x', sinceChangeNumber: 1 });
    expect(page.state).toBe('done');
    expect(page.totals).toEqual({ incrementalBytes: 0, fileBytes: 0, metadataBytes: 0, freeBytes: 0, unresolvedBytes: 0 });
  });

  test('no image and not mounted: cannot resolve, saying why; the changed bytes stay unresolved', async () => {
    const map = new Uint8Array(16);
    map[3] = 2;
    const auto = await finished(new ChangedFilesResolver(host(map)), { device: '/dev/x', sinceChangeNumber: 1 });
    expect(auto.state).toBe('unresolvable');
    expect(auto.reason).toBe('cannot resolve: /dev/x has no taken snapshot image and its filesystem is not mounted');
    expect(auto.totals.unresolvedBytes).toBe(65536);
    const mounted = await finished(new ChangedFilesResolver(host(map)), { device: '/dev/x', sinceChangeNumber: 1, source: 'mounted' });
    expect(mounted.reason).toBe('cannot resolve: the filesystem of /dev/x is not mounted');
  });

  // Seventh session (ux): a device whose image is corrupted was said to have no taken snapshot image.
  test('a corrupted image is named with its error code and EIO, not called missing', async () => {
    const map = new Uint8Array(16);
    map[3] = 2;
    const control = { info: { kind: 'kernel' }, snapshotInfo: async () => ({ errorCode: -28, image: 'blksnap-252-0' }) } as unknown as BlksnapControl;
    const image = controlHost(control).image;
    const corrupted = 'the snapshot image /dev/blksnap-252-0 of /dev/x is corrupted (error -28, ENOSPC: its reads fail with EIO)';
    const auto = await finished(new ChangedFilesResolver(host(map, { image })), { device: '/dev/x', sinceChangeNumber: 1 });
    expect(auto.state).toBe('unresolvable');
    expect(auto.reason).toBe(`cannot resolve: ${corrupted} and its filesystem is not mounted`);
    const fromImage = await finished(new ChangedFilesResolver(host(map, { image })), { device: '/dev/x', sinceChangeNumber: 1, source: 'image' });
    expect(fromImage.reason).toBe(`cannot resolve: ${corrupted}`);
  });

  test('a change number ahead of the last take is refused, naming both', async () => {
    await expect(new ChangedFilesResolver(host(new Uint8Array(4))).start({ device: '/dev/x', sinceChangeNumber: 9 })).rejects.toThrow("since change number 9 is ahead of /dev/x's last change number 3");
  });

  test('cancel ends a run that is waiting for its source', async () => {
    const map = new Uint8Array(16);
    map[0] = 2;
    const resolver = new ChangedFilesResolver(host(map, {
      image: (_device, _scratch, signal) => new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')))),
    }));
    const { jobId } = await resolver.start({ device: '/dev/x', sinceChangeNumber: 1 });
    await new Promise((r) => setTimeout(r, 20));
    expect(resolver.page({ jobId }).state).toBe('running');
    resolver.cancel(jobId);
    await resolver.wait(jobId);
    expect(resolver.page({ jobId })).toMatchObject({ state: 'cancelled', reason: 'cancelled' });
    expect(() => resolver.page({ jobId: 'nope' })).toThrow(/no changed-files job nope/);
  });
});
