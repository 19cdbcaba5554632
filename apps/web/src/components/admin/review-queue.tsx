import type { ModerationActionBody, ModerationItemView } from '@parley/protocol';
import { useCallback, useEffect, useState } from 'react';
import { useSignedIn } from '../../hooks/use-client.ts';
import { describeError } from '../../lib/errors.ts';
import { formatDateTime } from '../../lib/format.ts';

type Filter = 'open' | 'resolved' | 'all';
const ACTIONS: Array<{ action: ModerationActionBody['action']; label: string; hint: string }> = [
  { action: 'restore', label: 'Restore', hint: 'Show the message to every member again' },
  { action: 'confirm', label: 'Confirm', hint: 'Keep it removed and delete its files' },
  { action: 'warn', label: 'Warn', hint: 'Keep it removed and warn the author' },
  { action: 'mute', label: 'Mute 1 day', hint: 'Keep it removed; the author cannot send for a day' },
  { action: 'ban', label: 'Ban', hint: 'Keep it removed; the author can no longer sign in or send' },
];

/**
 * The review queue: rule hits and members' reports, newest first, with the
 * message text (operators see it; members see "removed by moderation"), why it
 * is here, who wrote it and who reported it, and the decisions.
 */
export function ReviewQueue() {
  const { client } = useSignedIn();
  const [filter, setFilter] = useState<Filter>('open');
  const [items, setItems] = useState<ModerationItemView[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);

  const load = useCallback(() => {
    client.api.adminQueue({ status: filter, limit: 100 }).then(
      (found) => {
        setItems(found);
        setError(null);
      },
      (err: unknown) => setError(describeError(err)),
    );
  }, [client, filter]);
  useEffect(load, [load]);

  const act = async (item: ModerationItemView, action: ModerationActionBody['action']): Promise<void> => {
    setBusy(item.id);
    try {
      await client.api.adminAct(item.id, action === 'mute' ? { action, duration_seconds: 86_400 } : { action });
      setError(null);
      load();
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(null);
    }
  };

  return (
    <section className="stack" aria-label="Review queue">
      <div className="admin__tabs">
        <label>
          Show{' '}
          <select value={filter} onChange={(e) => setFilter(e.target.value as Filter)}>
            <option value="open">Open</option>
            <option value="resolved">Resolved</option>
            <option value="all">All</option>
          </select>
        </label>
        <button type="button" className="link-button" onClick={load}>
          Refresh
        </button>
      </div>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      {items && items.length === 0 && <p className="field-hint">Nothing to review.</p>}
      <ul className="admin__list" aria-label="Queue items">
        {items?.map((item) => (
          <li key={item.id} className="admin__item" data-item={item.id} data-status={item.status}>
            <p className="field-hint">
              {item.source === 'report' ? `Reported by @${item.reporter_username ?? item.reporter_id}` : `Rule hit: ${item.reason}`} · by @
              {item.author_username ?? item.author_id} · {formatDateTime(item.created_at)} · {item.hidden ? 'hidden' : 'visible'} · {item.status}
            </p>
            <p className="admin__text">{item.message_text ?? '(message deleted)'}</p>
            {item.note && <p className="field-hint">Reason given: {item.note}</p>}
            <div className="admin__actions">
              {ACTIONS.map((a) => (
                <button key={a.action} type="button" className="button" title={a.hint} disabled={busy === item.id} onClick={() => void act(item, a.action)}>
                  {a.label}
                </button>
              ))}
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}
