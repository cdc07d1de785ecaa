// @vitest-environment jsdom
// The web server's first paint (renderer/firstPaint.tsx): the device list as static HTML made by
// the app's own components. It must look exactly like the app's first render, which replaces it
// (else the page would jump), carry a hostile device name as text, and take no input.
import { act, cleanup, render } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { App } from '../../renderer/app/App';
import { ApiContext } from '../../renderer/app/apiContext';
import { createFakeClient } from '../../renderer/dev/fakeApi';
import { FIRST_PAINT_ATTRIBUTE, renderFirstPaint } from '../../renderer/firstPaint';
import { createAppStore, StoreProvider, type AppStore } from '../../renderer/store';
import type { FirstPageData } from '../../shared/firstPage';

afterEach(() => {
  cleanup();
  window.location.hash = '';
});

async function fakeData(dialect: 'v1' | 'lk6.15' = 'lk6.15'): Promise<FirstPageData> {
  const { api } = createFakeClient({ dialect, live: false });
  return { backend: await api.backendInfo({}), devices: await api.listDevices({}) };
}

/** The first paint parsed as the browser parses the page. */
function parsed(data: FirstPageData): HTMLElement {
  const root = document.createElement('div');
  root.innerHTML = renderFirstPaint(data);
  return root;
}

/** The app rendered from a store seeded as main.tsx seeds it from the first page's data; its root. */
function renderApp(data: FirstPageData): { container: HTMLElement; store: AppStore } {
  const store = createAppStore();
  store.getState().setBackend(data.backend);
  store.getState().setDevices(data.devices);
  const { container } = render(
    <ApiContext.Provider value={createFakeClient({ live: false })}>
      <StoreProvider store={store}>
        <App />
      </StoreProvider>
    </ApiContext.Provider>,
  );
  return { container, store };
}

/** What the app's first render puts into the root. */
function appFirstRender(data: FirstPageData): string {
  return renderApp(data).container.innerHTML;
}

describe('the first paint', () => {
  it('is the app\'s first render of the device list, inside an inert marked wrapper', async () => {
    for (const dialect of ['lk6.15', 'v1'] as const) {
      const data = await fakeData(dialect);
      expect(data.devices.length, dialect).toBeGreaterThan(1);
      const wrapper = parsed(data).firstElementChild as HTMLElement;
      expect(wrapper.hasAttribute(FIRST_PAINT_ATTRIBUTE)).toBe(true);
      expect(wrapper.hasAttribute('inert')).toBe(true);
      expect(wrapper.innerHTML, dialect).toBe(appFirstRender(data));
      cleanup();
    }
  });

  it('shows every device and the backend', async () => {
    const data = await fakeData();
    const root = parsed(data);
    const rows = [...root.querySelectorAll('tbody tr')].map((r) => r.querySelector('.device-link')?.textContent);
    expect(rows).toEqual(data.devices.map((d) => d.path));
    expect(root.querySelector('[aria-label="Backend"]')?.textContent).toContain(data.backend.dialectLabel);
  });

  it('marks the content busy until the service has answered, and the app clears it when ready', async () => {
    const data = await fakeData();
    expect(parsed(data).querySelector('main')?.getAttribute('aria-busy')).toBe('true');
    const { container, store } = renderApp(data);
    expect(container.querySelector('main')?.getAttribute('aria-busy')).toBe('true');
    act(() => store.getState().setConnection('ready'));
    expect(container.querySelector('main')?.hasAttribute('aria-busy')).toBe(false);
    act(() => store.getState().setConnection('lost', 'dropped'));
    expect(container.querySelector('main')?.hasAttribute('aria-busy')).toBe(false);
  });

  it('carries a device name that looks like markup as text', async () => {
    const data = await fakeData();
    const hostile = '/dev/x</script><script>alert(1)</script><img src=x onerror=alert(2)><!--';
    data.devices[0] = { ...data.devices[0]!, path: hostile };
    const root = parsed(data);
    expect(root.querySelectorAll('script, img')).toHaveLength(0);
    expect(root.querySelector('.device-link')?.textContent).toBe(hostile);
  });
});
