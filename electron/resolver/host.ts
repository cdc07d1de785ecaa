// The resolver's view of a control backend: CBT info and map, the snapshot image of a device
// (the kernel's image device as is; the emulator's copied out through its read call) and the
// mount point of the device's filesystem (/proc/self/mountinfo, by major:minor).
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { errnoName } from '../../shared/errors';
import type { CbtInfo } from '../../shared/schemas';
import { isEmulator, type BlksnapControl } from '../control/types';
import { copyToSparseFile } from './image';
import type { ImageSource, ResolverHost, UnreadableImage } from './job';

const MAP_CHUNK_BLOCKS = 1 << 20;

export async function readWholeMap(control: BlksnapControl, device: string, info: CbtInfo): Promise<Uint8Array> {
  const map = new Uint8Array(info.blockCount);
  for (let offset = 0; offset < info.blockCount; offset += MAP_CHUNK_BLOCKS) {
    const length = Math.min(MAP_CHUNK_BLOCKS, info.blockCount - offset);
    map.set((await control.cbtMap(device, offset, length)).subarray(0, length), offset);
  }
  return map;
}

export function controlHost(control: BlksnapControl): ResolverHost {
  return {
    cbtInfo: (device) => control.cbtInfo(device),
    readMap: (device, info) => readWholeMap(control, device, info),
    image: async (device, scratch, signal, progress): Promise<ImageSource | UnreadableImage | null> => {
      const info = await control.snapshotInfo(device).catch(() => null);
      if (!info || info.image === '') return null;
      const imagePath = `/dev/${info.image}`;
      if (info.errorCode !== 0) {
        const name = errnoName(Math.abs(info.errorCode));
        return { unreadable: `the snapshot image ${imagePath} of ${device} is corrupted (error ${info.errorCode}${name ? `, ${name}` : ''}: its reads fail with EIO)` };
      }
      const capacityBytes = (await control.cbtInfo(device)).deviceCapacityBytes;
      if (!isEmulator(control)) return { label: imagePath, path: imagePath, capacityBytes };
      const file = join(scratch, 'image');
      await copyToSparseFile((offset, length) => control.read(imagePath, offset, length), capacityBytes, file, signal, (done) => progress(done, capacityBytes));
      return { label: `${imagePath} (emulated, read through the emulator)`, path: file, capacityBytes };
    },
    mountPoint: async (device) => (isEmulator(control) ? null : mountPointOf(device)),
  };
}

/** The mount point of the filesystem whose source is `device` (by major:minor), or null. */
export async function mountPointOf(device: string, mountinfo = '/proc/self/mountinfo'): Promise<string | null> {
  const st = await stat(device).catch(() => null);
  if (!st || !st.isBlockDevice()) return null;
  const major = Math.floor(st.rdev / 256) & 0xfff;
  const minor = (st.rdev & 0xff) | ((st.rdev >> 12) & 0xfff00);
  const text = await readFile(mountinfo, 'utf8').catch(() => '');
  for (const line of text.split('\n')) {
    const fields = line.split(' ');
    if (fields[2] === `${major}:${minor}` && fields[3] === '/') return unescapeMount(fields[4] ?? '');
  }
  return null;
}

function unescapeMount(path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}
