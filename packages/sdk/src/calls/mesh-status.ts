import type { UserId } from '@parley/protocol';

/** A leg's state as one participant reports it to another (ended legs are left out). */
export type LegState = 'ringing' | 'connecting' | 'connected';

/**
 * What a mesh participant tells each peer over their leg's data channel, as
 * JSON, whenever it changes (and when the channel opens). It travels peer to
 * peer, never through the server, so any client that wants to join a Parley
 * mesh speaks it too: it is versioned, and unknown versions are ignored.
 */
export interface MeshStatus {
  v: 1;
  type: 'status';
  /** The sender's legs with everyone but the receiver. */
  peers: Record<UserId, LegState>;
  /** The sender's microphone is muted. */
  muted: boolean;
  /** The sender sends video (camera on, or a shared screen). */
  video: boolean;
}

const MAX_PEERS = 16;
const LEG_STATES: readonly string[] = ['ringing', 'connecting', 'connected'];

/** The status in `text`, or null for anything else (another version, another message, garbage). */
export function parseMeshStatus(text: string): MeshStatus | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const { v, type, peers, muted, video } = value as Record<string, unknown>;
  if (v !== 1 || type !== 'status' || typeof muted !== 'boolean' || typeof video !== 'boolean') return null;
  if (typeof peers !== 'object' || peers === null || Array.isArray(peers)) return null;
  const entries = Object.entries(peers);
  if (entries.length > MAX_PEERS || entries.some(([id, state]) => id.length > 64 || typeof state !== 'string' || !LEG_STATES.includes(state))) return null;
  return { v, type, peers: Object.fromEntries(entries) as Record<UserId, LegState>, muted, video };
}
