// Removes a test directory even where the kernel allocator left immutable storage files.
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { clearImmutable } from '../../../../electron/service/stretch/fiemap';

export function forceRemove(dir: string): void {
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else {
        try {
          clearImmutable(p);
        } catch {
          // not ours or no attributes: rmSync reports what is left
        }
      }
    }
  };
  try {
    walk(dir);
  } catch {
    // already gone
  }
  rmSync(dir, { recursive: true, force: true });
}
