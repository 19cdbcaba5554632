import { CloseCodes, ErrorCodes, retryableErrorCodes, type ErrorCode } from '@parley/protocol';

export interface ErrorCodeEntry {
  code: ErrorCode;
  /** HTTP status of a REST response with this code. */
  status: number;
  /** Whether the same request may succeed if sent again unchanged. */
  retryable: boolean;
}

/** Every error code of the protocol with its HTTP status and whether it is retryable, read from the protocol's tables. */
export function errorCodeTable(): ErrorCodeEntry[] {
  return (Object.keys(ErrorCodes) as ErrorCode[]).map((code) => ({
    code,
    status: ErrorCodes[code],
    retryable: retryableErrorCodes.has(code),
  }));
}

/** The WebSocket close codes the server uses, by name. */
export function closeCodeTable(): Array<{ name: string; code: number }> {
  return Object.entries(CloseCodes).map(([name, code]) => ({ name, code }));
}

/** A Markdown list of the error codes, for descriptions. */
export function describeErrorCodes(): string {
  return errorCodeTable()
    .map((e) => `- \`${e.code}\`: HTTP ${e.status}${e.retryable ? ', retryable' : ''}`)
    .join('\n');
}
