// The upstream tool's snapshot commands: snapshot_create, snapshot_add, snapshot_take,
// snapshot_collect, snapshot_destroy, snapshot_info (spec §7.1), same options and output.
import { realpathSync, statSync } from 'node:fs';
import type { BlksnapApi } from '../../../shared/contract';
import { appError, BlksnapError, errnoError, toErrorInfo } from '../../../shared/errors';
import { limitRule, parseAndCheckLimit, parseLimit, pathStorageRule } from '../../../shared/limits';
import { nearWrap, wrapWarning } from '../../../shared/cbt';
import { imageRefusal } from '../../../shared/imageOf';
import type { Capabilities, DialectId } from '../../../shared/schemas';
import { UsageError, type ParsedArgs } from '../argv';
import { hasCode, refuseUpstreamJson, snapshotIdArg } from './common';
import { DEVICE_OPTION, ID_OPTION, UPSTREAM_JSON_OPTION, withHelp, type Verb, type VerbContext } from './verb';
import { lastSeq, newStretchEvents } from './events';

/**
 * SNAPSHOTADD with the upstream tool's auto-attach: on ENOENT (not tracked) attach, retry once.
 * `onAttached` hears of a device this call attached (also when the add after it fails).
 */
async function addWithAutoAttach(api: BlksnapApi, id: string, device: string, onAttached?: (device: string) => void): Promise<boolean> {
  try {
    await api.snapshotAdd({ id, device });
    return false;
  } catch (err) {
    if (!hasCode(err, 'ENOENT')) throw err;
  }
  try {
    await api.attach({ device });
    onAttached?.(device);
  } catch (err) {
    if (!hasCode(err, 'EALREADY')) throw err;
  }
  await api.snapshotAdd({ id, device });
  return true;
}

/**
 * A create whose add failed is undone, unlike the upstream tool (which leaves the snapshot, spec
 * §7.1): a script that sees exit 1 does not destroy what it was never told exists. The snapshot is
 * destroyed and the devices this command attached are detached; the error says so, or says what
 * is left when undoing failed.
 */
async function undoCreate(api: BlksnapApi, id: string, attached: readonly string[], cause: unknown): Promise<BlksnapError> {
  const info = toErrorInfo(cause);
  const left: string[] = [];
  try {
    await api.snapshotDestroy({ id });
  } catch (err) {
    left.push(`snapshot ${id} could not be destroyed (${toErrorInfo(err).message}): destroy it with snapshot_destroy -i ${id}`);
  }
  for (const device of attached) {
    await api.detach({ device, force: false }).catch((err: unknown) => left.push(`${device} stays attached (${toErrorInfo(err).message})`));
  }
  const undone = left.length === 0
    ? `snapshot_create failed, so snapshot ${id} was destroyed again${attached.length ? ` and ${attached.join(', ')} detached` : ''}: nothing is left`
    : `snapshot_create failed and could not undo everything: ${left.join('; ')}`;
  return new BlksnapError({ ...info, message: `${info.message}; ${undone}`, details: { ...info.details, snapshotId: id, undone: left.length === 0 } });
}

export const snapshotCreate: Verb = {
  name: 'snapshot_create',
  purpose: 'Create snapshot object structure.',
  options: withHelp(
    { long: 'file', short: 'f', kind: 'value', description: 'Difference storage: a file, a directory (an unnamed file is created in it) or a block device. On v1: the directory for the stretch service storage files. Optional on VAL-7.0/VAL-13: without it the snapshot is in range mode, whose storage another program must append (nothing here does).' },
    { long: 'limit', short: 'l', kind: 'value', description: 'Difference storage limit: bytes, or with K, M, G, T (binary), as the GUI takes it; it must hold 2 MiB plus one chunk, and one below the module\'s diff_storage_minimum is explained. On v1: the most the stretch service allocates.' },
    { long: 'device', short: 'd', kind: 'vector', description: "Device name for snapshot. It's multitoken argument. Required where the dialect fixes the device list at create (v1)." },
  ),
  async run(ctx, args) {
    const api = await ctx.api();
    const { capabilities, dialect } = await api.backendInfo({});
    const diffStoragePath = storagePathArg(args, capabilities);
    if (diffStoragePath === null && !capabilities.needsStretchService) ctx.out.error(`blksnapctl: note: ${RANGE_MODE_NOTE}`);
    const diffStorageLimitSectors = await limitArg(ctx, api, args, capabilities, diffStoragePath, dialect);
    const devices = args.vector('device');
    await refuseImages(api, devices);
    if (!capabilities.addAfterCreate) {
      // v1: the device list is fixed at create, and an empty one hangs the real module (spec §6.2).
      if (devices.length === 0) throw new UsageError("Argument 'device' is missed.");
      // Reporting the stretch steps is a courtesy: it never fails the create.
      const since = await lastSeq(api).catch(() => null);
      const { id } = await api.snapshotCreate({ diffStoragePath, diffStorageLimitSectors, devices });
      ctx.out.line(id);
      ctx.out.record({ id, devices, diffStoragePath, diffStorageLimitSectors });
      if (diffStoragePath && since !== null) await reportFirstStretch(ctx, api, id, since).catch(() => undefined);
      return;
    }
    const { id } = await api.snapshotCreate({ diffStoragePath, diffStorageLimitSectors, devices: [] });
    ctx.out.line(id);
    const added: { device: string; attached: boolean }[] = [];
    const attached: string[] = [];
    try {
      for (const device of devices) added.push({ device, attached: await addWithAutoAttach(api, id, device, (d) => attached.push(d)) });
    } catch (err) {
      throw await undoCreate(api, id, attached, err);
    } finally {
      ctx.out.record({ id, devices: added, diffStoragePath, diffStorageLimitSectors });
    }
  },
};

