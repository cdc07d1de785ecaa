// @vitest-environment jsdom
// Issue 17, what a first-time admin read wrong: the Attach dialog's change number (item 10), the
// gauge before any write and with a 0-byte limit (item 11), and the Remove-device dialog that did
// not say why the backend would answer EBUSY (item 14).
import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { DiffStorageUsage } from '../../../shared/schemas';
import { EmulatorPanel } from '../../../renderer/views/backend/EmulatorPanel';
import { ImageAccess } from '../../../renderer/views/devices/ImageAccess';
import { DeviceDetailView } from '../../../renderer/views/devices/DeviceDetailView';
import { DevicesView } from '../../../renderer/views/devices/DevicesView';
import { FillGauge } from '../../../renderer/views/snapshots/FillGauge';
import { pathStorageRule } from '../../../shared/limits';
import { timeToFullText } from '../../../renderer/views/snapshots/SnapshotCard';
import type { SnapshotSummary } from '../../../shared/contract';
import { renderWithFake, stubCanvasAndDownloads } from './harness';

afterEach(cleanup);
beforeAll(stubCanvasAndDownloads);

const MiB = 2 ** 20;
const usage = (filledBytes: number, allocatedBytes: number, limitBytes: number): DiffStorageUsage => ({
  filledSectors: filledBytes / 512, requestedSectors: null, capacitySectors: allocatedBytes / 512, limitSectors: limitBytes / 512, overflowed: false, source: 'emulator',
});

describe('the Attach dialog and the device count (item 10)', () => {
  it('says the change number starts at 0, as the table and cbtinfo show', async () => {
    await renderWithFake(<DevicesView />);
    fireEvent.click(screen.getByRole('button', { name: 'Attach /dev/emu1' }));
    const text = screen.getByRole('dialog').textContent ?? '';
    expect(text).toContain('change number starts at 0');
    expect(text).not.toMatch(/change number 1\b/);
  });

  it('counts "1 block device", not "1 block devices"', async () => {
    const { store } = await renderWithFake(<DevicesView />);
    const [first] = store.getState().devices;
    act(() => store.getState().setDevices([{ ...first!, tracked: true }]));
    expect(screen.getByText(/block device/, { selector: '.view-subtitle' }).textContent).toBe('1 block device, 1 tracked');
  });
});

describe('the fill gauge (item 11)', () => {
  it('explains the 2 MiB used before any write, in the order Limit, Allocated, Used', () => {
    render(<FillGauge usage={usage(2 * MiB, 64 * MiB, 1024 * MiB)} reservedBytes={2 * MiB} />);
    expect([...document.querySelectorAll('.gauge-legend dt')].map((e) => e.textContent)).toEqual(['Limit', 'Allocated', 'Used']);
    expect(screen.getByText(/Used starts at 2 MiB: the module keeps the first 2 MiB of the storage unused/)).toBeTruthy();
  });

  it('says nothing of a reserve where the module uses the storage from 0 (v6, v7: pathStorageRule)', () => {
    render(<FillGauge usage={usage(2 * MiB, 64 * MiB, 1024 * MiB)} reservedBytes={pathStorageRule('v7', { eventCodes: {} }).startBytes} />);
    expect(document.body.textContent).not.toMatch(/Used starts at/);
  });

  it('never says more than 100 %: used is measured against the allocation when that is above the limit', () => {
    render(<FillGauge usage={usage(2 * MiB, 4 * MiB, 1024)} reservedBytes={2 * MiB} />);
    expect(screen.getByRole('img').getAttribute('aria-label')).toContain('50% of the storage used');
    expect(document.body.textContent).not.toMatch(/\d{4,}%/);
  });

  it('warns about a 0-byte limit instead of drawing a full bar and saying nothing', () => {
    render(<FillGauge usage={usage(2 * MiB, 4 * MiB, 0)} reservedBytes={2 * MiB} />);
    expect(screen.getByRole('note').textContent).toMatch(/The limit is 0 bytes: the storage cannot grow/);
  });
});

describe('the Remove-device dialog (item 14)', () => {
  it('says a tracked device or one in a snapshot cannot be removed, and what to do first', async () => {
    await renderWithFake(<EmulatorPanel />);
    fireEvent.click(screen.getByRole('button', { name: 'Remove /dev/emu0' }));
    expect(within(screen.getByRole('dialog')).getByText(/\/dev\/emu0 is in snapshot/).parentElement?.textContent).toMatch(/EBUSY.*Destroy the snapshot, then detach the tracker, first/);
    // Seventh session (ux): the dialog said it cannot be removed and still offered Remove.
    expect(within(screen.getByRole('dialog')).getByRole('button', { name: 'Remove' })).toHaveProperty('disabled', true);
    fireEvent.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Cancel' }));
    fireEvent.click(screen.getByRole('button', { name: 'Remove /dev/vdb' }));
    expect(screen.getByRole('dialog').textContent).toMatch(/\/dev\/vdb is tracked.*Detach its tracker in the Devices list first/);
    expect(within(screen.getByRole('dialog')).getByRole('button', { name: 'Remove' })).toHaveProperty('disabled', true);
    fireEvent.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Cancel' }));
    fireEvent.click(screen.getByRole('button', { name: 'Remove /dev/emu1' }));
    expect(screen.getByRole('dialog').textContent).toContain('The emulated device and its data file are deleted.');
    expect(within(screen.getByRole('dialog')).getByRole('button', { name: 'Remove' })).toHaveProperty('disabled', false);
  });
});

