import type { AnalyticsDay } from '@parley/protocol';
import { useEffect, useState } from 'react';
import { useSignedIn } from '../../hooks/use-client.ts';
import { describeError } from '../../lib/errors.ts';

/** The daily aggregates of the event stream (UTC days, the server's default range), newest first. */
export function AnalyticsView() {
  const { client } = useSignedIn();
  const [days, setDays] = useState<AnalyticsDay[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    client.api.adminAnalytics().then(
      (found) => live && setDays([...found].reverse()),
      (err: unknown) => live && setError(describeError(err)),
    );
    return () => {
      live = false;
    };
  }, [client]);

  if (error) {
    return (
      <p className="form-error" role="alert">
        {error}
      </p>
    );
  }
  if (!days) return <p className="field-hint">Loading…</p>;
  return (
    <table className="admin__table" aria-label="Daily analytics">
      <thead>
        <tr>
          <th scope="col">Day</th>
          <th scope="col">Direct messages</th>
          <th scope="col">Group messages</th>
          <th scope="col">Active users</th>
          <th scope="col">New users</th>
          <th scope="col">Calls</th>
          <th scope="col">Call minutes</th>
        </tr>
      </thead>
      <tbody>
        {days.map((d) => (
          <tr key={d.day}>
            <th scope="row">{d.day}</th>
            <td>{d.messages.direct}</td>
            <td>{d.messages.group}</td>
            <td>{d.active_users}</td>
            <td>{d.new_users}</td>
            <td>{d.calls}</td>
            <td>{Math.round(d.call_minutes * 10) / 10}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