/**
 * A snapshot image among -d is refused before anything is created, from the service's fresh
 * device list (shared/imageOf.ts); the service checks each add again, which is the check that counts.
 */
async function refuseImages(api: BlksnapApi, devices: readonly string[]): Promise<void> {
  if (devices.length === 0) return;
  // A listing that fails leaves the check to the service's at each add.
  const listed = await api.listDevices({}).catch(() => []);
  for (const device of devices) {
    // The emulator lists no images: the original's SNAPSHOTINFO names it on every backend.
    const original = listed.find((d) => d.snapshot?.image && `/dev/${d.snapshot.image}` === device);
    const of = listed.find((d) => d.path === device)?.imageOf ?? (original ? { original: original.path, snapshotId: original.snapshotId } : null);
    if (of) throw imageRefusal('snapshotCreate', device, of);
  }
}

/**
 * -l through the GUI's parser and rule (shared/limits.ts): a limit that cannot hold one chunk is
 * refused, one below the module's diff_storage_minimum is explained on stderr before creating.
 * A block device is the storage itself, so only the limit's sign matters there.
 */
async function limitArg(ctx: VerbContext, api: BlksnapApi, args: ParsedArgs, capabilities: Capabilities, path: string | null, dialect: DialectId): Promise<number> {
  const text = args.required('limit');
  const parameters = await api.parameters({}).catch(() => null);
  const rule = limitRule(parameters, capabilities.needsStretchService, pathStorageRule(dialect, capabilities));
  const result = path !== null && isBlockDevice(path) ? parseLimit(text) : parseAndCheckLimit(text, rule);
  if (!result.ok) throw appError('EBADARG', `the limit '${text}' is invalid: ${result.error}`, { limit: text });
  if ('warning' in result && result.warning) ctx.out.error(`blksnapctl: note: ${result.warning}`);
  return result.sectors;
}

function isBlockDevice(path: string): boolean {
  try {
    return statSync(path).isBlockDevice();
  } catch {
    return false;
  }
}

/** Spec §5.3: range-mode storage comes only from APPEND_STORAGE, which nothing in this app sends on VAL-7.0/VAL-13. */
const RANGE_MODE_NOTE = 'no -f: range mode. Neither blksnapctl nor blksnap Manager appends storage to it: unless another program answers '
  + 'the module\'s low_free_space events with APPEND_STORAGE, the snapshot overflows at its first copy-on-write (give -f for storage the module grows itself).';

/**
 * -f as the dialect takes it: required where the storage is a path (upstream) and on v1, where it
 * names the directory the stretch service fills (spec §6.4); optional on VAL-7.0/VAL-13, where
 * no path means range mode.
 */
function storagePathArg(args: ParsedArgs, capabilities: Capabilities): string | null {
  const pathModes = capabilities.storageModes.filter((m) => m !== 'ranges');
  const rangeModeToo = pathModes.length > 0 && capabilities.storageModes.includes('ranges');
  if (rangeModeToo && !args.has('file')) return null;
  return args.required('file');
}

export const snapshotAdd: Verb = {
  name: 'snapshot_add',
  purpose: 'Add device to snapshot.',
  options: withHelp(DEVICE_OPTION, ID_OPTION),
  async run(ctx, args) {
    const device = args.required('device');
    const id = snapshotIdArg(args);
    const attached = await addWithAutoAttach(await ctx.api(), id, device);
    ctx.out.record({ id, device, attached });
  },
};

