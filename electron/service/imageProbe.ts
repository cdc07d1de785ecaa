// The file system on a device's snapshot image, for the mount command (shared/imageMount.ts):
// `blkid -p -o export`, a low-level probe that opens read-only and only reads, killed after a
// time limit so a hanging device cannot hang the request. Nothing here writes to the image or
// the original. Kernel: the image device /dev/<name> the module reports (SNAPSHOTINFO or
// COLLECT_IMAGES). Emulator: its image exists only behind its read call, so the image's first
// and last MiB (where blkid finds ext*, xfs, btrfs, LUKS, LVM, swap, partition tables) are read
// through it into a private sparse file of the image's size, unlinked at once (blkid reads it as
// /dev/fd/3, so nothing of it stays on disk), and the same blkid probes that file.
import { constants, type Stats } from 'node:fs';
import { access, lstat, mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import type { ApiArgs, ImageFileSystem } from '../../shared/contract';
import { errnoError, errnoName, toErrorInfo } from '../../shared/errors';
import { isEmulator, type BlksnapControl, type EmulatorControl } from '../control/types';
import { runTool } from '../resolver/tools';

export const PROBE_TIMEOUT_MS = 5_000;
const EDGE_BYTES = 2 ** 20;
const NODE_WAIT_MS = 2_000;
/** blksnap-252-0, blksnap-image_8:16, veeamblksnapimg0, veeamblksnapimg_254:0, vbsnap-8-0. */
const IMAGE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.:-]*$/;

type Found = Omit<ImageFileSystem, 'image'>;

export interface ImageProbeOptions {
  timeoutMs?: number;
  /** The blkid to run (tests put a stand-in first in PATH instead). */
  tool?: string;
}

export class ImageProbe {
  private readonly inFlight = new Map<string, Promise<ImageFileSystem>>();
  private readonly timeoutMs: number;
  private readonly tool: string;

  constructor(private readonly control: BlksnapControl, options: ImageProbeOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? PROBE_TIMEOUT_MS;
    this.tool = options.tool ?? 'blkid';
  }

  /** Bad input (an untracked device, no image) throws; a probe that fails answers with its problem. */
  async probe({ device }: ApiArgs<'imageFileSystem'>): Promise<ImageFileSystem> {
    const info = await this.control.snapshotInfo(device);
    if (info.image === '') throw errnoError('ENODEV', 'imageFileSystem', `${device} has no snapshot image: it is in no taken snapshot`, { device });
    if (!IMAGE_NAME.test(info.image)) throw errnoError('EINVAL', 'imageFileSystem', `the module named the image of ${device} '${info.image}', which is not a device name`, { device });
    const image = `/dev/${info.image}`;
    if (info.errorCode !== 0) {
      const name = errnoName(Math.abs(info.errorCode));
      return { image, ...unknown(`not probed: the image's area is corrupted (error ${info.errorCode}${name ? `, ${name}` : ''}) and every read of it fails`) };
    }
    const running = this.inFlight.get(image);
    if (running) return running;
    const signal = AbortSignal.timeout(this.timeoutMs);
    const work = isEmulator(this.control)
      ? probeEmulated(this.control, device, image, this.tool, signal)
      : probeDevice(image, this.tool, signal);
    // The answer does not wait for blkid to be gone: one killed in an uninterruptible read (a
    // hanging device) stays until the read returns. Until it has, asking again gets this answer
    // rather than another blkid stuck beside it.
    const answer = Promise.race([work, stopped(signal)]).then(
      (found) => ({ image, ...found }),
      (err: unknown) => ({ image, ...this.failure(err, signal, image) }),
    );
    this.inFlight.set(image, answer);
    void work.catch(() => undefined).finally(() => this.inFlight.delete(image));
    return answer;
  }

  private failure(err: unknown, signal: AbortSignal, image: string): Found {
    if (signal.aborted && toErrorInfo(err).code === 'ECANCELED') {
      return unknown(`blkid did not answer within ${this.timeoutMs / 1000} s (ETIMEDOUT) and was stopped: reads of ${image} may be hanging`);
    }
    return unknown(`the probe failed: ${toErrorInfo(err).message}`);
  }
}

