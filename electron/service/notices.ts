// The app's own event stream: posts to the bounded history (EventLog) and to the push bus,
// and turns background failures into one error event per distinct message.
import type { AppEvent } from '../../shared/contract';
import { toErrorInfo } from '../../shared/errors';
import { EventLog, type AppEventInput, type EventCount } from './eventLog';
import type { PushBus } from './pushBus';

export interface EventRefs {
  snapshotId?: string | null;
  device?: string | null;
}

export class Notices {
  private readonly log: EventLog;
  private readonly reported = new Set<string>();

  constructor(private readonly bus: PushBus, historyLength: number) {
    this.log = new EventLog(historyLength);
  }

  /** Posts an event to the history and the stream. */
  emit(input: AppEventInput): AppEvent {
    const event = this.log.add(input);
    this.bus.publish('events', [event]);
    return event;
  }

  /** An event the app itself raises (not the module). */
  app(level: AppEvent['level'], kind: string, message: string, refs: EventRefs): void {
    this.emit({ source: 'app', level, kind, message, ...refs });
  }

  /** Background failures become one error event per distinct message, not a flood. */
  reportOnce(err: unknown, snapshotId: string | null = null): void {
    const info = toErrorInfo(err);
    const key = `${snapshotId ?? ''}:${info.code}:${info.message}`;
    if (this.reported.has(key)) return;
    this.reported.add(key);
    this.app('error', 'error', info.message, { snapshotId });
  }

  list(limit?: number): AppEvent[] {
    return this.log.list(limit);
  }

  countsByKind(): EventCount[] {
    return this.log.countsByKind();
  }
}
