// What lies on a device: one filesystem, or a partition table (read with sfdisk --json) and
// a filesystem per partition (blkid -p, which only reads). Offsets are device bytes.
import { z } from 'zod';
import { errnoError } from '../../shared/errors';
import { runTool } from './tools';

export interface Region {
  /** '' for a filesystem on the whole device, else "p1", "p2", ... */
  label: string;
  startBytes: number;
  lengthBytes: number;
  /** blkid's TYPE (ext4, xfs, btrfs, swap, ...) or null when nothing was recognised. */
  fsType: string | null;
}

export interface Layout {
  partitionTable: string | null;
  regions: Region[];
}

const SfdiskJson = z.object({
  partitiontable: z.object({
    label: z.string(),
    sectorsize: z.number().int().positive().optional(),
    partitions: z.array(z.object({ start: z.number().int().nonnegative(), size: z.number().int().nonnegative() })).optional(),
  }),
});

export async function probeType(file: string, offsetBytes: number, signal?: AbortSignal): Promise<{ type: string | null; ptType: string | null }> {
  const values = new Map<string, string>();
  const args = ['-p', '-o', 'export', ...(offsetBytes > 0 ? ['-O', String(offsetBytes)] : []), file];
  const { code, stderr } = await runTool('blkid', { args, okCodes: [2], onLine: (line) => {
    const eq = line.indexOf('=');
    if (eq > 0) values.set(line.slice(0, eq), line.slice(eq + 1));
  }, ...(signal ? { signal } : {}) });
  // Exit 2 is "nothing found", and also blkid's answer when it cannot open or read the file (then it says why).
  const said = stderr.trim().split('\n').slice(-2).join(' / ');
  if (code === 2 && said) {
    const errno = /Permission denied/.test(said) ? 'EACCES' : /No such file/.test(said) ? 'ENOENT' : 'EIO';
    throw errnoError(errno, 'blkid', `could not read ${file}: ${said}`, { file });
  }
  return { type: values.get('TYPE') ?? null, ptType: values.get('PTTYPE') ?? null };
}

export async function readLayout(file: string, capacityBytes: number, signal?: AbortSignal): Promise<Layout> {
  const whole = await probeType(file, 0, signal);
  if (whole.type || !whole.ptType) {
    return { partitionTable: null, regions: [{ label: '', startBytes: 0, lengthBytes: capacityBytes, fsType: whole.type }] };
  }
  let json = '';
  await runTool('sfdisk', { args: ['--json', file], onLine: (l) => { json += `${l}\n`; }, ...(signal ? { signal } : {}) });
  const table = SfdiskJson.parse(JSON.parse(json)).partitiontable;
  const sector = table.sectorsize ?? 512;
  const regions: Region[] = [];
  for (const [i, p] of (table.partitions ?? []).entries()) {
    if (p.size === 0) continue;
    const startBytes = p.start * sector;
    const lengthBytes = Math.min(p.size * sector, capacityBytes - startBytes);
    if (lengthBytes <= 0) continue;
    const { type } = await probeType(file, startBytes, signal);
    regions.push({ label: `p${i + 1}`, startBytes, lengthBytes, fsType: type });
  }
  return { partitionTable: table.label, regions };
}
