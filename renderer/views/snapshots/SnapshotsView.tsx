import { EmptyState, Section } from '../../components/common';
import { useAppStore } from '../../store';
import { CreateSnapshotForm } from './CreateSnapshotForm';
import { SnapshotCard } from './SnapshotCard';

export function SnapshotsView() {
  const snapshots = useAppStore((s) => s.snapshots);
  const loaded = useAppStore((s) => s.snapshotsLoaded);
  const capabilities = useAppStore((s) => s.backend?.capabilities ?? null);
  return (
    <div className="view">
      <header className="view-header">
        <h1>Snapshots</h1>
        <p className="view-subtitle">{loaded ? `${snapshots.length} snapshot${snapshots.length === 1 ? '' : 's'}` : 'Loading…'}</p>
      </header>
      {capabilities && <CreateSnapshotForm capabilities={capabilities} />}
      {loaded && snapshots.length === 0 && (
        <Section title="Existing snapshots">
          <EmptyState title="No snapshots">Create one above: choose devices, a difference storage and its limit, then take it.</EmptyState>
        </Section>
      )}
      {capabilities && snapshots.map((s) => <SnapshotCard key={s.id} snapshot={s} capabilities={capabilities} />)}
    </div>
  );
}
