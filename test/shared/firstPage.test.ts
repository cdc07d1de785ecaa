// @vitest-environment jsdom
// The first page's data block (shared/firstPage.ts): what the server writes, the page reads back,
// whatever the device names hold; anything else in its place is ignored.
import { describe, expect, it } from 'vitest';
import { FIRST_PAGE_ID, firstPageBlock, takeFirstPageData, type FirstPageData } from '../../shared/firstPage';
import type { DeviceSummary } from '../../shared/contract';

const backend = { kind: 'emulator', dialect: 'lk6.15', dialectLabel: 'upstream lk6.15 (emulated)' } as unknown as FirstPageData['backend'];
const device = (path: string) => ({ path, name: path.slice(5), capacityBytes: 2 ** 30, tracked: false, cbt: null, snapshotId: null }) as unknown as DeviceSummary;

function pageWith(block: string): Document {
  return new DOMParser().parseFromString(`<!doctype html><html><head></head><body>${block}<div id="root"></div></body></html>`, 'text/html');
}

describe('first page data', () => {
  it('reads back what the server wrote, and removes the block from the page', () => {
    const data: FirstPageData = { backend, devices: [device('/dev/vda'), device('/dev/vdb')] };
    const doc = pageWith(firstPageBlock(data));
    expect(takeFirstPageData(doc)).toEqual(data);
    expect(doc.getElementById(FIRST_PAGE_ID)).toBeNull();
    expect(takeFirstPageData(doc)).toBeNull();
  });

  it('keeps markup in a device name as text: the block is one element and no script is added', () => {
    const hostile = '/dev/x</script><script>alert(1)</script><!--';
    const data: FirstPageData = { backend, devices: [device(hostile), device('/dev/y')] };
    const block = firstPageBlock(data);
    expect(block.indexOf('<', 1)).toBe(block.lastIndexOf('</script>'));
    const doc = pageWith(block);
    expect(doc.querySelectorAll('script')).toHaveLength(1);
    expect(takeFirstPageData(doc)?.devices.map((d) => d.path)).toEqual([hostile, '/dev/y']);
  });

  it('is null for a page without the block, with unreadable JSON or with data of another shape', () => {
    expect(takeFirstPageData(pageWith(''))).toBeNull();
    const wrong = (json: string) => pageWith(`<script type="application/json" id="${FIRST_PAGE_ID}">${json}</script>`);
    expect(takeFirstPageData(wrong('{"backend":'))).toBeNull();
    expect(takeFirstPageData(wrong('null'))).toBeNull();
    expect(takeFirstPageData(wrong('{"devices":[]}'))).toBeNull();
    expect(takeFirstPageData(wrong(`{"backend":${JSON.stringify(backend)},"devices":{}}`))).toBeNull();
    expect(takeFirstPageData(wrong(`{"backend":${JSON.stringify(backend)},"devices":[{"name":"vda"}]}`))).toBeNull();
    expect(takeFirstPageData(wrong(`{"backend":${JSON.stringify(backend)},"devices":[]}`))).toEqual({ backend, devices: [] });
  });
});
