import type { MessageContent, MessageView, SystemContent } from '@parley/protocol';

/** An entry whose content is a message someone sent (`message.type === 'text'`). */
export type TextEntry = MessageView & { message: MessageContent };
/** An entry the server wrote (membership changes, calls): `message.type === 'system'`. */
export type SystemEntry = MessageView & { message: SystemContent };

/**
 * True for a message someone sent, narrowing `entry.message` to its text content.
 *
 * @example
 * ```ts
 * client.on('entry', ({ entry }) => { if (isTextEntry(entry)) console.log(entry.message.text); });
 * ```
 */
export function isTextEntry(entry: MessageView): entry is TextEntry {
  return entry.message.type === 'text';
}

/** True for an entry the server wrote (joined, left, call ended, …), narrowing `entry.message`. */
export function isSystemEntry(entry: MessageView): entry is SystemEntry {
  return entry.message.type === 'system';
}
