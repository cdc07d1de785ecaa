import { expect } from "vitest";
// Renders the app (or one view) over the in-memory fake API, with a fresh store.
import { configure, render, waitFor } from '@testing-library/react';
import type { ReactNode } from 'react';
import { ApiContext, type ApiClient } from '../../../renderer/app/apiContext';
import { connectStore } from '../../../renderer/app/connect';
import { createFakeClient } from '../../../renderer/dev/fakeApi';
import { createAppStore, StoreProvider, type AppStore } from '../../../renderer/store';

// waitFor and findBy* wait for what they look for; their timeout is only a safety net, and the
// 1 s default is passed when jsdom renders on a loaded CI machine (2 cores, kernel builds beside).
configure({ asyncUtilTimeout: 15_000 });

export async function renderWithFake(ui: ReactNode, options: { dialect?: 'v1' | 'lk6.15'; client?: ApiClient } = {}) {
  const client = options.client ?? createFakeClient({ dialect: options.dialect ?? 'lk6.15', live: false });
  const store: AppStore = createAppStore();
  connectStore(client, store);
  await waitFor(() => expect(store.getState().connection).toBe('ready'));
  const result = render(
    <ApiContext.Provider value={client}>
      <StoreProvider store={store}>{ui}</StoreProvider>
    </ApiContext.Provider>,
  );
  return { ...result, client, store };
}

/** jsdom has no 2D canvas or downloads: the heatmap draws nothing and saving a file does nothing; the rest of a view is under test. */
export function stubCanvasAndDownloads(): void {
  HTMLCanvasElement.prototype.getContext = (() => null) as unknown as typeof HTMLCanvasElement.prototype.getContext;
  URL.createObjectURL = () => 'blob:test';
  URL.revokeObjectURL = () => undefined;
  HTMLAnchorElement.prototype.click = () => undefined;
}
