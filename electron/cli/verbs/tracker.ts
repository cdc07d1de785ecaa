// The upstream tool's tracker commands: version, attach, detach, cbtinfo, readcbtmap,
// markdirtyblock (spec §7.1), same options and output.
import { writeFile } from 'node:fs/promises';
import type { SectorRange } from '../../../shared/schemas';
import { UsageError, type ParsedArgs } from '../argv';
import { boundedArg, hasCode, refuseUpstreamJson } from './common';
import { changedRanges as changedRangesOf, nearWrap, rangesBytes, rangesToCsv, takesBeforeWrap, wrapWarning } from '../../../shared/cbt';
import { DEVICE_OPTION, UPSTREAM_JSON_OPTION, withHelp, type Verb, type VerbContext } from './verb';

export const version: Verb = {
  name: 'version',
  purpose: 'Print module version.',
  options: withHelp(UPSTREAM_JSON_OPTION),
  // The upstream version command ignores -j.
  async run(ctx) {
    const info = await (await ctx.api()).backendInfo({});
    const v = info.version;
    const text = `${v.major}.${v.minor}.${v.revision}.${v.build}`;
    ctx.out.line(text);
    // The module's parameters (the emulator's configured ones too): what limits and chunks follow from.
    const parameters = await (await ctx.api()).parameters({}).catch(() => null);
    ctx.out.record({ version: text, ...v, backend: info.kind, dialect: info.dialect, dialectLabel: info.dialectLabel, parameters });
  },
};

export const attach: Verb = {
  name: 'attach',
  purpose: 'Attach blksnap tracker to block device.',
  options: withHelp(DEVICE_OPTION),
  async run(ctx, args) {
    const device = args.required('device');
    const api = await ctx.api();
    let already = false;
    try {
      await api.attach({ device });
    } catch (err) {
      if (!hasCode(err, 'EALREADY')) throw err;
      already = true;
    }
    ctx.out.line(already ? 'Already was attached' : 'Attached successfully');
    ctx.out.record({ device, attached: true, alreadyAttached: already });
  },
};

export const detach: Verb = {
  name: 'detach',
  purpose: 'Detach blksnap tracker from block device.',
  options: withHelp(DEVICE_OPTION, {
    long: 'force',
    kind: 'switch',
    description: 'blksnapctl: detach even while a snapshot holds the device (its image then silently diverges).',
  }),
  async run(ctx, args) {
    const device = args.required('device');
    await (await ctx.api()).detach({ device, force: args.has('force') });
    ctx.out.record({ device, detached: true });
  },
};

export const cbtinfo: Verb = {
  name: 'cbtinfo',
  purpose: 'Get change tracker information.',
  options: withHelp(DEVICE_OPTION, UPSTREAM_JSON_OPTION),
  async run(ctx, args) {
    const device = args.required('device');
    refuseUpstreamJson(args);
    const info = await (await ctx.api()).cbtInfo({ device });
    ctx.out.line(`block_size=${info.blockSizeBytes}`);
    ctx.out.line(`device_capacity=${info.deviceCapacityBytes}`);
    ctx.out.line(`block_count=${info.blockCount}`);
    ctx.out.line(`generation_id=${info.generationId}`);
    ctx.out.line(`changes_number=${info.changesNumber}`);
    if (nearWrap(info.changesNumber)) ctx.out.error(`blksnapctl: warning: ${device}: ${wrapWarning(info.changesNumber)}`);
    ctx.out.record({ device, ...info, takesBeforeWrap: takesBeforeWrap(info.changesNumber) });
  },
};

export const readcbtmap: Verb = {
  name: 'readcbtmap',
  purpose: 'Read change tracking map.',
  options: withHelp(
    DEVICE_OPTION,
    { long: 'file', short: 'f', kind: 'value', description: 'File name for output (the binary map, one byte per block). With blksnapctl --json it is optional, and gets the JSON document instead.' },
    UPSTREAM_JSON_OPTION,
  ),
  async run(ctx, args) {
    const device = args.required('device');
    refuseUpstreamJson(args);
    const file = ctx.out.json ? args.value('file') : args.required('file');
    const api = await ctx.api();
    const map = await api.cbtMap({ device });
    if (!ctx.out.json) {
      await writeFile(file!, map);
      return;
    }
    // --json: one JSON document (never the binary map): the geometry, how many blocks carry each
    // change number, and the map itself in base64.
    const info = await api.cbtInfo({ device });
    const counts: Record<string, number> = {};
    for (const n of map) counts[n] = (counts[n] ?? 0) + 1;
    const doc = { device, ...info, counts, mapBase64: Buffer.from(map).toString('base64'), file: file ?? null };
    if (file !== undefined) await writeFile(file, `${JSON.stringify(doc)}\n`);
    ctx.out.record(doc);
  },
};

