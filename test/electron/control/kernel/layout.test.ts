// Every dialect's layout table against gcc: the C headers in c/ are written from the spec; a
// generated program prints sizeof/offsetof/request numbers, compared with the TS tables.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { IOC_READ, IOC_WRITE, hex32, ioc } from '../../../../electron/control/kernel/ioc';
import { paddingRanges } from '../../../../electron/control/kernel/struct';
import { REQUEST_SPECS, V2_DIALECTS } from './dialect-tables';

const C_DIR = join(__dirname, 'c');
const work = mkdtempSync(join(tmpdir(), 'blksnap-layout-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function cProgram(dialectId: string): string {
  const d = V2_DIALECTS.find((x) => x.id === dialectId);
  if (!d) throw new Error(dialectId);
  const lines: string[] = [];
  const emit = (key: string, expr: string) => lines.push(`  printf("\\"%s\\":%lu,\\n", "${key}", (unsigned long)(${expr}));`);
  for (const layout of Object.values(d.structs)) {
    emit(`size:${layout.name}`, `sizeof(struct ${layout.name})`);
    for (const [field, f] of Object.entries(layout.fields)) {
      emit(`offset:${layout.name}.${field}`, `offsetof(struct ${layout.name}, ${field})`);
      emit(`fieldsize:${layout.name}.${field}`, `sizeof(((struct ${layout.name} *)0)->${field})`);
      void f;
    }
  }
  for (const key of Object.keys(d.requests)) emit(`request:${key}`, `REQ_${key}`);
  return `#include <stdio.h>\n#include <stddef.h>\n#include "${dialectId}.h"\nint main(void) {\n  printf("{\\n");\n${lines.join('\n')}\n  printf("\\"end\\":0}\\n");\n  return 0;\n}\n`;
}

function gccFacts(dialectId: string): Record<string, number> {
  const src = join(work, `${dialectId}.c`);
  const bin = join(work, `${dialectId}.bin`);
  writeFileSync(src, cProgram(dialectId));
  execFileSync('gcc', ['-std=gnu11', '-Wall', '-Werror', '-I', C_DIR, '-o', bin, src]);
  return JSON.parse(execFileSync(bin, { encoding: 'utf8' })) as Record<string, number>;
}

describe.each(V2_DIALECTS.map((d) => [d.id, d] as const))('layout of %s', (id, dialect) => {
  it('matches gcc for every struct size, field offset and field size, and every request number', () => {
    const facts = gccFacts(id);
    let compared = 0;
    for (const layout of Object.values(dialect.structs)) {
      expect(facts[`size:${layout.name}`], `sizeof(struct ${layout.name})`).toBe(layout.size);
      for (const [field, f] of Object.entries(layout.fields)) {
        expect(facts[`offset:${layout.name}.${field}`], `offsetof(${layout.name}, ${field})`).toBe(f.offset);
        expect(facts[`fieldsize:${layout.name}.${field}`], `sizeof ${layout.name}.${field}`).toBe(f.size);
        compared += 2;
      }
      compared++;
    }
    for (const [key, value] of Object.entries(dialect.requests)) {
      expect(hex32(facts[`request:${key}`] ?? -1), key).toBe(hex32(value as number));
      compared++;
    }
    expect(compared).toBeGreaterThan(40);
  });

  it('has hex literals that say what the spec says (recomputed from _IOC dir, type, nr, size)', () => {
    const specs = REQUEST_SPECS[id] ?? {};
    expect(Object.keys(specs).sort()).toEqual(Object.keys(dialect.requests).sort());
    const byName = new Map(Object.values(dialect.structs).map((s) => [s.name, s]));
    for (const [key, [dir, type, nr, structName]] of Object.entries(specs)) {
      const size = byName.get(structName)?.size;
      expect(size, `${key}: struct ${structName} in the table`).toBeDefined();
      const d = (dir.includes('R') ? IOC_READ : 0) | (dir.includes('W') ? IOC_WRITE : 0);
      expect(hex32(dialect.requests[key as keyof typeof dialect.requests] as number), key).toBe(hex32(ioc({ dir: d, type, nr, size: size ?? 0 })));
    }
  });

  it('uses the filter structs its request numbers encode', () => {
    const specs = REQUEST_SPECS[id] ?? {};
    expect(dialect.filter.attach.name).toBe(specs.FILTER_ATTACH?.[3]);
    expect(dialect.filter.detach.name).toBe(specs.FILTER_DETACH?.[3]);
    expect(dialect.filter.ctl.name).toBe(specs.FILTER_CTL?.[3]);
  });
});

describe('collisions the probe must respect (spec §0.3)', () => {
  it('0xC030128E is ATTACH in lk6.15 and CTL in v6/v7; nothing else collides silently', () => {
    const [lk, v7, v6] = V2_DIALECTS;
    expect(lk?.requests.FILTER_ATTACH).toBe(0xc030128e);
    expect(v7?.requests.FILTER_CTL).toBe(0xc030128e);
    expect(v6?.requests.FILTER_CTL).toBe(0xc030128e);
  });

  it('computes padding (never a field) for the structs with holes', () => {
    const collect = V2_DIALECTS[0]?.structs.blksnap_snapshot_collect;
    expect(collect && paddingRanges(collect)).toEqual([[4, 8]]);
  });
});
