import { useEffect, useId, useRef, type ReactNode } from 'react';
import { Icon } from './icon.tsx';

export interface DialogProps {
  title: string;
  onClose: () => void;
  children: ReactNode;
  /** Buttons at the bottom. */
  footer?: ReactNode;
  /** An extra class on the dialog (`dialog--sheet`: a sheet from the bottom on a phone). */
  className?: string;
}

/**
 * A modal dialog on the native `<dialog>`: the page behind is inert, focus
 * moves into it and stays there, Escape closes it, and focus goes back to
 * where it was when it closes.
 */
export function Dialog({ title, onClose, children, footer, className }: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const onCloseRef = useRef(onClose);
  const pressedBackdrop = useRef(false);
  onCloseRef.current = onClose;

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    if (!dialog.open) dialog.showModal();
    // showModal focuses the first focusable element, the Close button; the first field is where work starts,
    // unless the content names its own start (data-autofocus: Cancel, in a confirmation).
    (
      dialog.querySelector<HTMLElement>('[data-autofocus]') ??
      dialog.querySelector<HTMLElement>('.dialog__body :is(input, textarea, select):not(:disabled)')
    )?.focus();
    const onCancel = (event: Event): void => {
      // Escape: let React unmount it, rather than the browser closing it under React.
      event.preventDefault();
      onCloseRef.current();
    };
    dialog.addEventListener('cancel', onCancel);
    return () => {
      dialog.removeEventListener('cancel', onCancel);
      if (dialog.open) dialog.close();
      opener?.focus();
    };
  }, []);

  return (
    <dialog
      ref={ref}
      className={className ? `dialog ${className}` : 'dialog'}
      aria-labelledby={titleId}
      onPointerDown={(e) => {
        pressedBackdrop.current = e.target === ref.current;
      }}
      onClick={(e) => {
        // A click on the backdrop (the dialog element itself, outside its content) closes it; not the end of a
        // press that began before the dialog opened (a long press that opened it lifts over the backdrop).
        if (e.target === ref.current && pressedBackdrop.current) onClose();
        pressedBackdrop.current = false;
      }}
    >
      <div className="dialog__content">
        <header className="dialog__header">
          <h2 id={titleId}>{title}</h2>
          <button type="button" className="icon-button" onClick={onClose} aria-label="Close">
            <Icon name="close" />
          </button>
        </header>
        <div className="dialog__body">{children}</div>
        {footer && <footer className="dialog__footer">{footer}</footer>}
      </div>
    </dialog>
  );
}
