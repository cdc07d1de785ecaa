// Loading the VAL-6.3 conformance traces (../shared/conformance, README there) for replay.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface IoctlRecord {
  seq: number;
  step: 'ioctl';
  label: string;
  fd: string;
  request: string;
  name: string;
  argSize: number;
  in: string;
  out: string;
  ptrFields?: Record<string, number>;
  inBuffers: Record<string, string>;
  outBuffers: Record<string, string>;
  ret: number;
  errno: number;
  errnoName: string | null;
  note?: string;
  decoded?: Record<string, unknown>;
}

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../..');
export const conformanceDir = resolve(repoRoot, '../shared/conformance');

export const TRACE_FILES = ['fingerprints', 'lifecycle', 'errors', 'overflow'].map((f) => `${f}-val-6.3.jsonl`);

/** Why the replay cannot run, or null. */
export function traceMissingReason(): string | null {
  const missing = TRACE_FILES.filter((f) => !existsSync(join(conformanceDir, f)));
  return missing.length ? `conformance traces not found in ${conformanceDir}: ${missing.join(', ')}` : null;
}

export function loadIoctls(file: string): IoctlRecord[] {
  return readFileSync(join(conformanceDir, file), 'utf8')
    .split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as { step: string })
    .filter((r): r is IoctlRecord => r.step === 'ioctl');
}

export function byLabel(records: IoctlRecord[], label: string): IoctlRecord {
  const r = records.find((x) => x.label === label);
  if (!r) throw new Error(`no record labelled ${label}`);
  return r;
}

const MARKER = /<ptr:([A-Za-z0-9_.]+)>/g;

/** Trace hex with each pointer marker replaced by the given addresses (16 hex chars LE). */
export function withPointers(hex: string, addresses: Record<string, number>): Buffer {
  const replaced = hex.replace(MARKER, (_m, name: string) => {
    const addr = addresses[name];
    if (addr === undefined) throw new Error(`no address for pointer ${name}`);
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(addr));
    return b.toString('hex');
  });
  return Buffer.from(replaced, 'hex');
}

/** Names of the pointer markers present (non-NULL pointers) in a trace hex. */
export function markers(hex: string): string[] {
  return [...hex.matchAll(MARKER)].map((m) => m[1] ?? '');
}

/** Copy of `buf` with the given [from, to) byte ranges zeroed (struct padding). */
export function maskPadding(buf: Buffer, padding: [number, number][]): Buffer {
  const out = Buffer.from(buf);
  for (const [from, to] of padding) out.fill(0, from, to);
  return out;
}
