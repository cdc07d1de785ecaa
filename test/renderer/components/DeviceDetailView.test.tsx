// @vitest-environment jsdom
import { act, cleanup, fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { DeviceDetailView } from '../../../renderer/views/devices/DeviceDetailView';
import { createFakeClient } from '../../../renderer/dev/fakeApi';
import { renderWithFake, stubCanvasAndDownloads } from './harness';

afterEach(cleanup);
beforeAll(stubCanvasAndDownloads);

describe('DeviceDetailView', () => {
  it('summarises what an incremental from N reads, and follows N', async () => {
    await renderWithFake(<DeviceDetailView path="/dev/emu0" />);
    // emu0: blocks 0–2047 changed at take 1, blocks 30,000–33,999 at take 2; the last take is 2.
    const summary = await screen.findByTestId('changed-since-summary');
    expect(summary.textContent).toContain('from 1 reads 4,000 blocks');
    expect(summary.textContent).toContain('250 MiB');
    fireEvent.change(screen.getByLabelText('Changed since change number'), { target: { value: '0' } });
    expect(screen.getByTestId('changed-since-summary').textContent).toContain('from 0 reads 6,048 blocks');
    fireEvent.change(screen.getByLabelText('Changed since change number'), { target: { value: '300' } });
    expect(screen.getByText('The change number is a whole number from 0 to 255.')).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Export ranges as CSV' })).toHaveProperty('disabled', true);
  });

  it('shows the heatmap canvas with an accessible name and the legend', async () => {
    await renderWithFake(<DeviceDetailView path="/dev/emu0" />);
    expect(await screen.findByRole('img', { name: /CBT heatmap of \/dev\/emu0: 131,072 blocks of 64 KiB/ })).toBeTruthy();
    expect(screen.getByRole('list', { name: 'Heatmap legend' }).textContent).toContain('change number 1');
    fireEvent.click(screen.getByRole('checkbox', { name: 'Highlight on the map' }));
    expect(screen.getByRole('list', { name: 'Heatmap legend' }).textContent).toContain('changed after 1');
  });

  it('inspects the map from the keyboard, cell by cell', async () => {
    await renderWithFake(<DeviceDetailView path="/dev/emu0" />);
    const canvas = await screen.findByRole('img', { name: /CBT heatmap/ });
    canvas.focus();
    fireEvent.keyDown(canvas, { key: 'ArrowRight' });
    expect(screen.getByRole('tooltip').textContent).toContain('Block 0');
    fireEvent.keyDown(canvas, { key: 'ArrowRight' });
    expect(screen.getByRole('tooltip').textContent).toContain('Block 1');
    expect(screen.getByRole('tooltip').textContent).toContain('Change number1');
    expect(screen.getByText('Block 1: change number 1.')).toBeTruthy();
    fireEvent.keyDown(canvas, { key: 'Escape' });
    expect(screen.queryByRole('tooltip')).toBeNull();
  });

  it('selects blocks with Shift+drag and marks the selection dirty', async () => {
    const { client } = await renderWithFake(<DeviceDetailView path="/dev/emu0" />);
    const markDirty = vi.spyOn(client.api, 'markDirty');
    const canvas = await screen.findByRole('img', { name: /CBT heatmap/ });
    // jsdom: the canvas sits at 0,0 and draws one 64 KiB block per pixel here.
    fireEvent.mouseDown(canvas, { clientX: 2, clientY: 0, shiftKey: true });
    fireEvent.mouseMove(canvas, { clientX: 6, clientY: 0, shiftKey: true });
    fireEvent.mouseUp(canvas);
    const panel = screen.getByRole('region', { name: 'Selected blocks' });
    expect(panel.textContent).toContain('Selected blocks 2–6 (5 blocks, 320 KiB): sectors 256–895; 5 changed');
    fireEvent.click(screen.getByRole('button', { name: 'Mark selection dirty' }));
    await waitFor(() => expect(markDirty).toHaveBeenCalledWith({ device: '/dev/emu0', ranges: [{ offsetSectors: 256, countSectors: 640 }] }));
    fireEvent.click(screen.getByRole('button', { name: 'Clear selection' }));
    expect(screen.queryByRole('region', { name: 'Selected blocks' })).toBeNull();
  });

  it('exports the changed ranges through the API', async () => {
    const { client } = await renderWithFake(<DeviceDetailView path="/dev/emu0" />);
    const exportRanges = vi.spyOn(client.api, 'exportChangedRanges');
    await screen.findByTestId('changed-since-summary');
    fireEvent.click(screen.getByRole('button', { name: 'Export ranges as CSV' }));
    await waitFor(() => expect(exportRanges).toHaveBeenCalledWith({ device: '/dev/emu0', sinceChangeNumber: 1, format: 'csv' }));
    expect(await exportRanges.mock.results[0]!.value).toMatchObject({ rangeCount: 1, text: 'offset_sectors,count_sectors\n3840000,512000\n' });
  });

  it('reads the map again at once on "Reload map" and shows what it holds now', async () => {
    const { client } = await renderWithFake(<DeviceDetailView path="/dev/emu0" />);
    const summary = await screen.findByTestId('changed-since-summary');
    expect(summary.textContent).toContain('from 1 reads 4,000 blocks');
    // The map changes behind the page's back (blocks 100,000–100,099 marked dirty, change number 2).
    await client.api.markDirty({ device: '/dev/emu0', ranges: [{ offsetSectors: 100_000 * 128, countSectors: 100 * 128 }] });
    // jsdom draws one block per pixel: the page asks for the map itself, not a level.
    const read = vi.spyOn(client.api, 'cbtMap');
    expect(screen.getByTestId('changed-since-summary').textContent).toContain('from 1 reads 4,000 blocks');
    fireEvent.click(screen.getByRole('button', { name: 'Reload map' }));
    expect(read).toHaveBeenCalledTimes(1);
    expect(read.mock.calls[0]![0]).toEqual({ device: '/dev/emu0' });
    await waitFor(() => expect(screen.getByTestId('changed-since-summary').textContent).toContain('from 1 reads 4,100 blocks'));
  });

  it('checks dirty ranges before sending them', async () => {
    const { client } = await renderWithFake(<DeviceDetailView path="/dev/emu0" />);
    const markDirty = vi.spyOn(client.api, 'markDirty');
    fireEvent.change(screen.getByLabelText(/Sector ranges/), { target: { value: '0 0' } });
    fireEvent.click(screen.getByRole('button', { name: 'Mark dirty' }));
    expect(screen.getByText(/at least one sector/)).toBeTruthy();
    fireEvent.change(screen.getByLabelText(/Sector ranges/), { target: { value: '2048 128' } });
    fireEvent.click(screen.getByRole('button', { name: 'Mark dirty' }));
    await waitFor(() => expect(markDirty).toHaveBeenCalledWith({ device: '/dev/emu0', ranges: [{ offsetSectors: 2048, countSectors: 128 }] }));
    expect(await screen.findByText(/Marked 1 range dirty/)).toBeTruthy();
  });

  it('calls out a generation change: a full backup is needed', async () => {
    const { store } = await renderWithFake(<DeviceDetailView path="/dev/emu0" />);
    const devices = store.getState().devices.map((d) => (d.path === '/dev/emu0' && d.cbt ? { ...d, cbt: { ...d.cbt, generationId: '99999999-9999-4999-8999-999999999999' } } : d));
    act(() => store.getState().setDevices(devices));
    expect((await screen.findByText('Generation changed: full backup needed.'))).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Acknowledge' }));
    expect(screen.queryByText('Generation changed: full backup needed.')).toBeNull();
  });

  it('on v1 explains that the map needs a taken snapshot instead of failing', async () => {
    const client = createFakeClient({ dialect: 'v1', live: false });
    const cbtMap = vi.spyOn(client.api, 'cbtMap');
    await renderWithFake(<DeviceDetailView path="/dev/vdb" />, { client });
    expect(screen.getByRole('note').textContent).toContain('only while /dev/vdb is in a taken snapshot');
    expect(cbtMap).not.toHaveBeenCalled();
    cleanup();
    await renderWithFake(<DeviceDetailView path="/dev/emu0" />, { dialect: 'v1' });
    expect(await screen.findByRole('img', { name: /CBT heatmap of \/dev\/emu0/ })).toBeTruthy();
  });

  // Seventh session (ux): a corrupted image was offered mount and dd commands as if it could be backed up.
  it('offers no backup commands for a corrupted image, and says why and what to do', async () => {
    const { store } = await renderWithFake(<DeviceDetailView path="/dev/emu0" />);
    expect(await screen.findByRole('button', { name: 'Copy the full copy command' })).toBeTruthy();
    const devices = store.getState().devices.map((d) => (d.path === '/dev/emu0' && d.snapshot ? { ...d, snapshot: { ...d.snapshot, errorCode: -28 } } : d));
    act(() => store.getState().setDevices(devices));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('/dev/blksnap-252-1 cannot be read: its area is corrupted (error code -28 (ENOSPC))');
    expect(alert.textContent).toContain('/dev/emu0 itself is intact');
    expect(screen.queryByRole('button', { name: 'Copy the full copy command' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Download' })).toBeNull();
    expect(alert.textContent).toContain('take a new one, with more difference storage.');
    // An area that failed with EIO (the storage's own read or write) needs no more storage.
    const eio = store.getState().devices.map((d) => (d.path === '/dev/emu0' && d.snapshot ? { ...d, snapshot: { ...d.snapshot, errorCode: -5 } } : d));
    act(() => store.getState().setDevices(eio));
    await waitFor(() => expect(screen.getByRole('alert').textContent).toContain('error code -5 (EIO)'));
    expect(screen.getByRole('alert').textContent).toContain('Destroy the snapshot and take a new one.');
    expect(screen.getByRole('alert').textContent).not.toContain('more difference storage');
  });

  // Seventh session (ux): with nothing changed since N it still offered a loop copying the changed blocks.
  it('offers the changed-blocks copy only when blocks changed since N', async () => {
    await renderWithFake(<DeviceDetailView path="/dev/emu0" />);
    expect(await screen.findByRole('button', { name: 'Copy the changed blocks command' })).toBeTruthy();
    fireEvent.change(screen.getByLabelText('Changed since change number'), { target: { value: '2' } });
    expect(screen.getByTestId('changed-since-summary').textContent).toContain('reads 0 blocks');
    expect(screen.queryByRole('button', { name: 'Copy the changed blocks command' })).toBeNull();
    expect(screen.getByText('No block has a change number above 2: a full copy made then needs nothing from this image.')).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Copy the full copy command' })).toBeTruthy();
  });

  // Seventh session (review): after a new take, until its map came, the summary and the image's
  // commands were those of the previous take's map: 'needs nothing from this image' while blocks
  // had changed, and no changed-blocks copy offered (an incremental backup that would miss them).
  it('says nothing about the changed blocks from a map of an earlier take', async () => {
    const { client, store } = await renderWithFake(<DeviceDetailView path="/dev/emu0" />);
    fireEvent.change(await screen.findByLabelText('Changed since change number'), { target: { value: '2' } });
    expect(await screen.findByText(/a full copy made then needs nothing from this image/)).toBeTruthy();
    // Take 3 (its map, asked for now, has not come yet).
    const pending = new Promise<never>(() => undefined);
    Object.assign(client, { cbtMap: () => pending, cbtMapLevel: () => pending });
    const devices = store.getState().devices.map((d) => (d.path === '/dev/emu0' && d.cbt ? { ...d, cbt: { ...d.cbt, changesNumber: 3 } } : d));
    act(() => store.getState().setDevices(devices));
    expect(screen.queryByText(/needs nothing from this image/)).toBeNull();
    expect(screen.queryByTestId('changed-since-summary')).toBeNull();
    expect(screen.getByRole('button', { name: 'Copy the changed blocks command' })).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Export ranges as CSV' })).toHaveProperty('disabled', true);
  });

  it('warns that an image whose snapshot storage overflowed goes corrupted at its next copy', async () => {
    const { store } = await renderWithFake(<DeviceDetailView path="/dev/emu0" />);
    expect(await screen.findByRole('button', { name: 'Copy the full copy command' })).toBeTruthy();
    expect(screen.queryByRole('alert')).toBeNull();
    const id = store.getState().devices.find((d) => d.path === '/dev/emu0')!.snapshotId;
    const snapshots = store.getState().snapshots.map((s) => (s.id === id ? { ...s, corrupted: true, usage: { ...s.usage, overflowed: true } } : s));
    act(() => store.getState().setSnapshots(snapshots));
    expect((await screen.findByRole('alert')).textContent).toContain("The snapshot's difference storage overflowed.");
    expect(screen.getByRole('button', { name: 'Copy the full copy command' })).toBeTruthy();
  });

  it('says when the device is unknown or not tracked', async () => {
    await renderWithFake(<DeviceDetailView path="/dev/emu1" />);
    expect(screen.getByText('This device is not tracked')).toBeTruthy();
    cleanup();
    await renderWithFake(<DeviceDetailView path="/dev/nope" />);
    expect(screen.getByText('No device /dev/nope')).toBeTruthy();
    // Seventh session (ux): this page had no level-one heading (axe page-has-heading-one).
    expect(screen.getByRole('heading', { level: 1, name: '/dev/nope' })).toBeTruthy();
  });
});
