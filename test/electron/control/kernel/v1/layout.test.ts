import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { V1_ARG_STRUCT, V1_FORBIDDEN_NR, V1_REQUEST, V1_STRUCT, type V1RequestName } from '../../../../../electron/control/kernel/dialects/v1/layout';

// blk_snap.h v1 as the spec (§6.2) describes it, written independently of the TS table.
const HEADER = String.raw`
#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>
#include <linux/ioctl.h>
#define BLK_SNAP 'V'
struct blk_snap_uuid { __u8 b[16]; };
struct blk_snap_dev_t { __u32 mj; __u32 mn; };
struct blk_snap_version { __u16 major; __u16 minor; __u16 revision; __u16 build; };
struct blk_snap_tracker_remove { struct blk_snap_dev_t dev_id; };
struct blk_snap_cbt_info { struct blk_snap_dev_t dev_id; __u32 blk_size; __u64 device_capacity; __u32 blk_count; __u8 generationId[16]; __u8 snap_number; };
struct blk_snap_tracker_collect { __u32 count; struct blk_snap_cbt_info *cbt_info_array; };
struct blk_snap_tracker_read_cbt_bitmap { struct blk_snap_dev_t dev_id; __u32 offset; __u32 length; __u8 *buff; };
struct blk_snap_block_range { __u64 sector_offset; __u64 sector_count; };
struct blk_snap_tracker_mark_dirty_blocks { struct blk_snap_dev_t dev_id; __u32 count; struct blk_snap_block_range *dirty_blocks_array; };
struct blk_snap_snapshot_create { __u32 count; struct blk_snap_dev_t *dev_id_array; struct blk_snap_uuid id; };
struct blk_snap_snapshot_destroy { struct blk_snap_uuid id; };
struct blk_snap_snapshot_append_storage { struct blk_snap_uuid id; struct blk_snap_dev_t dev_id; __u32 count; struct blk_snap_block_range *ranges; };
struct blk_snap_snapshot_take { struct blk_snap_uuid id; };
struct blk_snap_snapshot_collect { __u32 count; struct blk_snap_uuid *ids; };
struct blk_snap_image_info { struct blk_snap_dev_t orig_dev_id; struct blk_snap_dev_t image_dev_id; };
struct blk_snap_snapshot_collect_images { struct blk_snap_uuid id; __u32 count; struct blk_snap_image_info *image_info_array; };
struct blk_snap_snapshot_event { struct blk_snap_uuid id; __u32 timeout_ms; __u32 code; __s64 time_label; __u8 data[4096 - 32]; };
struct blk_snap_event_low_free_space { __u64 requested_nr_sect; };
struct blk_snap_event_corrupted { __u32 orig_dev_id_mj; __u32 orig_dev_id_mn; __s32 err_code; };
struct blk_snap_mod { __u64 compatibility_flags; __u8 name[32]; };
struct blk_snap_setlog { __s32 tz_minuteswest; __u32 level; __u32 filepath_size; __u8 *filepath; };
struct blk_snap_sector_state { __u8 snap_number_prev; __u8 snap_number_curr; __u32 chunk_state; };
struct blk_snap_get_sector_state { struct blk_snap_dev_t image_dev_id; __u64 sector; struct blk_snap_sector_state state; };
`;

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
    execFileSync('gcc', ['-Wall', '-Werror', '-o', join(dir, 'layout'), join(dir, 'layout.c')], { stdio: 'pipe' });
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
