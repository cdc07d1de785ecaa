// Reading the conformance traces (../shared/conformance, README there): records, hex with
// `<ptr:NAME>` markers, and where the directory is.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(__dirname, '../../../../..');
export const CONFORMANCE_DIR = resolve(REPO_ROOT, '../shared/conformance');
export const conformanceAvailable = existsSync(CONFORMANCE_DIR);

export interface IoctlRecord {
  seq: number;
  step: 'ioctl';
  label: string;
  fd: 'control' | 'bdevfilter';
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

export function readTrace(file: string): IoctlRecord[] {
  return readFileSync(join(CONFORMANCE_DIR, file), 'utf8').trim().split('\n')
    .map((line) => JSON.parse(line) as { step: string })
    .filter((r): r is IoctlRecord => r.step === 'ioctl');
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
