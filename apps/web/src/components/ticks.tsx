import type { MessageStatus } from '@parley/sdk';

const LABELS: Record<MessageStatus, string> = {
  pending: 'Sending',
  failed: 'Not sent',
  sent: 'Sent',
  delivered: 'Delivered',
  read: 'Read',
};

/** The delivery state in words. */
export function statusLabel(status: MessageStatus): string {
  return LABELS[status];
}

/** The delivery state of one of this user's messages: a clock, one tick, two ticks, two coloured ticks, or a warning. */
export function Ticks({ status }: { status: MessageStatus }) {
  return (
    <span className={`ticks ticks--${status}`} data-status={status} role="img" aria-label={LABELS[status]} title={LABELS[status]}>
      <svg viewBox="0 0 18 12" width="18" height="12" aria-hidden="true" focusable="false">
        {status === 'pending' && (
          <g fill="none" stroke="currentColor" strokeWidth="1.5" strokeLinecap="round">
            <circle cx="9" cy="6" r="4.75" />
            <path d="M9 3.5V6l1.75 1.25" />
          </g>
        )}
        {status === 'failed' && (
          <g fill="none" stroke="currentColor" strokeWidth="1.6" strokeLinecap="round">
            <circle cx="9" cy="6" r="5" />
            <path d="M9 3.4v3M9 8.6v.01" />
          </g>
        )}
        {(status === 'sent' || status === 'delivered' || status === 'read') && (
          <path d="M1.5 6.5l3 3 6.5-7.5" fill="none" stroke="currentColor" strokeWidth="1.6" strokeLinecap="round" strokeLinejoin="round" />
        )}
        {(status === 'delivered' || status === 'read') && (
          <path d="M8 8l1.5 1.5L16 2" fill="none" stroke="currentColor" strokeWidth="1.6" strokeLinecap="round" strokeLinejoin="round" />
        )}
      </svg>
    </span>
  );
}
