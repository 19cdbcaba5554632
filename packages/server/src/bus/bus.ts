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

/** Channel of everything addressed to one user's devices. */
export const userChannel = (userId: string): string => `user:${userId}`;