export const changedRanges: Verb = {
  name: 'changed_ranges',
  purpose: 'blksnapctl: the ranges and bytes an incremental backup reads since change number N (blocks whose change number is greater), as text, --csv or --json.',
  options: withHelp(
    DEVICE_OPTION,
    { long: 'since', short: 's', kind: 'value', description: 'The change number stored at the last backup (0-255); default: the last take\'s number minus one.' },
    { long: 'csv', kind: 'switch', description: 'CSV lines offset_sectors,count_sectors with a header.' },
  ),
  async run(ctx, args) {
    const device = args.required('device');
    const given = boundedArg(args, 'since', 0, 255);
    const api = await ctx.api();
    const info = await api.cbtInfo({ device });
    const since = given ?? Math.max(0, info.changesNumber - 1);
    const map = await api.cbtMap({ device });
    const ranges = changedRangesOf(map, info.blockSizeBytes, since, info.deviceCapacityBytes);
    const bytes = rangesBytes(ranges);
    if (nearWrap(info.changesNumber)) ctx.out.error(`blksnapctl: warning: ${device}: ${wrapWarning(info.changesNumber)}`);
    if (ctx.out.json) {
      ctx.out.record({ device, generationId: info.generationId, changesNumber: info.changesNumber, sinceChangeNumber: since, blockSizeBytes: info.blockSizeBytes, rangeCount: ranges.length, bytes, ranges });
      return;
    }
    if (args.has('csv')) {
      ctx.out.raw(rangesToCsv(ranges));
      return;
    }
    ctx.out.line(`generation_id=${info.generationId}`);
    ctx.out.line(`changes_number=${info.changesNumber}`);
    ctx.out.line(`since=${since}`);
    ctx.out.line(`ranges=${ranges.length}`);
    ctx.out.line(`bytes=${bytes}`);
    for (const r of ranges) ctx.out.line(`${r.offsetSectors}:${r.countSectors}`);
  },
};

/** `sector:count`, as the upstream parseRange (std::stoull on both halves). */
export function parseRange(text: string): SectorRange {
  const colon = text.indexOf(':');
  if (colon < 0) throw new UsageError('Invalid format of range string.');
  const offset = text.slice(0, colon).trim();
  const count = text.slice(colon + 1).trim();
  if (!/^\d+$/.test(offset) || !/^\d+$/.test(count)) throw new UsageError('Invalid format of range string.');
  return { offsetSectors: Number(offset), countSectors: Number(count) };
}

async function dirtyFromFile(ctx: VerbContext, file: string): Promise<{ device: string; ranges: SectorRange[] }> {
  // FIEMAP through ffi-rs (electron/control/kernel/native.ts) only for markdirtyblock --file.
  const { fileExtents } = await import('../fiemap');
  const extents = await fileExtents(file, (devicePath) => ctx.out.line(`device path: '${devicePath}'`));
  for (const r of extents.ranges) ctx.out.line(`allocate range: ofs=${r.offsetSectors} cnt=${r.countSectors}`);
  return extents;
}

export const markdirtyblock: Verb = {
  name: 'markdirtyblock',
  purpose: 'Mark blocks as changed in change tracking map.',
  options: withHelp(
    { long: 'file', short: 'f', kind: 'value', description: 'File name with dirty blocks.' },
    DEVICE_OPTION,
    { long: 'ranges', short: 'r', kind: 'vector', description: "Sectors range in format 'sector:count'. It's multitoken argument." },
  ),
  async run(ctx, args: ParsedArgs) {
    let target: { device: string; ranges: SectorRange[] };
    const file = args.value('file');
    if (file !== undefined) {
      target = await dirtyFromFile(ctx, file);
    } else {
      const device = args.required('device');
      target = { device, ranges: args.requiredVector('ranges').map(parseRange) };
    }
    await (await ctx.api()).markDirty(target);
    ctx.out.record(target);
  },
};
