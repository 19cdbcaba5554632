import type { AuthResponse, ConversationView } from '@parley/protocol';
import { api, textMessage } from '../../../../packages/server/test/support/harness.ts';
import { PASSWORD, uniqueUsername } from './ui.ts';

/** A user made over REST, to set a scene faster than through the UI. */
export interface SeededUser {
  id: string;
  username: string;
  displayName: string;
  token: string;
}

export async function seedUser(base: string, displayName: string): Promise<SeededUser> {
  const username = uniqueUsername(displayName.split(' ')[0]!.toLowerCase());
  const res = await api<AuthResponse>(base, 'POST', '/api/v1/auth/register', {
    body: { username, password: PASSWORD, display_name: displayName },
  });
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { id: res.body.user.id, username, displayName, token: res.body.access_token };
}

export async function seedConversation(
  base: string,
  creator: SeededUser,
  others: SeededUser[],
  title?: string,
): Promise<ConversationView> {
  const type = title === undefined ? 'direct' : 'group';
  const res = await api<ConversationView>(base, 'POST', '/api/v1/conversations', {
    token: creator.token,
    body: { type, member_ids: others.map((o) => o.id), ...(title !== undefined ? { title } : {}) },
  });
  if (res.status !== 201 && res.status !== 200) throw new Error(`create failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export async function seedMessage(base: string, sender: SeededUser, conversationId: string, text: string): Promise<void> {
  const res = await api(base, 'POST', `/api/v1/conversations/${conversationId}/messages`, {
    token: sender.token,
    body: textMessage(text),
  });
  if (res.status !== 201 && res.status !== 200) throw new Error(`send failed: ${res.status} ${JSON.stringify(res.body)}`);
}
