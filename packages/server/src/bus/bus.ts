/**
 * Fan-out between server instances. At-most-once and never the source of
 * truth: a lost payload costs latency (clients fill gaps from history), not data.
 */
export type BusListener = (payload: string) => void;
export type Unsubscribe = () => Promise<void>;

export interface Bus {
  /** Sends `payload` to every listener of `channel` on every instance. */
  publish(channel: string, payload: string): Promise<void>;
  /** Listens on `channel` until the returned function is called. */
  subscribe(channel: string, listener: BusListener): Promise<Unsubscribe>;
  close(): Promise<void>;
}

/** Everything addressed to one user's devices. */
export const userChannel = (userId: string): string => `user:${userId}`;
/** Entries of a large conversation: published once, heard by instances with a member connected. */
export const roomChannel = (conversationId: string): string => `room:${conversationId}`;
export const isRoomChannel = (channel: string): boolean => channel.startsWith('room:');
/** A user's online / offline changes, heard by instances with a subscriber. */
export const presenceChannel = (userId: string): string => `presence:${userId}`;
