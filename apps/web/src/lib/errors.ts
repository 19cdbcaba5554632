import { ParleyError } from '@parley/sdk';

/** A sentence for a person about what went wrong, from the error's stable code. */
export function describeError(err: unknown): string {
  if (!(err instanceof ParleyError)) return 'Something went wrong. Please try again.';
  switch (err.code) {
    case 'invalid_credentials':
      return 'Wrong username or password.';
    case 'username_taken':
      return 'That username is taken. Try another one.';
    case 'rate_limited':
      return `Too many attempts. Try again in ${Math.max(1, Math.ceil(err.retryAfter ?? 1))} s.`;
    case 'network_error':
    case 'timeout':
    case 'disconnected':
      return 'Cannot reach the server. Check your connection.';
    case 'forbidden':
      return 'You are not allowed to do that.';
    case 'conversation_not_found':
      return 'This conversation no longer exists, or you are not in it.';
    case 'user_not_found':
      return 'That user does not exist.';
    case 'validation_failed':
      return 'Some of that is not valid: ' + err.message;
    case 'invalid_text':
      return 'That text holds characters that cannot be used here (invisible or control characters).';
    case 'payload_too_large':
      return 'That message is too long.';
    default:
      return err.message || 'Something went wrong. Please try again.';
  }
}
