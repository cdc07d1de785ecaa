// Where the Electron binary is, or why it cannot be used here.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

export function electronBinary() {
  let path;
  try {
    // The electron package's main export is the path of its binary (from path.txt).
    path = createRequire(import.meta.url)('electron');
  } catch {
    // The electron package throws when its download did not happen (our install policy skips
    // its script; build/fetch-electron.mjs tries and tolerates failure).
    // Its own message ("Electron failed to install correctly, please delete node_modules/electron…")
    // contradicts the install, which said a missing binary is fine: say what is true instead.
    return { path: null, reason: 'the Electron binary is not installed (its download was skipped or failed, which is fine); `npm run fetch-electron` retries the download' };
  }
  if (typeof path !== 'string' || !existsSync(path)) return { path: null, reason: 'the Electron binary is not installed' };
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
    return { path: null, reason: 'no display (DISPLAY and WAYLAND_DISPLAY are unset)' };
  }
  return { path, reason: null };
}
