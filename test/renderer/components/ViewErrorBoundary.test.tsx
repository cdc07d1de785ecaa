// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isChunkLoadError, ViewErrorBoundary } from '../../../renderer/app/ViewErrorBoundary';

afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
});

function Throws({ error }: { error: Error }): never {
  throw error;
}

describe('ViewErrorBoundary', () => {
  it('tells a chunk that could not be fetched from a view that failed while drawing', () => {
    expect(isChunkLoadError(new TypeError('Failed to fetch dynamically imported module: http://127.0.0.1:8080/assets/EventsView-3f9a1c2b.js'))).toBe(true);
    expect(isChunkLoadError(new TypeError('Importing a module script failed.'))).toBe(true);
    expect(isChunkLoadError(new TypeError("Cannot read properties of undefined (reading 'length')"))).toBe(false);
  });

  it("keeps the view's heading and says the app was rebuilt when its code cannot be loaded", () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    render(
      <ViewErrorBoundary title="Events">
        <Throws error={new TypeError('Failed to fetch dynamically imported module: /assets/EventsView-3f9a1c2b.js')} />
      </ViewErrorBoundary>,
    );
    expect(screen.getByRole('heading', { level: 1, name: 'Events' })).toBeTruthy();
    const alert = screen.getByRole('alert');
    expect(alert.textContent).toContain('rebuilt or restarted since this page was opened');
    expect(within(alert).getByRole('button', { name: 'Reload the page' })).toBeTruthy();
  });

  it("names a render failure's message, and tries again when the key changes", () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const { rerender } = render(
      <ViewErrorBoundary title="Device" resetKey="/dev/vda">
        <Throws error={new Error('map of 3 blocks for a 4-block device')} />
      </ViewErrorBoundary>,
    );
    expect(screen.getByRole('alert').textContent).toContain('failed while drawing: map of 3 blocks for a 4-block device');
    rerender(
      <ViewErrorBoundary title="Device" resetKey="/dev/vdb">
        <p>page of /dev/vdb</p>
      </ViewErrorBoundary>,
    );
    expect(screen.queryByRole('alert')).toBeNull();
    expect(screen.getByText('page of /dev/vdb')).toBeTruthy();
  });

  it('reloads the page from its button', () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const reload = vi.fn();
    vi.spyOn(window, 'location', 'get').mockReturnValue({ ...window.location, reload });
    render(
      <ViewErrorBoundary title="Snapshots">
        <Throws error={new Error('boom')} />
      </ViewErrorBoundary>,
    );
    fireEvent.click(screen.getByRole('button', { name: 'Reload the page' }));
    expect(reload).toHaveBeenCalledTimes(1);
  });
});
