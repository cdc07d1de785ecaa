import { memo } from 'react';
import { useAppStore } from '../../store';
import { shortId } from './format';

/** A new CBT generation means the changed-block history is gone: the next backup is full. */
export const GenerationNotice = memo(function GenerationNotice({ path }: { path: string }) {
  const watch = useAppStore((s) => s.generations[path]);
  const acknowledge = useAppStore((s) => s.acknowledgeGeneration);
  if (!watch || watch.changedAtMs === null) return null;
  return (
    <div className="banner banner-warning" role="alert">
      <strong>Generation changed: full backup needed.</strong>{' '}
      The CBT generation of {path} went from <code title={watch.previous ?? ''}>{shortId(watch.previous ?? '')}</code> to{' '}
      <code title={watch.current}>{shortId(watch.current)}</code> at {new Date(watch.changedAtMs).toLocaleTimeString('en-GB', { hour12: false })}
      {' '}(tracker re-attached, the map was reset, or the change number wrapped past 255). Change numbers stored before are meaningless now.
      <button type="button" className="link-button" onClick={() => acknowledge(path)}>Acknowledge</button>
    </div>
  );
});
