export function EventsView() {
  return <div className="view"><header className="view-header"><h1>Events</h1></header></div>;
}
