import type { Row } from '../lib/rows.ts';

/** The heading of a day in a list of messages (the timeline, a thread). */
export function DaySeparator({ row }: { row: Extract<Row, { kind: 'day' }> }) {
  return (
    <li className="day-separator">
      <time dateTime={row.date}>{row.label}</time>
    </li>
  );
}
