// @vitest-environment jsdom
// A view that throws takes only itself down: the navigation stays and another view still opens.
import { cleanup, fireEvent, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { App } from '../../../renderer/app/App';
import { renderWithFake } from './harness';

vi.mock('../../../renderer/views/events/EventsView', () => ({
  EventsView: () => {
    throw new RangeError('Invalid array length');
  },
}));

afterEach(() => {
  cleanup();
  window.location.hash = '';
  vi.restoreAllMocks();
});

describe('App with a failing view', () => {
  it('keeps the top bar and the navigation, says what failed, and opens the other views', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    window.location.hash = '#/events';
    await renderWithFake(<App />);
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('failed while drawing: Invalid array length');
    expect(screen.getByRole('heading', { level: 1, name: 'Events' })).toBeTruthy();
    const nav = screen.getByRole('navigation', { name: 'Main' });
    fireEvent.click(within(nav).getByRole('link', { name: 'Devices' }));
    expect(await screen.findByRole('heading', { level: 1, name: 'Devices' })).toBeTruthy();
    expect(screen.queryByRole('alert')).toBeNull();
  });
});
