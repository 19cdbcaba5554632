import { afterAll, afterEach, beforeAll, expect, it, vi } from 'vitest';
import { pgliteDatabase, type TestDatabase } from '../../test/support/databases.ts';
import { AccessTokens } from './access-tokens.ts';

let database: TestDatabase;
let tokens: AccessTokens;
beforeAll(async () => {
  database = await pgliteDatabase();
  tokens = new AccessTokens(database.db, { issuer: 'parley', audience: 'parley', ttlSeconds: 60 }, { isRevoked: () => false });
  await tokens.init();
});
afterAll(async () => {
  await database?.drop();
});
afterEach(() => {
  vi.useRealTimers();
});

const codeOf = (p: Promise<unknown>) => p.then(() => 'ok', (e: { code: string }) => e.code);

it('refuses a token that verified before once it has expired (verified tokens are remembered only until exp)', async () => {
  vi.useFakeTimers({ toFake: ['Date'] });
  const token = await tokens.sign('user-1', 'session-1', 5);
  expect(await tokens.verify(token)).toMatchObject({ userId: 'user-1', sessionId: 'session-1' });
  expect(await tokens.verify(token)).toMatchObject({ userId: 'user-1' }); // from memory
  vi.setSystemTime(Date.now() + 6_000);
  expect(await codeOf(tokens.verify(token))).toBe('token_expired');
  expect(await codeOf(tokens.verify(token))).toBe('token_expired');
});

it('still checks the signature of every token it has not seen, however close to a remembered one', async () => {
  const token = await tokens.sign('user-2', 'session-2');
  await tokens.verify(token);
  const [header, payload, signature] = token.split('.');
  const forged = [header, Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), sub: 'user-3' })).toString('base64url'), signature].join('.');
  expect(await codeOf(tokens.verify(forged))).toBe('unauthenticated');
  expect(await codeOf(tokens.verify(token.slice(0, -2)))).toBe('unauthenticated');
});
