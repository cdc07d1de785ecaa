// Reading the conformance traces (../shared/conformance, README there), for every dialect's
// replay (the v2 family here, v1 in ../v1/): where they are, their ioctl records, and the
// recorded hex with its `<ptr:NAME>` markers.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(__dirname, '../../../../..');
export const CONFORMANCE_DIR = resolve(REPO_ROOT, '../shared/conformance');
export const conformanceAvailable = existsSync(CONFORMANCE_DIR);

export interface IoctlRecord {
  seq: number;
  step: 'ioctl';
  label: string;
  /** The node the call went to: `control`, `bdevfilter` (v2 family), the v1 node. */
  fd: string;
  request: string;
  name: string;
  argSize: number;
  in: string;
  ptrFields?: Record<string, number>;
  inBuffers: Record<string, string>;
  out: string;
  outBuffers: Record<string, string>;
  ret: number;
  errno: number;
  errnoName: string | null;
  note?: string;
  decoded?: Record<string, unknown>;
}

/** The ioctl records of one trace file, in order. */
export function readTrace(file: string): IoctlRecord[] {
  return readFileSync(join(CONFORMANCE_DIR, file), 'utf8')
    .split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as { step: string })
    .filter((r): r is IoctlRecord => r.step === 'ioctl');
}

/** Trace files of `names` not present in the conformance directory. */
export function missingTraces(names: readonly string[]): string[] {
  return names.filter((f) => !existsSync(join(CONFORMANCE_DIR, f)));
}

export function byLabel(records: IoctlRecord[], label: string): IoctlRecord {
  const r = records.find((x) => x.label === label);
  if (!r) throw new Error(`no record labelled ${label}`);
  return r;
}

export type Segment = { kind: 'bytes'; offset: number; bytes: Buffer } | { kind: 'ptr'; offset: number; name: string };

const MARKER = /<ptr:([A-Za-z0-9_.]+)>/g;

/** Splits recorded hex into byte runs and 8-byte pointer markers, with their offsets. */
export function segments(hex: string): Segment[] {
  const out: Segment[] = [];
  let offset = 0;
  let last = 0;
  for (const m of hex.matchAll(MARKER)) {
    const before = Buffer.from(hex.slice(last, m.index), 'hex');
    if (before.length) out.push({ kind: 'bytes', offset, bytes: before });
    offset += before.length;
    out.push({ kind: 'ptr', offset, name: m[1] as string });
    offset += 8;
    last = (m.index ?? 0) + m[0].length;
  }
  const rest = Buffer.from(hex.slice(last), 'hex');
  if (rest.length) out.push({ kind: 'bytes', offset, bytes: rest });
  return out;
}

export function hexLength(hex: string): number {
  return segments(hex).reduce((n, s) => n + (s.kind === 'ptr' ? 8 : s.bytes.length), 0);
}

export function cText(hex: string): string {
  const b = Buffer.from(hex, 'hex');
  const end = b.indexOf(0);
  return b.subarray(0, end < 0 ? b.length : end).toString('utf8');
}

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
