export function SnapshotsView() {
  return <div className="view"><header className="view-header"><h1>Snapshots</h1></header></div>;
}
