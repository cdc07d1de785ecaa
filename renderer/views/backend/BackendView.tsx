export function BackendView() {
  return <div className="view"><header className="view-header"><h1>Backend</h1></header></div>;
}
