import { describe, expect, it } from 'vitest';
import { appError } from '../../../shared/errors';
import { busAndNotices } from './parts';

describe('notices (the app event stream)', () => {
  it('posts an event to the history and to the events topic', () => {
    const { bus, notices, pushed } = busAndNotices();
    const events = pushed('events');
    const event = notices.emit({ source: 'app', level: 'info', kind: 'tracker', message: 'attached' });
    bus.flush();
    expect(notices.list()).toEqual([event]);
    expect(events).toEqual([[event]]);
  });

  it('marks the events the app raises as the app\'s, with their snapshot and device', () => {
    const { notices } = busAndNotices();
    notices.app('warning', 'guard', 'forced', { device: '/dev/vda', snapshotId: 'x' });
    expect(notices.list()[0]).toMatchObject({ source: 'app', level: 'warning', kind: 'guard', device: '/dev/vda', snapshotId: 'x' });
  });

  it('reports a background failure once per snapshot and message', () => {
    const { notices } = busAndNotices();
    const failure = appError('EBACKEND', 'disk went away');
    notices.reportOnce(failure, 'a');
    notices.reportOnce(failure, 'a');
    notices.reportOnce(failure, 'b');
    notices.reportOnce(appError('EBACKEND', 'another message'), 'a');
    const errors = notices.list().filter((e) => e.level === 'error');
    expect(errors.map((e) => [e.snapshotId, e.message])).toEqual([['a', 'disk went away'], ['b', 'disk went away'], ['a', 'another message']]);
  });

  it('counts events by source, kind and level', () => {
    const { notices } = busAndNotices();
    notices.app('info', 'snapshot', 'one', {});
    notices.app('info', 'snapshot', 'two', {});
    notices.app('error', 'snapshot', 'three', {});
    expect(notices.countsByKind()).toEqual(expect.arrayContaining([
      { source: 'app', kind: 'snapshot', level: 'info', count: 2 },
      { source: 'app', kind: 'snapshot', level: 'error', count: 1 },
    ]));
  });
});
