// Web mode: the app's page with the first page's data (shared/firstPage.ts: the backend and the
// device list) for a request that carries the token. The page up to <body> goes out at once, so
// the browser fetches the app's script while the service reads the list; the rest follows with
// the data, or without it when the service has not answered within `waitMs` (the page then
// asks over the WebSocket, as it does after a reload, whose URL no longer carries the token).
// With the data, the app's root holds the first paint (renderer/firstPaint.tsx): the device list
// as static HTML, which shows before the app's script has run and which its first render replaces.
import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { firstPageBlock, type FirstPageData } from '../../shared/firstPage';
import type { BlksnapService } from '../service';

/** How long the rest of the page waits for the service's answer. */
export const FIRST_PAGE_WAIT_MS = 500;

/** The service's answers for the first page (reads only: a GET never changes state). */
export async function readFirstPageData(service: BlksnapService): Promise<FirstPageData> {
  const [backend, devices] = await Promise.all([service.backendInfo({}), service.listDevices({})]);
  return { backend, devices };
}

/** The data, or null when it failed or took longer than `waitMs`. */
async function within(read: () => Promise<FirstPageData>, waitMs: number): Promise<FirstPageData | null> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), waitMs);
  });
  try {
    return await Promise.race([read().catch(() => null), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** The app's empty root in index.html, which the first paint fills. */
const EMPTY_ROOT = '<div id="root"></div>';

/** `rest` with the data block first and `paint`'s markup in the root (spliced, never a pattern). */
function restWithData(rest: string, first: FirstPageData, paint: (data: FirstPageData) => string | null): string {
  const markup = paint(first);
  const root = rest.indexOf(EMPTY_ROOT);
  const filled = markup === null || root < 0
    ? rest
    : `${rest.slice(0, root)}<div id="root">${markup}</div>${rest.slice(root + EMPTY_ROOT.length)}`;
  return `${firstPageBlock(first)}${filled}`;
}

/**
 * Sends `indexFile` with the data block inserted after <body> and the first paint in the root;
 * false (nothing sent) when the file cannot be read, so the caller answers as for any other file.
 */
export async function serveFirstPage(
  res: ServerResponse,
  indexFile: string,
  read: () => Promise<FirstPageData>,
  { paint = () => null, waitMs = FIRST_PAGE_WAIT_MS }: { paint?: (data: FirstPageData) => string | null; waitMs?: number } = {},
): Promise<boolean> {
  const data = within(read, waitMs);
  let html: string;
  try {
    // Read at once: the file is small and in the page cache (read by prepareFirstPage). The async
    // read went through the thread pool, and the page's first bytes waited for its turn there.
    html = readFileSync(indexFile, 'utf8');
  } catch {
    return false;
  }
  const body = html.indexOf('<body>');
  const split = body < 0 ? html.length : body + '<body>'.length;
  // No Content-Length: the page goes out in chunks, its head first.
  res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
  res.write(html.slice(0, split));
  const first = await data;
  const rest = html.slice(split);
  res.end(first ? restWithData(rest, first, paint) : rest);
  return true;
}
