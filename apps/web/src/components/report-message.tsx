import type { MessageView } from '@parley/protocol';
import { useId, useState, type FormEvent } from 'react';
import { useSignedIn } from '../hooks/use-client.ts';
import { describeError } from '../lib/errors.ts';
import { Dialog } from './dialog.tsx';

/**
 * Report, on someone else's message: asks for a reason (optional, for the
 * server operators) and files the report. Self-contained so it can move into
 * the message action menu as is.
 */
export function ReportMessage({ entry }: { entry: MessageView }) {
  const { client } = useSignedIn();
  const [open, setOpen] = useState(false);
  const [reported, setReported] = useState(false);
  const [note, setNote] = useState('');
  const [state, setState] = useState<{ busy: boolean; error: string | null }>({ busy: false, error: null });
  const id = useId();

  if (reported) {
    return (
      <span className="message__reported" role="status">
        Reported
      </span>
    );
  }

  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    setState({ busy: true, error: null });
    try {
      await client.api.reportMessage(entry.conversation_id, entry.seq, note.trim() || undefined);
      setOpen(false);
      setReported(true);
    } catch (err) {
      setState({ busy: false, error: describeError(err) });
    }
  };

  return (
    <>
      <button type="button" className="link-button message__report" onClick={() => setOpen(true)} aria-label="Report message" title="Report to the server operators">
        Report
      </button>
      {open && (
        <Dialog title="Report message" onClose={() => setOpen(false)}>
          <form className="stack" onSubmit={(e) => void submit(e)}>
            <div className="field">
              <label htmlFor={`${id}-reason`}>Reason</label>
              <textarea id={`${id}-reason`} value={note} maxLength={500} rows={3} onChange={(e) => setNote(e.target.value)} />
              <p className="field-hint">Only the server operators see your report and its reason.</p>
            </div>
            {state.error && (
              <p className="form-error" role="alert">
                {state.error}
              </p>
            )}
            <div className="settings__actions">
              <button type="submit" className="button button--primary" disabled={state.busy}>
                {state.busy ? 'Reporting…' : 'Send report'}
              </button>
            </div>
          </form>
        </Dialog>
      )}
    </>
  );
}
