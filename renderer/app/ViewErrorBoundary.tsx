// A view that fails to load or to render takes only itself down: the top bar, the navigation and
// the connection banner stay, and the view's place says what happened and how to recover.
// Without it React unmounts the whole app on any error, and the window goes blank.
import { Component, type ErrorInfo, type ReactNode } from 'react';

/**
 * Whether an error is a view's code that could not be fetched: what Chromium, Firefox and Safari
 * say when a dynamic import fails (the service restarted on another port, or the app was rebuilt
 * twice since this page loaded, so its chunk is gone).
 */
export function isChunkLoadError(error: Error): boolean {
  return /dynamically imported module|Importing a module script failed|Loading chunk \S+ failed/i.test(error.message);
}

interface Props {
  /** The view's name as the navigation shows it ("Events"). */
  title: string;
  /** A change of it (another device's page) clears a failure and tries again. */
  resetKey?: string;
  children: ReactNode;
}

interface State {
  error: Error | null;
}

export class ViewErrorBoundary extends Component<Props, State> {
  override state: State = { error: null };

  static getDerivedStateFromError(error: unknown): State {
    return { error: error instanceof Error ? error : new Error(String(error)) };
  }

  override componentDidCatch(error: Error, info: ErrorInfo): void {
    console.error(`The ${this.props.title} view failed:`, error, info.componentStack);
  }

  override componentDidUpdate(previous: Props): void {
    if (this.state.error !== null && previous.resetKey !== this.props.resetKey) this.setState({ error: null });
  }

  override render(): ReactNode {
    const { error } = this.state;
    if (error === null) return this.props.children;
    const chunk = isChunkLoadError(error);
    return (
      <div className="view">
        <header className="view-header">
          <h1>{this.props.title}</h1>
        </header>
        <div className="banner banner-error" role="alert">
          {chunk ? (
            <span>
              This view's code could not be loaded: the app was rebuilt or restarted since this page was opened.
              Reload the page to get the current version. Nothing was changed on any device.
            </span>
          ) : (
            <span>
              This view failed while drawing: {error.message}. Nothing was sent to the module because of it, and the
              other views still work. Reloading the page starts it afresh.
            </span>
          )}
          <button type="button" className="primary" onClick={() => window.location.reload()}>Reload the page</button>
        </div>
      </div>
    );
  }
}
