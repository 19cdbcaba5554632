import { MAX_GROUP_MEMBERS } from '@parley/protocol';
import { ParleyError } from '@parley/sdk';

const SOMETHING_WRONG = 'Something went wrong. Please try again.';

/**
 * A sentence for a person about what went wrong, from the error's stable
 * code. The server's own message is for developers (it may read
 * "body.username: must not have fewer than 1 characters"): never shown.
 */
export function describeError(err: unknown): string {
  if (!(err instanceof ParleyError)) return SOMETHING_WRONG;
  return describeCode(err.code, err.retryAfter);
}

/** The sentence for an error code (a protocol code or one of the SDK's), such as a failed send's. */
export function describeCode(code: string, retryAfter?: number): string {
  switch (code) {
    case 'invalid_credentials':
      return 'Wrong username or password.';
    case 'username_taken':
      return 'That username is taken. Try another one.';
    case 'rate_limited':
      return `Too many attempts. Try again in ${Math.max(1, Math.ceil(retryAfter ?? 1))} s.`;
    case 'network_error':
    case 'timeout':
    case 'disconnected':
      return 'Cannot reach the server. Check your connection.';
    case 'unauthenticated':
    case 'token_expired':
    case 'invalid_refresh_token':
    case 'refresh_token_reused':
      return 'Your session has ended. Please sign in again.';
    case 'forbidden':
      return 'You are not allowed to do that.';
    case 'mention_forbidden':
      return 'Only the admins of this group may mention @everyone.';
    case 'not_found':
      return 'That is not there any more.';
    case 'conversation_not_found':
      return 'This conversation no longer exists, or you are not in it.';
    case 'user_not_found':
      return 'That user does not exist.';
    case 'group_full':
      return `That group is full: groups take up to ${MAX_GROUP_MEMBERS} people.`;
    case 'conflict':
      return 'That changed in the meantime. Please try again.';
    case 'validation_failed':
      return 'Some of that is not in the form expected. Check it and try again.';
    case 'invalid_text':
      return 'That text holds characters that cannot be used here (invisible or control characters).';
    case 'payload_too_large':
      return 'That message is too long.';
    case 'unavailable':
      return 'The server is busy. Please try again in a moment.';
    case 'already_reported':
      return 'You already reported this message.';
    case 'message_hidden':
      return 'This message was removed by moderation.';
    case 'invalid_rule':
      return 'That rule is not valid: check the pattern (a word, a regular expression or a domain).';
    case 'rule_matches_everything':
      return 'That rule would match every message.';
    case 'operator_only':
      return 'Only server operators can do that.';
    default:
      return SOMETHING_WRONG;
  }
}
