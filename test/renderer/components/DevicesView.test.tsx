// @vitest-environment jsdom
import { act, cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DevicesView } from '../../../renderer/views/devices/DevicesView';
import { renderWithFake } from './harness';

afterEach(cleanup);

describe('DevicesView', () => {
  it('lists every device with capacity, tracker state and CBT figures', async () => {
    await renderWithFake(<DevicesView />);
    const row = screen.getByRole('row', { name: /\/dev\/vdb/ });
    expect(within(row).getByText('128 GiB')).toHaveProperty('title', '268,435,456 sectors · 137,438,953,472 bytes');
    expect(within(row).getByText('tracked')).toBeTruthy();
    expect(within(row).getByText('2,097,152')).toBeTruthy();
    expect(within(screen.getByRole('row', { name: /\/dev\/emu1/ })).getByText('not tracked')).toBeTruthy();
  });

  // Seventh session (ux): the badge read "error -28", glued to the image name; the snapshot card says "-28 (ENOSPC)".
  it("marks a corrupted image with its errno's name, apart from the image name", async () => {
    const { store } = await renderWithFake(<DevicesView />);
    const devices = store.getState().devices.map((d) => (d.path === '/dev/emu0' && d.snapshot ? { ...d, snapshot: { ...d.snapshot, errorCode: -28 } } : d));
    act(() => store.getState().setDevices(devices));
    const row = screen.getByRole('row', { name: /\/dev\/emu0/ });
    const badge = within(row).getByText('corrupted -28 (ENOSPC)');
    expect(badge.parentElement!.textContent).toBe('/dev/blksnap-252-1 corrupted -28 (ENOSPC)');
  });

  it('renders the list without Intl (its first use in a page costs 30–90 ms of the cold start)', async () => {
    const toLocaleString = vi.spyOn(Number.prototype, 'toLocaleString');
    const numberFormat = vi.spyOn(Intl, 'NumberFormat');
    try {
      await renderWithFake(<DevicesView />);
      expect(screen.getByText(/block devices, \d+ tracked/)).toBeTruthy();
      expect(within(screen.getByRole('row', { name: /\/dev\/vdb/ })).getByText('2,097,152')).toBeTruthy();
      expect(toLocaleString).not.toHaveBeenCalled();
      expect(numberFormat).not.toHaveBeenCalled();
    } finally {
      toLocaleString.mockRestore();
      numberFormat.mockRestore();
    }
  });

  it('attaches a tracker after confirmation', async () => {
    const { store } = await renderWithFake(<DevicesView />);
    fireEvent.click(screen.getByRole('button', { name: 'Attach /dev/emu1' }));
    const dialog = screen.getByRole('dialog', { name: 'Attach tracker to /dev/emu1?' });
    expect(document.activeElement).toBe(within(dialog).getByRole('button', { name: 'Cancel' }));
    fireEvent.click(within(dialog).getByRole('button', { name: 'Attach' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(store.getState().devices.find((d) => d.path === '/dev/emu1')?.tracked).toBe(true);
  });

  it('shows the service error when a detach is refused, changes nothing, and offers to force it', async () => {
    const { store, client } = await renderWithFake(<DevicesView />);
    const detach = vi.spyOn(client.api, 'detach');
    fireEvent.click(screen.getByRole('button', { name: 'Detach /dev/emu0' }));
    const dialog = screen.getByRole('dialog');
    expect(dialog.textContent).toContain('the snapshot image silently diverges');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Detach' }));
    expect((await within(dialog).findByRole('alert')).textContent).toContain('held by snapshot');
    expect(store.getState().devices.find((d) => d.path === '/dev/emu0')?.tracked).toBe(true);
    fireEvent.click(within(dialog).getByRole('button', { name: 'Detach anyway' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(detach).toHaveBeenLastCalledWith({ device: '/dev/emu0', force: true });
    expect(store.getState().devices.find((d) => d.path === '/dev/emu0')?.tracked).toBe(false);
  });

  it('cancels with Escape', async () => {
    await renderWithFake(<DevicesView />);
    fireEvent.click(screen.getByRole('button', { name: 'Detach /dev/vdb' }));
    fireEvent.keyDown(screen.getByRole('dialog'), { key: 'Escape' });
    expect(screen.queryByRole('dialog')).toBeNull();
  });

  // Eighth session (guard): the module lists snapshot images as block devices and accepts a tracker on one.
  it('offers no attach on a snapshot image, and says whose image it is', async () => {
    const { store } = await renderWithFake(<DevicesView />);
    act(() => store.getState().setDevices(store.getState().devices.map((d) => (d.path === '/dev/emu1' ? { ...d, imageOf: { original: '/dev/emu0', snapshotId: '00000000-0000-4000-8000-000000000001' } } : d))));
    const attach = screen.getByRole('button', { name: 'Attach /dev/emu1' });
    expect(attach).toHaveProperty('disabled', true);
    expect(document.getElementById(attach.getAttribute('aria-describedby') ?? '')?.textContent)
      .toBe('the snapshot image of /dev/emu0 in snapshot 00000000-0000-4000-8000-000000000001: cannot be tracked or put in a snapshot');
    fireEvent.click(attach);
    expect(screen.queryByRole('dialog')).toBeNull();
  });

  it('on v1 explains that trackers appear at snapshot create and offers no attach', async () => {
    await renderWithFake(<DevicesView />, { dialect: 'v1' });
    expect(screen.getByRole('note').textContent).toContain('gets its tracker when a snapshot');
    expect(screen.queryByRole('button', { name: /^Attach/ })).toBeNull();
  });
});
