// @vitest-environment jsdom
import { act, cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { refreshLists } from '../../../renderer/app/connect';
import { SnapshotsView } from '../../../renderer/views/snapshots/SnapshotsView';
import { renderWithFake } from './harness';

afterEach(cleanup);

describe('SnapshotsView', () => {
  it('validates the limit before sending anything', async () => {
    const { client } = await renderWithFake(<SnapshotsView />);
    const create = vi.spyOn(client.api, 'snapshotCreate');
    fireEvent.change(screen.getByLabelText('Storage directory'), { target: { value: '/var/tmp' } });
    fireEvent.change(screen.getByLabelText('Storage limit'), { target: { value: '12X' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create snapshot' }));
    expect(screen.getByText(/"X" is not a size unit/)).toBeTruthy();
    expect(screen.getByLabelText('Storage limit').getAttribute('aria-invalid')).toBe('true');
    expect(create).not.toHaveBeenCalled();
  });

  it('creates a snapshot with the chosen devices, storage and limit in sectors', async () => {
    const { client, store } = await renderWithFake(<SnapshotsView />);
    const create = vi.spyOn(client.api, 'snapshotCreate');
    fireEvent.click(screen.getByRole('checkbox', { name: /\/dev\/vdb/ }));
    fireEvent.click(screen.getByRole('radio', { name: 'Existing file' }));
    fireEvent.change(screen.getByLabelText('Storage file'), { target: { value: '/var/tmp/diff' } });
    fireEvent.change(screen.getByLabelText('Storage limit'), { target: { value: '512M' } });
    expect(screen.getByText('512 MiB = 1,048,576 sectors')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Create snapshot' }));
    await waitFor(() => expect(store.getState().snapshots).toHaveLength(2));
    expect(create).toHaveBeenCalledWith({ diffStoragePath: '/var/tmp/diff', diffStorageLimitSectors: 1_048_576, devices: ['/dev/vdb'] });
    expect(await screen.findByRole('status')).toBeTruthy();
  });

  // Issue 17 item 7: a refusal answered the form as it was; once the form changes it no longer applies.
  it('drops a refusal once the path is edited, and offers Dismiss for it', async () => {
    const { client } = await renderWithFake(<SnapshotsView />);
    vi.spyOn(client.api, 'snapshotCreate').mockRejectedValue({ code: 'ENOENT', message: 'difference storage /var/tmpx: ENOENT (No such file or directory)' });
    const form = screen.getByRole('form', { name: 'Create snapshot' });
    const refuse = async () => {
      fireEvent.change(screen.getByLabelText('Storage directory'), { target: { value: '/var/tmpx' } });
      fireEvent.click(screen.getByRole('button', { name: 'Create snapshot' }));
      expect((await within(form).findByRole('alert')).textContent).toContain('ENOENT');
    };
    await refuse();
    fireEvent.change(screen.getByLabelText('Storage directory'), { target: { value: '/var/tmp' } });
    expect(within(form).queryByRole('alert')).toBeNull();
    await refuse();
    fireEvent.change(screen.getByLabelText('Storage limit'), { target: { value: '4G' } });
    expect(within(form).queryByRole('alert')).toBeNull();
    await refuse();
    fireEvent.click(within(form).getByRole('button', { name: 'Dismiss error' }));
    expect(within(form).queryByRole('alert')).toBeNull();
  });

  it('offers overwriting a block device that holds data only as a separate, confirmed danger action', async () => {
    const { client } = await renderWithFake(<SnapshotsView />);
    const real = client.api.snapshotCreate.bind(client.api);
    const create = vi.spyOn(client.api, 'snapshotCreate').mockImplementation(async (request) => {
      if (!request.forceStorageDevice) {
        throw { code: 'EGUARD', message: 'difference storage /dev/vdc refused (rule device-has-data: ...)', details: { rule: 'device-has-data' } };
      }
      return real(request);
    });
    fireEvent.click(screen.getByRole('checkbox', { name: /\/dev\/vdb/ }));
    fireEvent.change(screen.getByLabelText('Storage directory'), { target: { value: '/dev/vdc' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create snapshot' }));
    const danger = await screen.findByRole('button', { name: 'Overwrite the data on /dev/vdc…' });
    expect(danger.className).toBe('danger');
    expect(create).toHaveBeenCalledTimes(1);
    fireEvent.click(danger);
    fireEvent.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Overwrite /dev/vdc' }));
    await waitFor(() => expect(create).toHaveBeenCalledTimes(2));
    expect(create.mock.calls[1]![0]).toMatchObject({ diffStoragePath: '/dev/vdc', forceStorageDevice: true });
    expect(create.mock.calls[0]![0].forceStorageDevice).toBeUndefined();
  });

  it('shows each snapshot with its images, fill and a destroy confirmation', async () => {
    const { store } = await renderWithFake(<SnapshotsView />);
    const snapshot = store.getState().snapshots[0]!;
    const card = screen.getByRole('region', { name: new RegExp(snapshot.id) });
    expect(within(card).getByText('/dev/blksnap-252-1')).toBeTruthy();
    expect(within(card).getByRole('img', { name: /Difference storage fill: Used .* limit 2 GiB/ })).toBeTruthy();
    fireEvent.click(within(card).getByRole('button', { name: `Destroy snapshot ${snapshot.id.slice(0, 8)}` }));
    fireEvent.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Destroy' }));
    await waitFor(() => expect(store.getState().snapshots).toHaveLength(0));
    expect(screen.getByText('No snapshots')).toBeTruthy();
  });

  // Seventh session (ux): the dialog gave the focus back to the Destroy button, gone with its card, so it fell to <body>.
  it('after a destroy the focus goes to the view heading, not to the page body', async () => {
    const { store } = await renderWithFake(<SnapshotsView />);
    const snapshot = store.getState().snapshots[0]!;
    const destroy = screen.getByRole('button', { name: `Destroy snapshot ${snapshot.id.slice(0, 8)}` });
    destroy.focus();
    fireEvent.click(destroy);
    fireEvent.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Destroy' }));
    await waitFor(() => expect(store.getState().snapshots).toHaveLength(0));
    await waitFor(() => expect(document.activeElement).toBe(screen.getByRole('heading', { level: 1, name: 'Snapshots' })));
  });

  it('shows unknown fill values as unknown and a corrupted snapshot clearly', async () => {
    const { store } = await renderWithFake(<SnapshotsView />);
    const snapshot = store.getState().snapshots[0]!;
    store.getState().setSnapshots([{ ...snapshot, corrupted: true, usage: { ...snapshot.usage, filledSectors: null, overflowed: true } }]);
    const card = await screen.findByRole('region', { name: new RegExp(snapshot.id) });
    expect(within(card).getByText('Snapshot corrupted.')).toBeTruthy();
    expect(within(card).getByText('corrupted')).toBeTruthy();
    expect(within(card).getAllByText('unknown').length).toBeGreaterThan(0);
  });

  // Seventh session (review): every corrupted snapshot was told to come back with more difference
  // storage; an area that failed with EIO (the storage's own read or write) needs no more of it.
  it('asks for more difference storage only when the area ran out of it (ENOSPC)', async () => {
    const { store } = await renderWithFake(<SnapshotsView />);
    const snapshot = store.getState().snapshots[0]!;
    const failed = (code: number, overflowed: boolean) => ({
      ...snapshot, corrupted: true, usage: { ...snapshot.usage, overflowed },
      devices: snapshot.devices.map((d, i) => (i === 0 ? { ...d, info: { image: d.info?.image ?? 'blksnap-252-0', errorCode: code } } : d)),
    });
    act(() => store.getState().setSnapshots([failed(-5, false)]));
    const card = await screen.findByRole('region', { name: new RegExp(snapshot.id) });
    const banner = () => within(card).getByText('Snapshot corrupted.').parentElement!.textContent;
    expect(banner()).toContain('Destroy this snapshot and create a new one.');
    expect(banner()).not.toContain('more difference storage');
    act(() => store.getState().setSnapshots([failed(-28, true)]));
    await waitFor(() => expect(banner()).toContain('Destroy this snapshot and create a new one, with more difference storage.'));
  });

  it('says when another program made a snapshot: no Take or Add, no claim about its state, and the destroy warns', async () => {
    const { store } = await renderWithFake(<SnapshotsView />);
    const [seeded] = store.getState().snapshots;
    const known = { ...seeded!, id: 'cccccccc-0000-4000-8000-00000000000c', createdOutside: true, createdAtMs: null, diffStoragePath: null, storageMode: null };
    const unknown = { ...known, id: 'dddddddd-0000-4000-8000-00000000000d', devices: [], taken: null };
    act(() => store.getState().setSnapshots([known, unknown]));
    const card = (id: string) => screen.getByRole('region', { name: new RegExp(id) });
    for (const c of [card(known.id), card(unknown.id)]) {
      expect(within(c).getByText('made by another program')).toBeTruthy();
      expect(within(c).getByText('Not created by this app.')).toBeTruthy();
      expect(within(c).queryByRole('button', { name: /^Take snapshot/ })).toBeNull();
      expect(within(c).queryByLabelText('Add device')).toBeNull();
      expect(within(c).getByText('not known (made by another program)')).toBeTruthy();
      expect(within(c).queryByText('created, not taken')).toBeNull();
    }
    // Its devices inferred from the module: listed with their images; none: said so.
    expect(within(card(known.id)).getByText('/dev/blksnap-252-1')).toBeTruthy();
    expect(within(card(known.id)).getByText('taken')).toBeTruthy();
    expect(within(card(unknown.id)).getByText('Not known.')).toBeTruthy();
    expect(within(card(unknown.id)).queryByText('taken')).toBeNull();
    // A device the module shows in another program's snapshot is offered neither to create nor to add.
    expect(screen.getByRole('checkbox', { name: /\/dev\/vdb/ })).toBeTruthy();
    act(() => store.getState().setDevices(store.getState().devices.map((d) => (d.path === '/dev/vdb' ? { ...d, snapshotId: null, snapshot: { errorCode: 0, image: 'blksnap-252-2' } } : d))));
    expect(screen.queryByRole('checkbox', { name: /\/dev\/vdb/ })).toBeNull();
    fireEvent.click(within(card(unknown.id)).getByRole('button', { name: `Destroy snapshot ${unknown.id.slice(0, 8)}` }));
    expect(within(screen.getByRole('dialog')).getByText(/Another program made this snapshot:/)).toBeTruthy();
  });

  // Eighth session: a device another program added to this app's snapshot was listed under the outside snapshot.
  it('marks a device another program added to this app\'s snapshot, and the destroy warns of that program\'s backup', async () => {
    const { store } = await renderWithFake(<SnapshotsView />);
    const [seeded] = store.getState().snapshots;
    const added = { path: '/dev/vdc', info: { errorCode: 0, image: 'blksnap-252-9' }, addedOutside: true };
    act(() => store.getState().setSnapshots([{ ...seeded!, devices: [...seeded!.devices, added] }]));
    const card = screen.getByRole('region', { name: new RegExp(seeded!.id) });
    const row = within(card).getByRole('rowheader', { name: /\/dev\/vdc/ });
    expect(within(row).getByText('added by another program')).toBeTruthy();
    expect(within(card).getByText(/Another program added \/dev\/vdc to this snapshot: its image appeared as this app took it/)).toBeTruthy();
    expect(within(card).queryByText('made by another program')).toBeNull();
    fireEvent.click(within(card).getByRole('button', { name: `Destroy snapshot ${seeded!.id.slice(0, 8)}` }));
    // Inferred, not known: the dialog says so as the card does.
    expect(within(screen.getByRole('dialog')).getByText(/Another program seems to have added \/dev\/vdc to this snapshot \(its image appeared as this app took it\):/)).toBeTruthy();
  });

  // Seventh session (ux): with every device in a snapshot the card still offered an empty "Choose a device…" list.
  it('offers adding a device to a snapshot only when a device is free, and says when none is', async () => {
    const { store } = await renderWithFake(<SnapshotsView />);
    const seeded = { ...store.getState().snapshots[0]!, taken: false };
    act(() => store.getState().setSnapshots([seeded]));
    const card = screen.getByRole('region', { name: new RegExp(seeded.id) });
    const select = within(card).getByLabelText('Add device');
    expect(within(select).getAllByRole('option').map((o) => o.textContent)).toEqual(['Choose a device…', '/dev/vdb', '/dev/emu1 (not tracked)']);
    act(() => store.getState().setDevices(store.getState().devices.map((d) => ({ ...d, snapshotId: seeded.id }))));
    expect(within(card).queryByLabelText('Add device')).toBeNull();
    expect(within(card).getByText('No device to add: each is in a snapshot already, or none exists.')).toBeTruthy();
  });

  // Eighth session (guard): a snapshot image is offered neither to add nor to create, and says why.
  it('offers a snapshot image disabled, with whose image it is, in the add list and the create form', async () => {
    const { store } = await renderWithFake(<SnapshotsView />);
    const seeded = { ...store.getState().snapshots[0]!, taken: false };
    act(() => store.getState().setSnapshots([seeded]));
    act(() => store.getState().setDevices(store.getState().devices.map((d) => (d.path === '/dev/emu1' ? { ...d, imageOf: { original: '/dev/vdb', snapshotId: null } } : d))));
    const card = screen.getByRole('region', { name: new RegExp(seeded.id) });
    const option = within(within(card).getByLabelText('Add device')).getByRole('option', { name: /\/dev\/emu1/ });
    expect(option.textContent).toBe('/dev/emu1 (the snapshot image of /dev/vdb in a snapshot this app did not create: cannot be added)');
    expect(option).toHaveProperty('disabled', true);
    const box = screen.getByRole('checkbox', { name: /\/dev\/emu1/ });
    expect(box).toHaveProperty('disabled', true);
    expect(box.parentElement!.textContent).toContain('the snapshot image of /dev/vdb in a snapshot this app did not create: cannot be put in a snapshot');
  });

  // Seventh session (review): a snapshot with no devices said 'Add one below' above the line saying there is none to add.
  it('says to add a device below only when one can be', async () => {
    const { store } = await renderWithFake(<SnapshotsView />);
    const empty = { ...store.getState().snapshots[0]!, taken: false, devices: [] };
    act(() => store.getState().setSnapshots([empty]));
    const card = screen.getByRole('region', { name: new RegExp(empty.id) });
    expect(within(card).getByText('No devices yet. Add one below, then take the snapshot.')).toBeTruthy();
    act(() => store.getState().setDevices(store.getState().devices.map((d) => ({ ...d, snapshotId: 'eeeeeeee-0000-4000-8000-00000000000e' }))));
    expect(within(card).getByText('No devices yet.')).toBeTruthy();
    expect(within(card).getByText('No device to add: each is in a snapshot already, or none exists.')).toBeTruthy();
  });

  // Seventh session (ux): at the one snapshot v1 holds, the form took a whole create only to refuse it.
  it('on v1 offers no create while its one snapshot exists, saying why', async () => {
    const { client, store } = await renderWithFake(<SnapshotsView />, { dialect: 'v1' });
    const button = screen.getByRole('button', { name: 'Create snapshot' });
    expect(button).toHaveProperty('disabled', true);
    expect(button.getAttribute('aria-describedby')).toBe('create-at-most');
    expect(document.getElementById('create-at-most')!.textContent).toContain('destroy the current one before creating another');
    await client.api.snapshotDestroy({ id: store.getState().snapshots[0]!.id });
    await act(() => refreshLists(client, store));
    expect(screen.getByRole('button', { name: 'Create snapshot' })).toHaveProperty('disabled', false);
    expect(document.getElementById('create-at-most')).toBeNull();
  });

  it('on v1 requires the device list at create', async () => {
    const { client, store } = await renderWithFake(<SnapshotsView />, { dialect: 'v1' });
    await client.api.snapshotDestroy({ id: (await client.api.listSnapshots({}))[0]!.id });
    await act(() => refreshLists(client, store));
    const create = vi.spyOn(client.api, 'snapshotCreate');
    fireEvent.click(screen.getByRole('button', { name: 'Create snapshot' }));
    expect(await screen.findByText(/fixes the device list when the snapshot is created/)).toBeTruthy();
    expect(create).not.toHaveBeenCalled();
  });
});

describe('the fill gauge\'s "Used starts at 2 MiB" hint', () => {
  const MiB = 2 ** 20;
  const PATH_ID = 'aaaaaaaa-0000-4000-8000-00000000000a';
  const RANGES_ID = 'bbbbbbbb-0000-4000-8000-00000000000b';

  /** VAL-7.0 snapshots with 1 MiB used: path storage (used starts at 2 MiB) or range storage (from 0). */
  async function val70Cards(used: number) {
    const { store } = await renderWithFake(<SnapshotsView />);
    const [seeded] = store.getState().snapshots;
    const usage = { filledSectors: used / 512, requestedSectors: null, capacitySectors: (64 * MiB) / 512, limitSectors: (64 * MiB) / 512, overflowed: false, source: 'emulator' };
    act(() => {
      store.getState().setBackend({ ...store.getState().backend!, dialect: 'val-7.0' });
      store.getState().setSnapshots([
        { ...seeded!, id: PATH_ID, storageMode: 'directory', diffStoragePath: '/var/tmp', usage },
        { ...seeded!, id: RANGES_ID, storageMode: 'ranges', diffStoragePath: null, usage },
      ]);
    });
    const card = (id: string) => screen.getByRole('region', { name: new RegExp(id.slice(0, 8)) });
    return { path: card(PATH_ID), ranges: card(RANGES_ID) };
  }

  it('shows for path storage, where the module starts after the first 2 MiB, and not for range storage, which fills from 0 (VAL-7.0)', async () => {
    const { path, ranges } = await val70Cards(MiB);
    expect(path.textContent).toMatch(/Used starts at 2 MiB/);
    expect(ranges.textContent).not.toMatch(/Used starts at/);
  });

  it('shows for neither once more than the reserve is used', async () => {
    const { path, ranges } = await val70Cards(3 * MiB);
    expect([path.textContent, ranges.textContent].join()).not.toMatch(/Used starts at/);
  });
});
