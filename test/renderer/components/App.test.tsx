// @vitest-environment jsdom
import { act, cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { App } from '../../../renderer/app/App';
import { renderWithFake } from './harness';

afterEach(() => {
  cleanup();
  window.location.hash = '';
});

describe('App', () => {
  it('shows the active backend, its dialect and version in the top bar', async () => {
    await renderWithFake(<App />);
    const backend = screen.getByRole('region', { name: 'Backend' });
    expect(backend.textContent).toContain('emulator');
    expect(backend.textContent).toContain('upstream lk6.15 (emulated)');
    expect(backend.textContent).toContain('2.0.0.0');
  });

  it('calls out an unverified dialect', async () => {
    await renderWithFake(<App />, { dialect: 'v1' });
    expect(within(screen.getByRole('region', { name: 'Backend' })).getByText('unverified dialect')).toBeTruthy();
  });

  it('navigates between views and keeps the place in the URL hash', async () => {
    await renderWithFake(<App />);
    const nav = screen.getByRole('navigation', { name: 'Main' });
    expect(within(nav).getByRole('link', { name: 'Devices' }).getAttribute('aria-current')).toBe('page');
    fireEvent.click(within(nav).getByRole('link', { name: 'Snapshots' }));
    // Views other than the device list load as chunks of their own (lazyViews.ts).
    expect(await screen.findByRole('heading', { level: 1, name: 'Snapshots' }, { timeout: 10_000 })).toBeTruthy();
    await waitFor(() => expect(window.location.hash).toBe('#/snapshots'));
    fireEvent.click(within(nav).getByRole('link', { name: 'Devices' }));
    fireEvent.click(screen.getByRole('button', { name: 'Open /dev/emu0' }));
    expect(await screen.findByRole('heading', { level: 1, name: '/dev/emu0' }, { timeout: 10_000 })).toBeTruthy();
    await waitFor(() => expect(window.location.hash).toBe('#/devices/%2Fdev%2Femu0'));
  });

  // Issue 17 item 8: after a restart the old tab must not offer actions against a service it cannot reach.
  it('disables every control of the view while the connection is lost, and enables them when it is back', async () => {
    const { store } = await renderWithFake(<App />);
    const attach = screen.getByRole('button', { name: 'Attach /dev/emu1' }) as HTMLButtonElement;
    expect(attach.disabled).toBe(false);
    act(() => store.getState().setConnection('lost', 'The connection to the service dropped; reconnecting.'));
    expect(screen.getByRole('alert').textContent).toContain('Connection lost.');
    const enabled = within(screen.getByRole('main')).getAllByRole('button').filter((b) => !(b as HTMLButtonElement).matches(':disabled'));
    expect(enabled.map((b) => b.textContent)).toEqual([]);
    act(() => store.getState().setConnection('ready'));
    expect(attach.matches(':disabled')).toBe(false);
  });

  it('opens the view named by the hash on load', async () => {
    window.location.hash = '#/events';
    await renderWithFake(<App />);
    expect(await screen.findByRole('heading', { level: 1, name: 'Events' }, { timeout: 10_000 })).toBeTruthy();
  });
});
