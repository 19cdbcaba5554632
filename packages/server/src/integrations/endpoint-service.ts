import { randomBytes } from 'node:crypto';
import type {
  CreatedEventEndpoint,
  CreateEventEndpointBody,
  EventDeliveriesQuery,
  EventDeliveryView,
  EventEndpointView,
  UserId,
} from '@parley/protocol';
import type { Database } from '../store/database.ts';
import type { Audit } from '../audit.ts';
import { AppError } from '../errors.ts';
import { storedName } from '../users/names.ts';
import { checkEndpointUrl } from './address-guard.ts';

/** Signing secrets start with this, so a leaked one is recognisable (secret scanners, logs). */
export const ENDPOINT_SECRET_PREFIX = 'pes_';

interface EndpointRow {
  id: string;
  url: string;
  event_types: string[];
  conversation_ids: string[] | null;
  description: string | null;
  enabled: boolean;
  created_by: string | null;
  created_at: Date;
}

const COLUMNS = 'id, url, event_types, conversation_ids, description, enabled, created_by, created_at';

const toView = (r: EndpointRow): EventEndpointView => ({ ...r, created_at: r.created_at.toISOString() });

const notFound = (): AppError => new AppError('endpoint_not_found', 'no such event endpoint');

interface DeliveryRow {
  id: string;
  event_id: string;
  event_type: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  next_attempt_at: Date;
  last_status_code: number | null;
  last_error: string | null;
  created_at: Date;
  delivered_at: Date | null;
  attempt_log: Array<{ attempt: number; at: string; status_code: number | null; error: string | null; duration_ms: number }> | null;
}

/**
 * Server operators' event endpoints: registration (the URL checked against
 * SSRF, a signing secret generated and shown once), enable / disable,
 * deletion (its queue goes with it, so nothing more is sent), and the
 * delivery log. Creation and deletion are audited.
 */
export class EventEndpoints {
  constructor(
    private readonly db: Database,
    private readonly deps: { audit: Audit; allowPrivateUrls: boolean },
  ) {}

  async create(operator: UserId, body: CreateEventEndpointBody): Promise<CreatedEventEndpoint> {
    const url = await checkEndpointUrl(body.url, this.deps.allowPrivateUrls);
    const description = body.description === undefined || body.description === '' ? null : storedName('description', body.description);
    const secret = ENDPOINT_SECRET_PREFIX + randomBytes(32).toString('base64url');
    const [row] = await this.db.query<EndpointRow>(
      `INSERT INTO event_endpoints (id, url, event_types, conversation_ids, description, secret, created_by)
       VALUES ($1, $2, $3::text[], $4::uuid[], $5, $6, $7) RETURNING ${COLUMNS}`,
      [crypto.randomUUID(), url.href, body.event_types, body.conversation_ids ?? null, description, secret, operator],
    );
    // The host only: a URL's path or query may carry an integration's own token.
    this.deps.audit.event('event_endpoint_created', { endpoint_id: row!.id, user_id: operator, host: url.host, event_types: body.event_types.join(',') });
    return { ...toView(row!), secret };
  }

  async list(): Promise<EventEndpointView[]> {
    const rows = await this.db.query<EndpointRow>(`SELECT ${COLUMNS} FROM event_endpoints ORDER BY created_at, id`);
    return rows.map(toView);
  }

  async get(id: string): Promise<EventEndpointView> {
    const [row] = await this.db.query<EndpointRow>(`SELECT ${COLUMNS} FROM event_endpoints WHERE id = $1`, [id]);
    if (!row) throw notFound();
    return toView(row);
  }

  /** Disabled: no new events are queued for it and its queued deliveries wait; enabled again, they go. */
  async setEnabled(operator: UserId, id: string, enabled: boolean): Promise<EventEndpointView> {
    const [row] = await this.db.query<EndpointRow>(`UPDATE event_endpoints SET enabled = $2 WHERE id = $1 RETURNING ${COLUMNS}`, [id, enabled]);
    if (!row) throw notFound();
    this.deps.audit.event(enabled ? 'event_endpoint_enabled' : 'event_endpoint_disabled', { endpoint_id: id, user_id: operator });
    return toView(row);
  }

  /** Deletes the endpoint and its queue: nothing more is sent to it (an attempt in flight finishes, its outcome is dropped). */
  async remove(operator: UserId, id: string): Promise<void> {
    const rows = await this.db.query('DELETE FROM event_endpoints WHERE id = $1 RETURNING id', [id]);
    if (rows.length === 0) throw notFound();
    this.deps.audit.event('event_endpoint_deleted', { endpoint_id: id, user_id: operator });
  }

  /** The endpoint's delivery log, newest first: attempts, status codes, error kinds, the next attempt. Never a body. */
  async deliveries(id: string, query: EventDeliveriesQuery): Promise<EventDeliveryView[]> {
    await this.get(id);
    const rows = await this.db.query<DeliveryRow>(
      `SELECT d.id, d.event_id, d.event_type, d.status, d.attempts, d.next_attempt_at, d.last_status_code, d.last_error,
              d.created_at, d.delivered_at,
              (SELECT json_agg(json_build_object('attempt', a.attempt, 'at', a.at, 'status_code', a.status_code,
                                                 'error', a.error, 'duration_ms', a.duration_ms) ORDER BY a.attempt)
                 FROM event_delivery_attempts a WHERE a.delivery_id = d.id) AS attempt_log
         FROM event_deliveries d
        WHERE d.endpoint_id = $1 AND ($2::text IS NULL OR d.status = $2)
        ORDER BY d.created_at DESC, d.id
        LIMIT $3`,
      [id, query.status ?? null, query.limit ?? 50],
    );
    return rows.map((r) => ({
      id: r.id,
      event_id: r.event_id,
      event_type: r.event_type,
      status: r.status,
      attempts: r.attempts,
      next_attempt_at: r.status === 'pending' ? r.next_attempt_at.toISOString() : null,
      last_status_code: r.last_status_code,
      last_error: r.last_error,
      created_at: r.created_at.toISOString(),
      delivered_at: r.delivered_at?.toISOString() ?? null,
      attempt_log: (r.attempt_log ?? []).map((a) => ({ ...a, at: new Date(a.at).toISOString() })),
    }));
  }
}
