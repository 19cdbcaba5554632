import { Type, type Static } from 'typebox';
import { SeqSchema, Uuid } from './common.ts';

/**
 * Moderation and analytics over REST (issue #13). Routes under
 * `/api/v1/admin/` are for server operators only (`operator_only` otherwise):
 * the first registered account and those named in ADMIN_USERS.
 */

const Timestamp = Type.String({ format: 'date-time' });
const Day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', maxLength: 10 });

/** The caller's own profile: a user plus whether they are a server operator (the web client shows the admin page then). */
export const MeViewSchema = Type.Object({
  id: Uuid,
  username: Type.String(),
  display_name: Type.String(),
  is_operator: Type.Boolean(),
});
export type MeView = Static<typeof MeViewSchema>;

export const RuleKindSchema = Type.Union([Type.Literal('word'), Type.Literal('regex'), Type.Literal('domain'), Type.Literal('rate')]);

/**
 * A rule to add. `word`: a whole word, case-insensitive. `regex`: an RE2
 * pattern (no backreferences or lookaround; matched in linear time). `domain`:
 * links to this domain or its subdomains. `rate`: more than `max_messages`
 * from one user within `window_seconds`.
 */
export const ModerationRuleBody = Type.Object(
  {
    kind: RuleKindSchema,
    pattern: Type.Optional(Type.String({ maxLength: 512 })),
    max_messages: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
    window_seconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400 })),
  },
  { additionalProperties: false },
);
export type ModerationRuleBody = Static<typeof ModerationRuleBody>;

export const ModerationRuleViewSchema = Type.Object({
  id: Uuid,
  kind: RuleKindSchema,
  pattern: Type.Union([Type.String(), Type.Null()]),
  max_messages: Type.Union([Type.Integer(), Type.Null()]),
  window_seconds: Type.Union([Type.Integer(), Type.Null()]),
  created_by: Uuid,
  created_at: Timestamp,
});
export type ModerationRuleView = Static<typeof ModerationRuleViewSchema>;
export const ModerationRuleListSchema = Type.Object({ rules: Type.Array(ModerationRuleViewSchema) });


/** A review queue item: a rule hit or a member's report. */
export const ModerationItemViewSchema = Type.Object({
  id: Uuid,
  source: Type.Union([Type.Literal('rule'), Type.Literal('report')]),
  conversation_id: Uuid,
  message_id: Uuid,
  author_id: Uuid,
  /** The rule kind that hit ("word", "regex", "domain", "rate", "classifier") or "report". */
  reason: Type.String(),
  rule_id: Type.Union([Uuid, Type.Null()]),
  reporter_id: Type.Union([Uuid, Type.Null()]),
  /** The reporter's note. */
  note: Type.Union([Type.String(), Type.Null()]),
  status: Type.String(),
  /** Whether the message is hidden for every member now. */
  hidden: Type.Boolean(),
  created_at: Timestamp,
  resolved_by: Type.Union([Uuid, Type.Null()]),
  resolved_at: Type.Union([Timestamp, Type.Null()]),
  /** In the queue: the message's text as stored, for the operator (hidden or not; null once deleted). */
  message_text: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  /** In the queue: the author's and the reporter's usernames. */
  author_username: Type.Optional(Type.String()),
  reporter_username: Type.Optional(Type.Union([Type.String(), Type.Null()])),
});
export type ModerationItemView = Static<typeof ModerationItemViewSchema>;

export const ModerationQueueQuery = Type.Object({
  /** `open` (default): still to be worked; `resolved`; `all`. */
  status: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('resolved'), Type.Literal('all')])),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
});
export type ModerationQueueQuery = Static<typeof ModerationQueueQuery>;
export const ModerationQueueSchema = Type.Object({ items: Type.Array(ModerationItemViewSchema) });

export const ReportParams = Type.Object({ id: Uuid, seq: SeqSchema });
export const ReportBody = Type.Object(
  { note: Type.Optional(Type.String({ maxLength: 500 })) },
  { additionalProperties: false },
);
export type ReportBody = Static<typeof ReportBody>;

export const ItemParams = Type.Object({ id: Uuid });

/**
 * What an operator does with a queue item: `restore` shows the message again;
 * `confirm` keeps it hidden (hides it, for a report); `warn`, `mute` and `ban`
 * also confirm and act on the author (`duration_seconds` for mute and ban;
 * absent: until lifted).
 */
export const ModerationActionBody = Type.Object(
  {
    action: Type.Union([Type.Literal('restore'), Type.Literal('confirm'), Type.Literal('warn'), Type.Literal('mute'), Type.Literal('ban')]),
    duration_seconds: Type.Optional(Type.Integer({ minimum: 60, maximum: 366 * 86_400 })),
  },
  { additionalProperties: false },
);
export type ModerationActionBody = Static<typeof ModerationActionBody>;

export const SanctionViewSchema = Type.Object({
  user_id: Uuid,
  kind: Type.Union([Type.Literal('mute'), Type.Literal('ban')]),
  until: Type.Union([Timestamp, Type.Null()]),
  created_by: Uuid,
  created_at: Timestamp,
});
export type SanctionView = Static<typeof SanctionViewSchema>;
export const SanctionListSchema = Type.Object({ sanctions: Type.Array(SanctionViewSchema) });
export const SanctionParams = Type.Object({ userId: Uuid, kind: Type.Union([Type.Literal('mute'), Type.Literal('ban')]) });

export const AnalyticsQuery = Type.Object({
  /** First UTC day (YYYY-MM-DD); default 30 days before `to`. */
  from: Type.Optional(Day),
  /** Last UTC day; default today. */
  to: Type.Optional(Day),
});
export type AnalyticsQuery = Static<typeof AnalyticsQuery>;

export const AnalyticsDaySchema = Type.Object({
  day: Day,
  messages: Type.Object({ direct: Type.Integer(), group: Type.Integer() }),
  active_users: Type.Integer(),
  new_users: Type.Integer(),
  calls: Type.Integer(),
  call_minutes: Type.Number(),
});
export type AnalyticsDay = Static<typeof AnalyticsDaySchema>;
export const AnalyticsResponseSchema = Type.Object({ days: Type.Array(AnalyticsDaySchema) });
