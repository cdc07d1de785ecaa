// Emulator-only verbs (spec E5): emulated devices, raw reads and writes of a device or a
// snapshot image, and workloads. The kernel backend answers them EUNSUPPORTED.
import { open, readFile } from 'node:fs/promises';
import type { WorkloadSpec, WorkloadStatus } from '../../../shared/contract';
import { parseSize } from '../../../shared/units';
import { UsageError, type OptionSpec, type ParsedArgs } from '../argv';
import { withHelp, type Verb, type VerbContext } from './verb';

/** Bytes per emuRead/emuWrite call (the contract allows up to 64 MiB per read). */
const CHUNK_BYTES = 4 * 2 ** 20;

const NAME: OptionSpec = { long: 'name', short: 'n', kind: 'value', description: 'Emulated device name (lowercase letters, digits, - or _); the device is /dev/<name>.' };
const DEVICE: OptionSpec = { long: 'device', short: 'd', kind: 'value', description: 'Emulated device or snapshot image path.' };
const OFFSET: OptionSpec = { long: 'offset', short: 'o', kind: 'value', description: 'Byte offset (suffix K, M, G allowed).' };
const LENGTH: OptionSpec = { long: 'length', short: 'l', kind: 'value', description: 'Length in bytes (suffix K, M, G allowed).' };

function sizeArg(args: ParsedArgs, name: string): number {
  const text = args.required(name);
  const r = parseSize(text);
  if (!r.ok) throw new UsageError(`the argument ('${text}') for option '--${name}' is invalid: ${r.error}`);
  return r.bytes;
}

function optionalSizeArg(args: ParsedArgs, name: string): number | undefined {
  return args.has(name) ? sizeArg(args, name) : undefined;
}

function byteArg(args: ParsedArgs, name: string): number {
  const text = args.required(name);
  const value = /^0x[0-9a-f]{1,2}$/i.test(text) ? parseInt(text, 16) : /^\d{1,3}$/.test(text) ? Number(text) : NaN;
  if (!(value >= 0 && value <= 255)) throw new UsageError(`the argument ('${text}') for option '--${name}' is invalid: a byte, 0-255 or 0x00-0xff`);
  return value;
}

export const emuCreate: Verb = {
  name: 'emu_create',
  purpose: 'Emulator: create an emulated block device.',
  options: withHelp(NAME, { long: 'size', short: 's', kind: 'value', description: 'Capacity in bytes, a multiple of 512 (suffix K, M, G allowed).' }),
  async run(ctx, args) {
    const name = args.required('name');
    const sizeBytes = sizeArg(args, 'size');
    const device = await (await ctx.api()).emuCreateDevice({ name, sizeBytes });
    ctx.out.line(`device=${device.path}`);
    ctx.out.line(`capacity=${device.capacitySectors * 512}`);
    ctx.out.line(`dev_id=${device.devId.major}:${device.devId.minor}`);
    ctx.out.record(device);
  },
};

export const emuRemove: Verb = {
  name: 'emu_remove',
  purpose: 'Emulator: remove an emulated block device.',
  options: withHelp(NAME),
  async run(ctx, args) {
    const name = args.required('name');
    await (await ctx.api()).emuRemoveDevice({ name });
    ctx.out.record({ name, removed: true });
  },
};

export const emuList: Verb = {
  name: 'emu_list',
  purpose: 'Emulator: list the block devices the backend sees, with their tracker and snapshot.',
  options: withHelp(),
  async run(ctx) {
    const devices = await (await ctx.api()).listDevices({});
    for (const d of devices) {
      const image = d.snapshot?.image ? ` image=/dev/${d.snapshot.image}` : '';
      ctx.out.line(`${d.path} capacity=${d.capacitySectors * 512} dev_id=${d.devId.major}:${d.devId.minor} tracked=${d.tracked ? 'yes' : 'no'} emulated=${d.emulated ? 'yes' : 'no'} snapshot=${d.snapshotId ?? '-'}${image}`);
    }
    ctx.out.record({ devices });
  },
};

export const emuWrite: Verb = {
  name: 'emu_write',
  purpose: 'Emulator: write a file or a byte pattern to an emulated device or a snapshot image.',
  options: withHelp(
    DEVICE,
    OFFSET,
    { long: 'file', short: 'f', kind: 'value', description: 'File whose contents are written.' },
    { long: 'pattern', short: 'p', kind: 'value', description: 'Byte value to write (0-255 or 0x00-0xff), with --length.' },
    LENGTH,
  ),
  async run(ctx, args) {
    const path = args.required('device');
    const offsetBytes = sizeArg(args, 'offset');
    const file = args.value('file');
    let data: Uint8Array;
    if (file !== undefined) {
      data = new Uint8Array(await readFile(file));
    } else {
      if (!args.has('pattern')) throw new UsageError("Argument 'file' or 'pattern' is missed.");
      data = new Uint8Array(sizeArg(args, 'length')).fill(byteArg(args, 'pattern'));
    }
    const api = await ctx.api();
    const bar = ctx.out.progress('writing', data.length, 'bytes');
    try {
      for (let at = 0; at < data.length; at += CHUNK_BYTES) {
        await api.emuWrite({ path, offsetBytes: offsetBytes + at, data: data.subarray(at, at + CHUNK_BYTES) });
        bar.update(at + CHUNK_BYTES);
      }
    } finally {
      bar.stop();
    }
    ctx.out.line(`written=${data.length}`);
    ctx.out.record({ device: path, offsetBytes, writtenBytes: data.length });
  },
};

