// Schemas are built on first use (shared/lazySchema.ts): a blksnapctl call on the emulator
// directory builds the schemas of its own arguments and of the state files it reads, not the
// whole contract (~20 ms of CPU per call, test/bench/cli.ts). This file's modules are its own
// (vitest isolates test files), so what is built here is what the call built.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmulator } from '../../electron/control/emulator';
import * as changedFiles from '../../shared/changedFiles';
import * as contract from '../../shared/contract';
import { lazySchema, lazyTable, wasBuilt, type LazySchema } from '../../shared/lazySchema';
import * as schemas from '../../shared/schemas';
import { cli } from '../electron/cli/harness';
import { z } from 'zod';

/** The named schemas of the shared modules built so far. */
function builtSchemas(): string[] {
  return Object.entries({ ...schemas, ...changedFiles, ...contract })
    .filter(([, value]) => typeof value === 'function' && wasBuilt(value as LazySchema<z.ZodType>))
    .map(([name]) => name)
    .sort();
}

let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lazy-schemas-'));
  const emulator = await createEmulator({ stateDir: dir });
  await emulator.createDevice('disk0', 2 ** 24);
  await emulator.attach('/dev/disk0');
  await emulator.close();
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('schemas built on first use', () => {
  it('a blksnapctl cbtinfo on the emulator directory builds its arguments\' schemas and its state files\', not the contract\'s answers', async () => {
    expect(builtSchemas()).toEqual([]);
    const r = await cli(['--emulator-dir', dir, '--backend', 'emulator', 'cbtinfo', '-d', '/dev/disk0']);
    expect([r.code, r.lines[0]]).toEqual([0, 'block_size=65536']);
    // What its arguments are made of: the service validates no answer, and no state file existed to read.
    expect(builtSchemas()).toEqual(['DevicePath']);
  });

  it('a schema is built once: every call hands back the same instance', () => {
    let builds = 0;
    const Answer = lazySchema(() => {
      builds += 1;
      return z.number();
    });
    expect(wasBuilt(Answer)).toBe(false);
    expect(Answer()).toBe(Answer());
    expect([builds, wasBuilt(Answer)]).toEqual([1, true]);
  });

  it('a table lists every key before any entry is built, and builds an entry once, when read', () => {
    const built: string[] = [];
    const table = lazyTable({ a: () => (built.push('a'), 1), b: () => (built.push('b'), 2) });
    expect([Object.keys(table), Object.hasOwn(table, 'b'), 'a' in table, built]).toEqual([['a', 'b'], true, true, []]);
    expect([table.b, table.b, built]).toEqual([2, 2, ['b']]);
  });
});
