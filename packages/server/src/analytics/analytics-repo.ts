import type { AnalyticsDay, AnalyticsQuery } from '@parley/protocol';
import type { Sql } from '../store/database.ts';
import { AppError } from '../errors.ts';

const MAX_DAYS = 366;

/** Reads the daily aggregates for operators: every day of the range, zeros where nothing happened. */
export async function readDaily(sql: Sql, query: AnalyticsQuery): Promise<AnalyticsDay[]> {
  const to = query.to ? parseDay(query.to) : new Date(new Date().toISOString().slice(0, 10));
  const from = query.from ? parseDay(query.from) : new Date(to.getTime() - 29 * 86_400_000);
  const days = Math.round((to.getTime() - from.getTime()) / 86_400_000) + 1;
  if (days < 1) throw new AppError('validation_failed', '"from" is after "to"');
  if (days > MAX_DAYS) throw new AppError('validation_failed', `at most ${MAX_DAYS} days at once`);
  const rows = await sql.query<{ day: string; metric: string; value: string }>(
    `SELECT to_char(day, 'YYYY-MM-DD') AS day, metric, value::text FROM analytics_daily WHERE day BETWEEN $1::date AND $2::date`,
    [iso(from), iso(to)],
  );
  const byDay = new Map<string, Map<string, number>>();
  for (const r of rows) {
    const m = byDay.get(r.day) ?? new Map<string, number>();
    m.set(r.metric, Number(r.value));
    byDay.set(r.day, m);
  }
  const out: AnalyticsDay[] = [];
  for (let i = 0; i < days; i++) {
    const day = iso(new Date(from.getTime() + i * 86_400_000));
    const m = byDay.get(day) ?? new Map<string, number>();
    out.push({
      day,
      messages: { direct: m.get('messages.direct') ?? 0, group: m.get('messages.group') ?? 0 },
      active_users: m.get('active_users') ?? 0,
      new_users: m.get('new_users') ?? 0,
      calls: m.get('calls') ?? 0,
      call_minutes: Math.round(((m.get('call_ms') ?? 0) / 60_000) * 100) / 100,
    });
  }
  return out;
}

function parseDay(day: string): Date {
  const d = new Date(`${day}T00:00:00Z`);
  if (Number.isNaN(d.getTime()) || iso(d) !== day) throw new AppError('validation_failed', `not a calendar day: ${day}`);
  return d;
}

const iso = (d: Date) => d.toISOString().slice(0, 10);
