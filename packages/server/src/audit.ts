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
  | 'handshake_rejected'
  | 'bot_created'
  | 'bot_token_created'
  | 'bot_token_revoked'
  | 'webhook_created'
  | 'webhook_revoked'
  | 'webhook_posted'
  | 'event_endpoint_created'
  | 'event_endpoint_enabled'
  | 'event_endpoint_disabled'
  | 'event_endpoint_deleted'
  | 'attachment_blocked'
  // Moderation (issue #13): who did what to which rule, message or user; never message text.
  | 'moderation_rule_added'
  | 'moderation_rule_removed'
  | 'message_reported'
  | 'message_hidden'
  | 'moderation_action'
  | 'sanction_lifted'
  | 'banned_login_refused';

export type AuditFields = Record<string, string | number | null | undefined>;

/**
 * Security-relevant events as structured log lines (`"audit":true`), for a
 * SIEM to pick up. Fields are ids, addresses and reasons: never a token, a
 * password or message text.
 */
export class Audit {
  private readonly log: Logger;
  private readonly listeners: Array<(event: AuditEvent, fields: AuditFields) => void> = [];

  constructor(log: Logger) {
    this.log = log.child({ audit: true });
  }

  event(event: AuditEvent, fields: AuditFields): void {
    this.log.info({ event, ...fields }, `audit: ${event}`);
    for (const listener of this.listeners) listener(event, fields);
  }

  /** Told of every event after it is logged (metrics count rate-limit trips here: every trip is audited). */
  onEvent(listener: (event: AuditEvent, fields: AuditFields) => void): void {
    this.listeners.push(listener);
  }
}
