import type { Logger } from 'pino';

export type AuditEvent =
  | 'login_succeeded'
  | 'login_failed'
  | 'registered'
  | 'logout'
  | 'password_changed'
  | 'password_change_failed'
  | 'refresh_token_reused'
  | 'rate_limited'
  | 'permission_denied'
  | 'handshake_rejected';

/**
 * Security-relevant events as structured log lines (`"audit":true`), for a
 * SIEM to pick up. Fields are ids, addresses and reasons: never a token, a
 * password or message text.
 */
export class Audit {
  private readonly log: Logger;

  constructor(log: Logger) {
    this.log = log.child({ audit: true });
  }

  event(event: AuditEvent, fields: Record<string, string | number | null | undefined>): void {
    this.log.info({ event, ...fields }, `audit: ${event}`);
  }
}
