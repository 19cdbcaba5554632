import { describe } from 'vitest';
import type { DatabaseKind } from './support/databases.ts';
import { useCluster } from './support/cluster.ts';
import { messagingSuite } from './suites/messaging.ts';
import { authSuite } from './suites/auth.ts';
import { conversationsSuite } from './suites/conversations.ts';
import { badInputSuite } from './suites/bad-input.ts';
import { presenceSuite } from './suites/presence.ts';
import { roomsSuite } from './suites/rooms.ts';
import { callsSuite } from './suites/calls.ts';
import { botsSuite } from './suites/bots.ts';
import { messageChangesSuite } from './suites/message-changes.ts';
import { threadsMentionsPinsSuite } from './suites/threads-mentions-pins.ts';

/** Every integration suite over one cluster: run once per storage engine, same tests. */
export function integration(kind: DatabaseKind): void {
  const cluster = useCluster(kind);
  describe('auth', () => authSuite(cluster));
  describe('conversations', () => conversationsSuite(cluster));
  describe('messaging', () => messagingSuite(cluster));
  describe('presence', () => presenceSuite(cluster));
  describe('large rooms', () => roomsSuite(cluster));
  describe('calls', () => callsSuite(cluster));
  describe('message changes', () => messageChangesSuite(cluster));
  describe('threads, mentions and pins', () => threadsMentionsPinsSuite(cluster));
  describe('bad input', () => badInputSuite(cluster));
  describe('bots and webhooks', () => botsSuite(cluster));
}
