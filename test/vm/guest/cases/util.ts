// Helpers the cases share: checks with clear messages, and the dialect families.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { GuestSpec } from '../../host/guests';
import { STORE_DIR, type VmContext } from '../harness';

export const isV1 = (g: GuestSpec): true | string => g.dialect === 'v1' || `v1 only (this guest speaks ${g.dialect})`;
export const notV1 = (g: GuestSpec): true | string => g.dialect !== 'v1' || 'not on v1 (no attach/add; trackers appear at create)';
export const isUpstream = (g: GuestSpec): true | string => ['lk6.15', 'v7', 'v6'].includes(g.dialect) || `upstream dialects only (this guest speaks ${g.dialect})`;

export function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

export function equal<T>(actual: T, expected: T, what: string): void {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${what}: expected ${e}, got ${a}`);
}

export function match(text: string, pattern: RegExp, what: string): RegExpMatchArray {
  const m = pattern.exec(text);
  if (!m) throw new Error(`${what}: expected ${pattern}, got ${JSON.stringify(text.slice(0, 600))}`);
  return m;
}

/** A fresh directory on the ext4 (4 KiB blocks) store for this case's difference storage. */
export function storeDir(ctx: VmContext, name = 'diff'): string {
  const dir = join(STORE_DIR, `${ctx.scratch.split('/').pop()}-${name}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

export const MiB = 2 ** 20;
/** v1's creation-time request is diff_storage_minimum sectors: 64 MiB keeps tests quick. */
export const SMALL_MINIMUM_SECTORS = String((64 * MiB) / 512);

/** Creates a snapshot of the original the way each dialect wants it; returns its id. */
export async function createSnapshot(ctx: VmContext, limit = '256M'): Promise<string> {
  const dir = storeDir(ctx);
  if (ctx.guest.dialect === 'v1') {
    const r = await ctx.ok('snapshot_create', '-f', dir, '-l', limit, '-d', ctx.dev);
    return match(r.stdout, /^([0-9a-f-]{36})$/m, 'snapshot_create id')[1]!;
  }
  await ctx.ok('attach', '-d', ctx.dev);
  const r = await ctx.ok('snapshot_create', '-f', dir, '-l', limit, '-d', ctx.dev);
  return match(r.stdout, /^([0-9a-f-]{36})$/m, 'snapshot_create id')[1]!;
}
