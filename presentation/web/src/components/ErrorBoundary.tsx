import { Component, type ErrorInfo, type ReactNode } from "react";

type State = { error: Error | null };

/**
 * A page that fails to render shows what happened instead of a blank screen; the rest of the app
 * (navigation, other pages) keeps working. Keyed by location, so moving away clears it.
 */
export class ErrorBoundary extends Component<{ children: ReactNode }, State> {
  state: State = { error: null };

  static getDerivedStateFromError(error: Error): State {
    return { error };
  }

  componentDidCatch(error: Error, info: ErrorInfo): void {
    console.error("page failed to render", error, info.componentStack);
  }

  render(): ReactNode {
    if (!this.state.error) return this.props.children;
    return (
      <div role="alert" className="rounded-md border border-red-200 bg-red-50 p-4 text-sm text-red-900">
        <p className="font-semibold">This page could not be shown</p>
        <p className="mt-1">{this.state.error.message}</p>
        <button type="button" className="mt-3 rounded-md border border-red-300 bg-white px-3 py-1.5 font-medium hover:bg-red-100" onClick={() => window.location.reload()}>
          Reload the page
        </button>
      </div>
    );
  }
}
