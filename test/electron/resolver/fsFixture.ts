// Real filesystems built without mounting (mke2fs -d, mkfs.xfs -p protofile) from a tree of
// files with seeded random content, loaded into an emulated device. Where a file's blocks lie
// is found by searching the raw image for their content: independent of the resolver.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { seededRandom } from '../../../shared/random';
import type { Emulator } from '../../../electron/control/emulator';
import { tempDir } from '../control/emulator/helpers';

export interface TreeFile { path: string; bytes: number }

export function toolMissing(...tools: string[]): string | null {
  for (const tool of tools) {
    try {
      execFileSync('sh', ['-c', `PATH="$PATH:/usr/sbin:/sbin" command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      return `${tool} is not installed (e2fsprogs, xfsprogs, fdisk): these tests run where it is, and always in CI`;
    }
  }
  return null;
}

export function makeTree(dir: string, files: TreeFile[], seed: number): Map<string, Buffer> {
  const random = seededRandom(seed);
  const contents = new Map<string, Buffer>();
  for (const f of files) {
    const data = Buffer.alloc(f.bytes);
    for (let i = 0; i < f.bytes; i += 4) data.writeUInt32LE(Math.floor(random() * 2 ** 32), i);
    fs.mkdirSync(path.join(dir, path.dirname(f.path)), { recursive: true });
    fs.writeFileSync(path.join(dir, f.path), data);
    contents.set(f.path, data);
  }
  return contents;
}

const env = { ...process.env, PATH: `${process.env.PATH ?? ''}:/usr/sbin:/sbin` };

export function buildExt4(src: string, image: string, sizeBytes: number): void {
  fs.rmSync(image, { force: true });
  execFileSync('mke2fs', ['-q', '-F', '-t', 'ext4', '-b', '4096', '-d', src, image, `${sizeBytes / 1024}k`], { env, stdio: 'pipe' });
}

/** mkfs.xfs -p protofile: the tree described in the proto format (xfsprogs' own). */
export function buildXfs(src: string, image: string, sizeBytes: number): void {
  const lines = ['boot', '0 0', 'd--755 0 0'];
  const walk = (dir: string, depth: number) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(dir, entry.name);
      const pad = ' '.repeat(depth);
      if (entry.isDirectory()) {
        lines.push(`${pad}${entry.name} d--755 0 0`);
        walk(full, depth + 1);
        lines.push(`${pad}$`);
      } else {
        lines.push(`${pad}${entry.name} ---644 0 0 ${full}`);
      }
    }
  };
  walk(src, 1);
  lines.push('$');
  const proto = `${image}.proto`;
  fs.writeFileSync(proto, `${lines.join('\n')}\n`);
  fs.rmSync(image, { force: true });
  fs.closeSync(fs.openSync(image, 'w'));
  fs.truncateSync(image, sizeBytes);
  execFileSync('mkfs.xfs', ['-q', '-f', '-p', proto, image], { env, stdio: 'pipe' });
}

/** Device byte offset of the 4 KiB block `index` of a file, found by its content in the image. */
export function locateBlock(image: Buffer, content: Buffer, index: number): number {
  const needle = content.subarray(index * 4096, index * 4096 + 64);
  const at = image.indexOf(needle);
  if (at < 0 || at % 4096 !== 0) throw new Error(`block ${index} of the file is not in the image at a block boundary`);
  return at;
}

/** Writes the image into an emulated device (non-zero pieces only). */
export async function loadImage(emu: Emulator, device: string, image: Buffer, offsetBytes = 0): Promise<void> {
  const piece = 1 << 20;
  const zeros = Buffer.alloc(piece);
  for (let at = 0; at < image.length; at += piece) {
    const data = image.subarray(at, at + piece);
    if (!data.equals(zeros.subarray(0, data.length))) await emu.write(device, at + offsetBytes, data);
  }
}

/** A taken snapshot of `device` (attached): create with fresh storage, add, take. */
export async function takeSnapshot(emu: Emulator, device: string): Promise<string> {
  const id = await emu.snapshotCreate({ diffStoragePath: tempDir(), diffStorageLimitSectors: 2 ** 21, devices: [] });
  await emu.snapshotAdd(id, device);
  await emu.snapshotTake(id);
  return id;
}

/** Takes and destroys a first snapshot of `device`: its change number is where changes start. */
export async function firstTake(emu: Emulator, device: string): Promise<number> {
  await emu.snapshotDestroy(await takeSnapshot(emu, device));
  return (await emu.cbtInfo(device)).changesNumber;
}