export const emuRead: Verb = {
  name: 'emu_read',
  purpose: 'Emulator: read an emulated device or a snapshot image into a file.',
  options: withHelp(DEVICE, OFFSET, LENGTH, { long: 'out', kind: 'value', description: 'Output file.' }),
  async run(ctx, args) {
    const path = args.required('device');
    const offsetBytes = sizeArg(args, 'offset');
    const lengthBytes = sizeArg(args, 'length');
    const out = args.required('out');
    const api = await ctx.api();
    const file = await open(out, 'w');
    const bar = ctx.out.progress('reading', lengthBytes, 'bytes');
    try {
      for (let at = 0; at < lengthBytes; at += CHUNK_BYTES) {
        const chunk = await api.emuRead({ path, offsetBytes: offsetBytes + at, lengthBytes: Math.min(CHUNK_BYTES, lengthBytes - at) });
        await file.write(chunk);
        bar.update(at + chunk.length);
      }
    } finally {
      bar.stop();
      await file.close();
    }
    ctx.out.line(`read=${lengthBytes}`);
    ctx.out.record({ device: path, offsetBytes, readBytes: lengthBytes, file: out });
  },
};

const PATTERNS = ['sequential', 'uniform', 'hotspot'] as const;

function workloadSpec(args: ParsedArgs): WorkloadSpec {
  const pattern = args.required('pattern');
  if (!(PATTERNS as readonly string[]).includes(pattern)) {
    throw new UsageError(`the argument ('${pattern}') for option '--pattern' is invalid: sequential, uniform or hotspot`);
  }
  const durationText = args.required('duration');
  if (!/^\d+$/.test(durationText)) throw new UsageError(`the argument ('${durationText}') for option '--duration' is invalid: milliseconds`);
  const spec: WorkloadSpec = {
    device: args.required('device'),
    pattern: pattern as WorkloadSpec['pattern'],
    blockSizeBytes: sizeArg(args, 'block-size'),
    rateBytesPerSec: sizeArg(args, 'rate'),
    durationMs: Number(durationText),
  };
  const offsetBytes = optionalSizeArg(args, 'offset');
  const lengthBytes = optionalSizeArg(args, 'length');
  if (offsetBytes !== undefined) spec.offsetBytes = offsetBytes;
  if (lengthBytes !== undefined) spec.lengthBytes = lengthBytes;
  if (args.has('seed')) spec.seed = Number(args.required('seed'));
  return spec;
}

async function waitForWorkload(ctx: VerbContext, id: string, pollMs: number, durationMs: number): Promise<WorkloadStatus | undefined> {
  const api = await ctx.api();
  const startedAt = Date.now();
  const bar = ctx.out.progress('workload', durationMs, 'ms');
  try {
    return await poll();
  } finally {
    bar.stop();
  }
  async function poll(): Promise<WorkloadStatus | undefined> {
    for (;;) {
      const status = (await api.workloadList({})).find((w) => w.id === id);
      if (!status || !status.running) return status;
      bar.update(Date.now() - startedAt);
      if (ctx.signal.aborted) {
        await api.workloadStop({ id });
        continue;
      }
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  }
}

export const emuWorkload: Verb = {
  name: 'emu_workload',
  purpose: 'Emulator: run a write workload on an emulated device and wait for its end.',
  options: withHelp(
    DEVICE,
    { long: 'pattern', short: 'p', kind: 'value', description: 'sequential, uniform or hotspot.' },
    { long: 'block-size', short: 'b', kind: 'value', description: 'Bytes per write, a multiple of 512 (suffix K, M allowed).' },
    { long: 'rate', short: 'r', kind: 'value', description: 'Bytes per second (suffix K, M, G allowed); 0 = as fast as possible.' },
    { long: 'duration', short: 't', kind: 'value', description: 'Milliseconds.' },
    { long: 'offset', short: 'o', kind: 'value', description: 'Optional: start of the region written (bytes).' },
    { long: 'length', short: 'l', kind: 'value', description: 'Optional: length of the region written (bytes).' },
    { long: 'seed', kind: 'value', description: 'Optional: random seed, for a repeatable workload.' },
  ),
  async run(ctx, args) {
    const spec = workloadSpec(args);
    const api = await ctx.api();
    await ctx.share();
    const started = await api.workloadStart(spec);
    const pollMs = Math.min(200, Math.max(20, spec.durationMs / 10));
    const done = (await waitForWorkload(ctx, started.id, pollMs, spec.durationMs)) ?? started;
    ctx.out.line(`workload=${done.id}`);
    ctx.out.line(`written=${done.writtenBytes}`);
    ctx.out.line(`writes=${done.writes}`);
    if (done.error) ctx.out.line(`error=${done.error}`);
    ctx.out.record(done);
    if (done.error) throw new Error(`workload failed: ${done.error}`);
  },
};
