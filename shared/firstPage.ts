// The first page's data: in web mode the server puts the backend and the device list into the
// page it serves to a request that carries the token, so the device list paints in the app's
// first render instead of after the WebSocket has connected and answered
// (test/bench/cold-start.ts). It travels as a JSON data block, which is never run as script
// (the CSP allows no inline script). Both sides' code is here, so a test can hand one to the other.
import type { DeviceSummary } from './contract';
import type { BackendInfo } from './schemas';

export const FIRST_PAGE_ID = 'blksnap-first-page';

export interface FirstPageData {
  backend: BackendInfo;
  devices: DeviceSummary[];
}

/**
 * The data block for `data`. `<` is escaped, so no text in it (a device name of
 * `</script><script>…`) can end the block early or open a comment: the parser sees one element.
 */
export function firstPageBlock(data: FirstPageData): string {
  const json = JSON.stringify(data).replace(/</g, '\\u003c');
  return `<script type="application/json" id="${FIRST_PAGE_ID}">${json}</script>`;
}

/** The part of a DOM document read here (shared/ is compiled without the DOM's types too). */
export interface PageLike {
  getElementById(id: string): { textContent: string | null; remove(): void } | null;
}

/**
 * The server's data from the page (and the block removed from it), or null when there is none or
 * it is not of the expected shape: then the page waits for the WebSocket as before.
 */
export function takeFirstPageData(doc: PageLike): FirstPageData | null {
  const element = doc.getElementById(FIRST_PAGE_ID);
  if (!element) return null;
  element.remove();
  let value: unknown;
  try {
    value = JSON.parse(element.textContent ?? '');
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const { backend, devices } = value as Record<string, unknown>;
  if (typeof backend !== 'object' || backend === null || typeof (backend as Record<string, unknown>).kind !== 'string') return null;
  if (!Array.isArray(devices) || !devices.every((d) => typeof d === 'object' && d !== null && typeof (d as Record<string, unknown>).path === 'string')) return null;
  return { backend: backend as BackendInfo, devices: devices as DeviceSummary[] };
}
