// A modal confirmation: focus moves to Cancel, Escape cancels, Tab stays inside.
import { useEffect, useId, useRef, type KeyboardEvent, type ReactNode } from 'react';

export interface ConfirmDialogProps {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  danger?: boolean;
  pending?: boolean;
  /** The action cannot work as things stand (the body says why): its button is shown off. */
  confirmDisabled?: boolean;
  error?: string | null;
  onConfirm: () => void;
  onCancel: () => void;
  /** A second, stronger action offered after a refusal (e.g. "Detach anyway"). */
  extra?: { label: string; onClick: () => void } | null;
}

export function ConfirmDialog({ title, children, confirmLabel, danger, pending, confirmDisabled, error, onConfirm, onCancel, extra }: ConfirmDialogProps) {
  const titleId = useId();
  const bodyId = useId();
  const dialogRef = useRef<HTMLDivElement>(null);
  const cancelRef = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    const previous = document.activeElement as HTMLElement | null;
    cancelRef.current?.focus();
    return () => {
      if (previous?.isConnected) return previous.focus();
      // The control that opened the dialog went with what it acted on (a destroyed snapshot's card, a
      // removed device's row): the view's heading takes the focus, so Tab goes on from the view, not the page top.
      const heading = document.querySelector<HTMLElement>('h1');
      if (!heading) return;
      heading.tabIndex = -1;
      heading.focus();
    };
  }, []);

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === 'Escape') {
      e.stopPropagation();
      onCancel();
      return;
    }
    if (e.key !== 'Tab') return;
    const focusable = dialogRef.current?.querySelectorAll<HTMLElement>('button:not([disabled])');
    if (!focusable || focusable.length === 0) return;
    const first = focusable[0]!;
    const last = focusable[focusable.length - 1]!;
    if (e.shiftKey && document.activeElement === first) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && document.activeElement === last) {
      e.preventDefault();
      first.focus();
    }
  };

  return (
    <div className="modal-backdrop">
      <div ref={dialogRef} className="modal" role="dialog" aria-modal="true" aria-labelledby={titleId} aria-describedby={bodyId} onKeyDown={onKeyDown}>
        <h2 id={titleId}>{title}</h2>
        <div id={bodyId} className="modal-body">{children}</div>
        {error && <div className="error-message" role="alert"><span className="error-icon" aria-hidden="true">!</span><span className="error-text">{error}</span></div>}
        <div className="modal-actions">
          <button ref={cancelRef} type="button" onClick={onCancel} disabled={pending}>Cancel</button>
          {extra && <button type="button" className="danger" onClick={extra.onClick} disabled={pending}>{extra.label}</button>}
          <button type="button" className={danger ? 'danger' : 'primary'} onClick={onConfirm} disabled={pending || confirmDisabled}>
            {pending ? `${confirmLabel}…` : confirmLabel}
          </button>
        </div>
      </div>
    </div>
  );
}