export const snapshotTake: Verb = {
  name: 'snapshot_take',
  purpose: 'Take snapshot.',
  options: withHelp(ID_OPTION),
  async run(ctx, args) {
    const id = snapshotIdArg(args);
    const api = await ctx.api();
    await api.snapshotTake({ id });
    ctx.out.record({ id, taken: true });
    // The take moved each device's change number on: say when the wrap (and a full backup) is near.
    const devices = (await api.listSnapshots({}).catch(() => [])).find((s) => s.id === id)?.devices ?? [];
    for (const { path } of devices) {
      const cbt = await api.cbtInfo({ device: path }).catch(() => null);
      if (cbt && nearWrap(cbt.changesNumber)) ctx.out.error(`blksnapctl: warning: ${path}: ${wrapWarning(cbt.changesNumber)}`);
    }
  },
};

export const snapshotDestroy: Verb = {
  name: 'snapshot_destroy',
  purpose: 'Release snapshot and destroy snapshot object.',
  options: withHelp(ID_OPTION),
  async run(ctx, args) {
    const id = snapshotIdArg(args);
    await (await ctx.api()).snapshotDestroy({ id });
    ctx.out.record({ id, destroyed: true });
  },
};

export const snapshotCollect: Verb = {
  name: 'snapshot_collect',
  purpose: 'Get collection of snapshots.',
  options: withHelp(UPSTREAM_JSON_OPTION),
  async run(ctx, args) {
    refuseUpstreamJson(args);
    const ids = (await (await ctx.api()).listSnapshots({})).map((s) => s.id);
    for (const id of ids) ctx.out.line(`${id} `);
    ctx.out.line('');
    ctx.out.record({ ids });
  },
};

const FIELDS = ['image', 'error_code'] as const;

/** /dev/disk/by-id/… → /dev/sdb1, as the backend lists it; an emulated /dev/<name> stays as is. */
function realDevicePath(device: string): string {
  try {
    return realpathSync(device);
  } catch {
    return device;
  }
}

export const snapshotInfo: Verb = {
  name: 'snapshot_info',
  purpose: 'Get information about block device snapshot image.',
  options: withHelp(
    DEVICE_OPTION,
    { long: 'field', short: 'f', kind: 'value', description: "Print only the value of this field: 'image' or 'error_code'." },
    UPSTREAM_JSON_OPTION,
  ),
  async run(ctx, args) {
    const device = args.required('device');
    refuseUpstreamJson(args);
    const field = args.value('field');
    if (field !== undefined && !(FIELDS as readonly string[]).includes(field)) {
      throw new UsageError(`Invalid field '${field}': use 'image' or 'error_code'.`);
    }
    const names = [device, realDevicePath(device)];
    const summary = (await (await ctx.api()).listDevices({})).find((d) => names.includes(d.path));
    // CTL SNAPSHOTINFO on a device without the blksnap filter answers ENOENT (spec §2).
    if (!summary) throw errnoError('ENOENT', 'snapshot_info', 'no such block device', { device });
    if (!summary.tracked) throw errnoError('ENOENT', 'snapshot_info', 'the device is not tracked (no blksnap filter attached)', { device });
    const info = summary.snapshot ?? { errorCode: 0, image: '' };
    // Before a take there is no image: say nothing rather than the upstream tool's bare "/dev/".
    const image = info.image ? `/dev/${info.image}` : '';
    if (field === 'image') ctx.out.line(image);
    else if (field === 'error_code') ctx.out.line(String(info.errorCode));
    else {
      ctx.out.line(`error_code=${info.errorCode}`);
      ctx.out.line(`image=${image}`);
    }
    const record = { device, errorCode: info.errorCode, image: info.image ? image : null, snapshotId: summary.snapshotId };
    ctx.out.record(field === undefined ? record : { device, [field]: field === 'image' ? record.image : info.errorCode });
  },
};

/** A step that ends the stretch service's answer to the creation-time request. */
const ANSWERED = /^(appended|could not|limit reached|low_free_space .* not answered)/;

/**
 * v1: the module asked for storage at create; show on stderr how the stretch service answered
 * (file created, ranges appended), waiting for it at most `timeoutMs`.
 */
async function reportFirstStretch(ctx: VerbContext, api: BlksnapApi, id: string, since: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let shown = since;
  for (;;) {
    const steps = await newStretchEvents(api, id, shown);
    for (const step of steps) ctx.out.error(`[stretch] ${step.message}`);
    shown = steps.at(-1)?.seq ?? shown;
    if (steps.some((s) => ANSWERED.test(s.message)) || Date.now() > deadline) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}
