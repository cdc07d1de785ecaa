// npm start (build/start.cjs) runs the web mode's bundle through the code cache's CommonJS runner
// itself, without the ES module stub the build writes (dist/web/main.mjs): it must run the bundle
// the build makes, with the same cache timing. The launcher's running is tested in
// test/e2e/npm-start.spec.ts, against the build.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NODE_ENTRIES } from '../../build/build.mjs';

describe('npm start', () => {
  it('runs the web bundle build/build.mjs makes, keeping its code cache as the build\'s entry does', () => {
    const launcher = readFileSync(join(import.meta.dirname, '../../build/start.cjs'), 'utf8');
    const declared = /const WEB_ENTRY = \{ bundle: '([^']+)', writeAfterMs: (\d+) \};/.exec(launcher);
    expect(declared, 'build/start.cjs declares WEB_ENTRY').not.toBeNull();
    const web = NODE_ENTRIES.find((e) => e.in === 'electron/web/main.ts');
    expect(web).toBeDefined();
    expect(declared![1]).toBe(`dist/${web!.out}.cjs`);
    expect(Number(declared![2])).toBe(web!.writeAfterMs);
  });

  it('is what package.json starts, and the old entry runs it', () => {
    const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '../../package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.start).toBe('node build/start.cjs');
    expect(readFileSync(join(import.meta.dirname, '../../build/start.mjs'), 'utf8')).toContain("createRequire(import.meta.url)('./start.cjs')");
  });
});
