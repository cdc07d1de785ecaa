// @vitest-environment jsdom
import { act, cleanup, fireEvent, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { AppEvent } from '../../../shared/contract';
import { EventsView } from '../../../renderer/views/events/EventsView';
import { FilteredIndex, toJsonLines } from '../../../renderer/views/events/eventFilter';
import { RingBuffer } from '../../../renderer/store/ringBuffer';
import { renderWithFake } from './harness';

afterEach(cleanup);

const ID = '3f2b8e1c-0a4d-4f6e-9b1a-2c3d4e5f6a7b';
function event(seq: number, extra: Partial<AppEvent> = {}): AppEvent {
  return { seq, timeMs: seq, source: 'module', level: 'warning', kind: 'no_space', snapshotId: ID, device: null, message: `m${seq}`, module: null, ...extra };
}

describe('EventsView', () => {
  it('pauses the list while events keep arriving, and shows them after resume', async () => {
    const { store } = await renderWithFake(<EventsView />);
    const base = store.getState().lastEventSeq + 1;
    act(() => store.getState().appendEvents([event(base), event(base + 1)]));
    fireEvent.click(screen.getByRole('button', { name: 'Pause' }));
    act(() => store.getState().appendEvents([event(base + 2), event(base + 3), event(base + 4)]));
    expect(await screen.findByText(/Paused: 3 new events arrived meanwhile/)).toBeTruthy();
    expect(screen.getByText(/Showing 4 events/)).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Resume' }));
    expect(await screen.findByText(/Showing 7 events/)).toBeTruthy();
  });

  it('filters by kind with the values seen so far', async () => {
    const { store } = await renderWithFake(<EventsView />);
    const base = store.getState().lastEventSeq + 1;
    act(() => store.getState().appendEvents([event(base), event(base + 1, { kind: 'corrupted', level: 'error' })]));
    await screen.findByText(/Showing 4 events/);
    fireEvent.change(screen.getByLabelText('Kind'), { target: { value: 'module:corrupted' } });
    expect(await screen.findByText(/Showing 1 event matching the filters/)).toBeTruthy();
  });

  it('keeps module kinds and app kinds apart, and filters by level', async () => {
    const { store } = await renderWithFake(<EventsView />);
    const base = store.getState().lastEventSeq + 1;
    act(() => store.getState().appendEvents([
      event(base, { source: 'app', kind: 'corrupted', level: 'info' }), event(base + 1, { kind: 'corrupted', level: 'error' }),
    ]));
    const kind = screen.getByLabelText('Kind');
    const groups = [...kind.querySelectorAll('optgroup')].map((g) => [g.label, [...g.querySelectorAll('option')].map((o) => o.value)]);
    expect(groups).toEqual([
      ['Module events', expect.arrayContaining(['module:corrupted'])],
      ['blksnap Manager events', expect.arrayContaining(['app:corrupted'])],
    ]);
    fireEvent.change(kind, { target: { value: 'app:corrupted' } });
    expect(await screen.findByText(/Showing 1 event matching the filters/)).toBeTruthy();
    fireEvent.change(kind, { target: { value: '' } });
    fireEvent.change(screen.getByLabelText('Level'), { target: { value: 'error' } });
    await screen.findByText(/matching the filters/);
    const errors = store.getState().eventLog.slice().filter((e) => e.level === 'error').length;
    expect(screen.getByText(/Showing \d+ events? matching/).textContent).toContain(`Showing ${errors} event`);
  });
});

describe('FilteredIndex', () => {
  it('scans only new events and drops evicted ones', () => {
    const log = new RingBuffer<AppEvent>(4);
    const index = new FilteredIndex();
    const filters = { snapshotId: '', device: '/dev/a', kind: '', level: '' };
    log.push([event(0, { device: '/dev/a' }), event(1), event(2, { device: '/dev/a' })]);
    let view = index.update(log, filters, log.total);
    expect([view.at(0), view.at(1)]).toEqual([0, 2]);
    log.push([event(3), event(4, { device: '/dev/a' }), event(5)]);
    view = index.update(log, filters, log.total);
    expect(view.count).toBe(2);
    expect([view.at(0), view.at(1)]).toEqual([2, 4]);
  });

  it('exports JSON Lines, one event per line', () => {
    const text = toJsonLines([event(0), event(1)]);
    expect(text.split('\n')).toHaveLength(3);
    expect(JSON.parse(text.split('\n')[1]!)).toMatchObject({ seq: 1, kind: 'no_space' });
  });
});
