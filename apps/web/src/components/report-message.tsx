import type { MessageView } from '@parley/protocol';
import { useId, useState, type FormEvent } from 'react';
import { useSignedIn } from '../hooks/use-client.ts';
import { describeError } from '../lib/errors.ts';
import { Dialog } from './dialog.tsx';

/**
 * The Report action's dialog, on someone else's message: asks for a reason
 * (optional, for the server operators) and files the report.
 */
export function ReportDialog({ entry, onClose, onReported }: { entry: MessageView; onClose: () => void; onReported: () => void }) {
  const { client } = useSignedIn();
  const [note, setNote] = useState('');
  const [state, setState] = useState<{ busy: boolean; error: string | null }>({ busy: false, error: null });
  const id = useId();

  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    setState({ busy: true, error: null });
    try {
      await client.api.reportMessage(entry.conversation_id, entry.seq, note.trim() || undefined);
      onReported();
    } catch (err) {
      setState({ busy: false, error: describeError(err) });
    }
  };

  return (
    <Dialog title="Report message" onClose={onClose}>
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
  );
}