describe('the CBT wrap warning in the GUI (CLI and event: test/electron/cli/firstRun.test.ts, test/electron/service/firstRun.test.ts)', () => {
  const atChangeNumber = (store: Awaited<ReturnType<typeof renderWithFake>>['store'], path: string, changesNumber: number) => act(() => {
    store.getState().setDevices(store.getState().devices.map((d) => (d.path === path && d.cbt ? { ...d, cbt: { ...d.cbt, changesNumber } } : d)));
  });

  it('from change number 250 the devices list says in how many takes the map wraps; not before', async () => {
    const { store } = await renderWithFake(<DevicesView />);
    const row = () => screen.getByRole('row', { name: /\/dev\/vdb/ });
    atChangeNumber(store, '/dev/vdb', 249);
    expect(within(row()).queryByText(/^wrap in/)).toBeNull();
    atChangeNumber(store, '/dev/vdb', 252);
    expect(within(row()).getByText('wrap in 3').getAttribute('title')).toMatch(/full/);
  });

  it('the device view shows a "CBT reset ahead" banner from change number 250', async () => {
    const { store } = await renderWithFake(<DeviceDetailView path="/dev/vdb" />);
    atChangeNumber(store, '/dev/vdb', 249);
    expect(screen.queryByText('CBT reset ahead.')).toBeNull();
    atChangeNumber(store, '/dev/vdb', 250);
    expect(screen.getByText('CBT reset ahead.').parentElement?.textContent).toMatch(/Change number 250.*full/);
  });
});

describe('time to full on the snapshot card (item 3; the estimate itself: test/electron/service/fill.test.ts)', () => {
  const snapshot = (timeToFullSec: number | null, timeToFullConfidence: SnapshotSummary['timeToFullConfidence']) =>
    ({ usage: usage(32 * MiB, 1024 * MiB, 1024 * MiB), timeToFullSec, timeToFullConfidence } as SnapshotSummary);

  it('says how sure the estimate is, and "not filling now" once writes stop', () => {
    expect(timeToFullText(snapshot(8, 'low'))).toBe('about 8 s at the recent rate (a rough guess: few or bursty writes so far)');
    expect(timeToFullText(snapshot(65, 'high'))).toMatch(/^about 1 min 5 s at the recent rate \(the writes are steady\)$/);
    expect(timeToFullText(snapshot(null, null))).toBe('not filling now');
  });
});

describe('reading the snapshot image (item 13)', () => {
  it('offers copy-able mount, dd, partclone and changed-ranges commands, and on the emulator downloads a range', async () => {
    const { store, client } = await renderWithFake(<></>);
    const device = store.getState().devices.find((d) => d.snapshot?.image)!;
    const image = `/dev/${device.snapshot!.image}`;
    const read = vi.spyOn(client.api, 'emuRead').mockResolvedValue(new Uint8Array(4096));
    cleanup();
    await renderWithFake(<ImageAccess device={device} sinceChangeNumber={1} />, { client });
    const section = screen.getByRole('region', { name: 'Reading the snapshot image' });
    // The fake's image holds ext4: the mount keeps its journal out of the image once the probe answers.
    await waitFor(() => expect(section.querySelector('ul.command-list')?.getAttribute('aria-busy')).toBe('false'));
    expect(section.textContent).toContain('Mount its ext4 file system read-only (noload: its journal is not replayed into the image)');
    const commands = [...section.querySelectorAll('code.command')].map((c) => c.textContent);
    expect(commands).toEqual([
      expect.stringContaining(`sudo mount -o ro,noload ${image} `),
      `sudo dd if=${image} of=backup.img bs=4M status=progress`,
      expect.stringContaining(`partclone.ext4 -c -s ${image}`),
      expect.stringMatching(new RegExp(`^blksnapctl changed_ranges -d ${device.path} -s 1 --csv .*dd if=${image} `)),
    ]);
    expect(within(section).getAllByRole('button', { name: /^Copy the .* command$/ })).toHaveLength(4);
    const form = within(section).getByRole('form', { name: 'Download a range of the image' });
    fireEvent.change(within(form).getByLabelText('Offset'), { target: { value: '64K' } });
    fireEvent.change(within(form).getByLabelText('Length'), { target: { value: '65M' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Download' }));
    expect(within(form).getByRole('alert').textContent).toContain('The length is from 1 byte to 64 MiB.');
    fireEvent.change(within(form).getByLabelText('Length'), { target: { value: '4K' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Download' }));
    await waitFor(() => expect(read).toHaveBeenCalledWith({ path: image, offsetBytes: 65536, lengthBytes: 4096 }));
  });

  it('offers plain ro and says why where the file system could not be checked', async () => {
    const { store, client } = await renderWithFake(<></>);
    const device = store.getState().devices.find((d) => d.snapshot?.image)!;
    const image = `/dev/${device.snapshot!.image}`;
    vi.spyOn(client.api, 'imageFileSystem').mockRejectedValue({ code: 'ETRANSPORT', message: 'the connection to blksnap Manager closed' });
    cleanup();
    await renderWithFake(<ImageAccess device={device} sinceChangeNumber={1} />, { client });
    const section = screen.getByRole('region', { name: 'Reading the snapshot image' });
    expect(await within(section).findByText(/Its file system type is unknown \(it could not be checked: the connection to blksnap Manager closed\): for ext3\/ext4 add noload/)).toBeTruthy();
    const commands = [...section.querySelectorAll('code.command')].map((c) => c.textContent);
    expect(commands[0]).toBe(`sudo mkdir -p /mnt/${image.replace(/[^a-zA-Z0-9_-]/g, '_')} && sudo mount -o ro ${image} /mnt/${image.replace(/[^a-zA-Z0-9_-]/g, '_')}`);
    // No file system known, so no partclone tool to name.
    expect(commands.some((c) => c?.includes('partclone'))).toBe(false);
  });
});
