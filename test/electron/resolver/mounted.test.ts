// The mounted source on a loop-mounted ext4 image: FIEMAP on the live filesystem names the
// files whose blocks are marked changed, with the intersected bytes. Needs root and loop
// devices: skipped with the reason where mounting is not allowed, required in CI.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ChangedFilesResolver, type ResolverHost } from '../../../electron/resolver';
import { ffiAvailable } from '../../../electron/control/kernel/native';
import { buildExt4, locateBlock, makeTree, toolMissing } from './fsFixture';
import { skipBecause } from '../../skip';

const SIZE = 32 * 2 ** 20;
const BLOCK = 16 * 1024;

function mountProblem(): string | null {
  const tool = toolMissing('mke2fs', 'mount', 'umount');
  if (tool) return tool;
  if (process.getuid?.() !== 0) return 'mounting a loop device needs root (CI runs as root)';
  if (!fs.existsSync('/dev/loop-control')) return 'no /dev/loop-control: loop devices are not available here';
  if (!ffiAvailable()) return 'ffi-rs could not be loaded, so FIEMAP cannot be called';
  return null;
}

let problem = mountProblem();
let dir = '';
let mountDir = '';
let imageFile = '';
let contents = new Map<string, Buffer>();

beforeAll(() => {
  if (problem) return;
  // Not the shared temp-dir cleanup: it runs after each test, while the image is still mounted.
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'blksnap-mounted-'));
  contents = makeTree(path.join(dir, 'src'), [
    { path: 'a/one.bin', bytes: 200_000 }, { path: 'a/two.bin', bytes: 100_000 }, { path: 'b/three.bin', bytes: 400_000 },
  ], 5);
  imageFile = path.join(dir, 'fs.img');
  buildExt4(path.join(dir, 'src'), imageFile, SIZE);
  mountDir = path.join(dir, 'mnt');
  fs.mkdirSync(mountDir);
  try {
    execFileSync('mount', ['-o', 'loop,ro', imageFile, mountDir], { stdio: 'pipe' });
  } catch (err) {
    problem = `mount -o loop failed here (${String((err as Error).message).split('\n')[0]}): mounting is not allowed in this environment`;
  }
});

afterAll(() => {
  if (mountDir && !problem) execFileSync('umount', [mountDir], { stdio: 'pipe' });
  if (dir && !problem) fs.rmSync(dir, { recursive: true, force: true });
});

describe('changed files from the mounted filesystem', () => {
  test('names the files whose blocks changed, with the intersected bytes; says it is live', { timeout: 60_000 }, async (ctx) => {
    if (problem) {
      if (process.env.CI) throw new Error(problem);
      skipBecause('the mounted-filesystem resolver test', problem, 'as root where mount -o loop works, and always in CI');
      ctx.skip();
    }
    const image = fs.readFileSync(imageFile);
    const map = new Uint8Array(SIZE / BLOCK);
    // One CBT block of 16 KiB holding blocks 8..11 of one.bin and the first block of three.bin.
    const one = locateBlock(image, contents.get('a/one.bin')!, 8);
    const three = locateBlock(image, contents.get('b/three.bin')!, 0);
    map[Math.floor(one / BLOCK)] = 2;
    map[Math.floor(three / BLOCK)] = 2;
    const host: ResolverHost = {
      cbtInfo: async () => ({ deviceCapacityBytes: SIZE, blockSizeBytes: BLOCK, blockCount: map.length, generationId: randomUUID(), changesNumber: 2 }),
      readMap: async () => map,
      image: async () => null,
      mountPoint: async () => mountDir,
    };
    const resolver = new ChangedFilesResolver(host);
    const { jobId } = await resolver.start({ device: '/dev/fake', sinceChangeNumber: 1 });
    await resolver.wait(jobId);
    const page = resolver.page({ jobId });
    expect(page.state).toBe('done');
    expect(page.source?.kind).toBe('mounted');
    expect(page.source?.consistent).toBe(false);
    expect(page.source?.label).toMatch(/live, may race/);
    const expected = (offset: number, file: string) => {
      // The file's blocks inside the changed CBT block: found by content, block by block.
      const cbtStart = Math.floor(offset / BLOCK) * BLOCK;
      let bytes = 0;
      const data = contents.get(file)!;
      for (let b = 0; b * 4096 < data.length; b++) {
        const at = image.indexOf(data.subarray(b * 4096, b * 4096 + 64));
        if (at >= cbtStart && at < cbtStart + BLOCK) bytes += 4096;
      }
      return bytes;
    };
    const byPath = new Map(page.files.map((f) => [f.path, f.changedBytes]));
    expect(byPath.get('/a/one.bin')).toBe(expected(one, 'a/one.bin'));
    expect(byPath.get('/b/three.bin')).toBe(expected(three, 'b/three.bin'));
    const t = page.totals;
    expect(t.fileBytes + t.metadataBytes + t.freeBytes + t.unresolvedBytes).toBe(t.incrementalBytes);
    expect(t.incrementalBytes).toBe(2 * BLOCK);
  });
});
