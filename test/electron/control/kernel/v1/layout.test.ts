import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { V1_ARG_STRUCT, V1_FORBIDDEN_NR, V1_REQUEST, V1_STRUCT, type V1RequestName } from '../../../../../electron/control/kernel/dialects/v1/layout';

// blk_snap.h v1 as the spec (§6.2) describes it, written independently of the TS table; the
// LD_PRELOAD fake module decodes arguments with the same header.
const HEADER_DIR = join(dirname(fileURLToPath(import.meta.url)), 'fake');
const HEADER = '#include <stddef.h>\n#include <stdio.h>\n#include "blk_snap_v1.h"\n';

const REQUESTS_C: Record<V1RequestName, string> = {
  VERSION: "_IOW(BLK_SNAP, 0, struct blk_snap_version)",
  TRACKER_REMOVE: "_IOW(BLK_SNAP, 1, struct blk_snap_tracker_remove)",
  TRACKER_COLLECT: "_IOW(BLK_SNAP, 2, struct blk_snap_tracker_collect)",
  TRACKER_READ_CBT_MAP: "_IOR(BLK_SNAP, 3, struct blk_snap_tracker_read_cbt_bitmap)",
  TRACKER_MARK_DIRTY_BLOCKS: "_IOR(BLK_SNAP, 4, struct blk_snap_tracker_mark_dirty_blocks)",
  SNAPSHOT_CREATE: "_IOW(BLK_SNAP, 5, struct blk_snap_snapshot_create)",
  SNAPSHOT_DESTROY: "_IOR(BLK_SNAP, 6, struct blk_snap_snapshot_destroy)",
  SNAPSHOT_APPEND_STORAGE: "_IOW(BLK_SNAP, 7, struct blk_snap_snapshot_append_storage)",
  SNAPSHOT_TAKE: "_IOR(BLK_SNAP, 8, struct blk_snap_snapshot_take)",
  SNAPSHOT_COLLECT: "_IOW(BLK_SNAP, 9, struct blk_snap_snapshot_collect)",
  SNAPSHOT_COLLECT_IMAGES: "_IOW(BLK_SNAP, 10, struct blk_snap_snapshot_collect_images)",
  SNAPSHOT_WAIT_EVENT: "_IOW(BLK_SNAP, 11, struct blk_snap_snapshot_event)",
  MOD: "_IOW(BLK_SNAP, 32, struct blk_snap_mod)",
  SETLOG: "_IOW(BLK_SNAP, 33, struct blk_snap_setlog)",
  GET_SECTOR_STATE: "_IOW(BLK_SNAP, 34, struct blk_snap_get_sector_state)",
};

function cProgram(): string {
  const lines: string[] = [];
  lines.push('int main(void) {', 'printf("{\\"structs\\":{");');
  const structs = Object.entries(V1_STRUCT);
  structs.forEach(([name, layout], i) => {
    const fields = Object.keys(layout.fields)
      .map((f, j) => `printf("${j ? ',' : ''}\\"${f}\\":%zu", offsetof(struct ${name}, ${f}));`).join(' ');
    lines.push(`printf("${i ? ',' : ''}\\"${name}\\":{\\"size\\":%zu,\\"fields\\":{", sizeof(struct ${name})); ${fields} printf("}}");`);
  });
  lines.push('printf("},\\"requests\\":{");');
  Object.entries(REQUESTS_C).forEach(([name, expr], i) => {
    lines.push(`printf("${i ? ',' : ''}\\"${name}\\":%lu", (unsigned long)(${expr}));`);
  });
  lines.push('printf("}}\\n"); return 0; }');
  return HEADER + lines.join('\n');
}

interface CLayout {
  structs: Record<string, { size: number; fields: Record<string, number> }>;
  requests: Record<string, number>;
}

let dir = '';
let c: CLayout | null = null;
let gccMissing = '';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'v1-layout-'));
  writeFileSync(join(dir, 'layout.c'), cProgram());
  try {
    execFileSync('gcc', ['-Wall', '-Werror', '-I', HEADER_DIR, '-o', join(dir, 'layout'), join(dir, 'layout.c')], { stdio: 'pipe' });
  } catch (err) {
    gccMissing = `gcc failed or is missing: ${(err as Error).message}`;
    return;
  }
  c = JSON.parse(execFileSync(join(dir, 'layout'), { encoding: 'utf8' })) as CLayout;
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('v1 layout table agrees with gcc (x86_64)', () => {
  it('has a C compiler to check against', () => {
    if (gccMissing) console.warn(`v1 layout check skipped: ${gccMissing}`);
    expect(process.arch === 'x64' ? gccMissing : '').toBe('');
  });

  it.each(Object.keys(V1_STRUCT))('struct %s: size and every field offset', (name) => {
    if (!c) return;
    expect(c.structs[name]).toEqual(V1_STRUCT[name as keyof typeof V1_STRUCT]);
  });

  it.each(Object.keys(V1_REQUEST))('request %s: the number as compiled', (name) => {
    if (!c) return;
    expect(V1_REQUEST[name as V1RequestName]).toBe(c.requests[name]);
  });

  it('each number carries its argument struct size, type V and never nr 12', () => {
    for (const [name, num] of Object.entries(V1_REQUEST)) {
      const struct = V1_STRUCT[V1_ARG_STRUCT[name as V1RequestName]];
      expect((num >>> 16) & 0x3fff, name).toBe(struct.size);
      expect((num >>> 8) & 0xff, name).toBe(0x56);
      expect(num & 0xff, name).not.toBe(V1_FORBIDDEN_NR);
    }
  });
});