/** Rejects (ECANCELED) when the time limit is reached. */
function stopped(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    const stop = () => reject(errnoError('ECANCELED', 'probe', 'stopped'));
    if (signal.aborted) stop();
    else signal.addEventListener('abort', stop, { once: true });
  });
}

function unknown(problem: string): Found {
  return { type: null, usage: null, partitionTable: null, problem };
}

async function probeDevice(image: string, tool: string, signal: AbortSignal): Promise<Found> {
  const st = await nodeOf(image, signal);
  if (!st.isBlockDevice()) throw errnoError('ENOTBLK', 'probe', `${image} is not a block device`, { image });
  await access(image, constants.R_OK).catch(() => {
    throw errnoError('EACCES', 'probe', `${image} is not readable by uid ${process.getuid?.() ?? '?'}: run blksnap Manager as root, or grant read access to the image`, { image });
  });
  return blkid(image, tool, signal);
}

/** udev makes the image's node just after the take: a probe asked for at once waits a moment for it. */
async function nodeOf(image: string, signal: AbortSignal): Promise<Stats> {
  const deadline = Date.now() + NODE_WAIT_MS;
  for (;;) {
    try {
      return await lstat(image);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      if (Date.now() >= deadline || signal.aborted) {
        throw errnoError('ENOENT', 'probe', `${image} does not exist (without udev, create it with mknod ${image} b <major> <minor>)`, { image });
      }
      await sleep(100);
    }
  }
}

async function probeEmulated(control: EmulatorControl, device: string, image: string, tool: string, signal: AbortSignal): Promise<Found> {
  const capacityBytes = (await control.cbtInfo(device)).deviceCapacityBytes;
  const dir = await mkdtemp(join(tmpdir(), 'blksnap-probe-'));
  let handle;
  try {
    handle = await open(join(dir, 'image'), 'wx', 0o600);
  } finally {
    // Unlinked at once: the copy of the image's edges lives only in this descriptor, so nothing of
    // it stays on disk while a blkid lingers, nor after a crash. blkid reads it as /dev/fd/3.
    await rm(dir, { recursive: true, force: true });
  }
  try {
    await handle.truncate(capacityBytes);
    const headEnd = Math.min(EDGE_BYTES, capacityBytes);
    const tailStart = Math.max(headEnd, Math.floor((capacityBytes - EDGE_BYTES) / 512) * 512);
    for (const [at, end] of [[0, headEnd], [tailStart, capacityBytes]] as const) {
      if (end <= at) continue;
      const data = await control.read(image, at, end - at);
      if (signal.aborted) throw errnoError('ECANCELED', 'probe', 'stopped');
      await handle.write(data, 0, data.length, at);
    }
    return await blkid('/dev/fd/3', tool, signal, [handle.fd]);
  } finally {
    await handle.close();
  }
}

/** blkid's export lines; exit 2 = nothing recognised, 8 = several signatures (ambivalent). */
async function blkid(path: string, tool: string, signal: AbortSignal, fds?: number[]): Promise<Found> {
  const values = new Map<string, string>();
  const { code, stderr } = await runTool(tool, {
    args: ['-p', '-o', 'export', path],
    okCodes: [2, 8],
    signal,
    fds,
    onLine: (line) => {
      const eq = line.indexOf('=');
      if (eq > 0) values.set(line.slice(0, eq), line.slice(eq + 1));
    },
  });
  const type = values.get('TYPE') ?? null;
  const partitionTable = values.get('PTTYPE') ?? null;
  let problem: string | null = null;
  // Exit 2 is also blkid's answer to a device it cannot open or read (EACCES, EIO): then it says why on stderr.
  const said = stderr.trim().split('\n').slice(-2).join(' / ');
  if (code === 8) problem = 'blkid found more than one signature on it (ambivalent); `wipefs <image>` without options lists them';
  else if (code === 2 && said) problem = `blkid could not read it: ${said}`;
  else if (type === null && partitionTable === null) problem = 'blkid recognised no file system on it';
  return { type, usage: values.get('USAGE') ?? null, partitionTable, problem };
}
