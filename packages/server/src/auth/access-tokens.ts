import { exportJWK, generateKeyPair, importJWK, jwtVerify, SignJWT, errors, type CryptoKey, type JWK } from 'jose';
import type { UserId } from '@parley/protocol';
import type { Database } from '../store/database.ts';
import { AppError } from '../errors.ts';
import type { SessionCheck } from './revoked-sessions.ts';

/** The only algorithm Parley signs or accepts: the token's `alg` header is never trusted. */
const ALG = 'EdDSA';
// A token naming a key this instance has not loaded (another instance just
// created one) triggers a reload, at most this often.
const RELOAD_INTERVAL_MS = 5_000;
const KEY_CREATION_LOCK = 720_315_002;
/** Verified tokens remembered per instance (a reconnect storm presents the same tokens again and again). */
const VERIFIED_CACHE_SIZE = 10_000;

interface Key {
  kid: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
}

/** What a bot token allows, carried in the access tokens it is exchanged for (`scp`). */
export interface TokenScope {
  /** Conversations the token may act in; null: every conversation the bot is a member of. */
  conversations: string[] | null;
  read: boolean;
  send: boolean;
}

export interface VerifiedToken {
  /** Present on a bot token's access tokens: what they may do (a user's tokens have none). */
  scope?: TokenScope;
  userId: UserId;
  /** The refresh-token family (login) this token belongs to: logout ends its sockets. */
  sessionId: string;
  /** Epoch seconds. */
  expiresAt: number;
}

export interface AccessTokenOptions {
  issuer: string;
  audience: string;
  ttlSeconds: number;
}

/**
 * Signs and verifies access JWTs. Signing keys live in the database so every
 * instance that shares it accepts every other instance's tokens; the first
 * instance to start on an empty database creates one.
 */
export class AccessTokens {
  private keys = new Map<string, Key>();
  private current: Key | undefined;
  private lastReload = 0;
  /**
   * Tokens that verified, until they expire: the signature check (EdDSA) is
   * most of a handshake's CPU, and a token's claims cannot change. Oldest
   * entries go first when it is full.
   */
  private readonly verified = new Map<string, VerifiedToken>();

  constructor(
    private readonly sql: Database,
    private readonly options: AccessTokenOptions,
    /** Sessions ended early (logout, password change, refresh-token reuse): their tokens are refused. */
    private readonly sessions: SessionCheck,
  ) {}

  async init(): Promise<void> {
    await this.reload();
    if (this.current) return;
    const { privateKey, publicKey } = await generateKeyPair(ALG, { crv: 'Ed25519', extractable: true });
    const [privateJwk, publicJwk] = [await exportJWK(privateKey), await exportJWK(publicKey)];
    // Instances starting together on an empty database create exactly one key.
    await this.sql.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [KEY_CREATION_LOCK]);
      const existing = await tx.query('SELECT 1 FROM signing_keys WHERE alg = $1 LIMIT 1', [ALG]);
      if (existing.length > 0) return;
      await tx.query(
        'INSERT INTO signing_keys (kid, alg, private_jwk, public_jwk) VALUES ($1, $2, $3::jsonb, $4::jsonb)',
        [crypto.randomUUID(), ALG, JSON.stringify(privateJwk), JSON.stringify(publicJwk)],
      );
    });
    await this.reload();
  }

  private async reload(): Promise<void> {
    this.lastReload = Date.now();
    const rows = await this.sql.query<{ kid: string; private_jwk: JWK; public_jwk: JWK }>(
      'SELECT kid, private_jwk, public_jwk FROM signing_keys WHERE alg = $1 ORDER BY created_at, kid',
      [ALG],
    );
    const keys = new Map<string, Key>();
    for (const row of rows) {
      keys.set(row.kid, {
        kid: row.kid,
        privateKey: (await importJWK(row.private_jwk, ALG)) as CryptoKey,
        publicKey: (await importJWK(row.public_jwk, ALG)) as CryptoKey,
      });
    }
    this.keys = keys;
    // The oldest key signs, so instances that raced to create one converge on the same.
    this.current = keys.values().next().value;
  }

  get ttlSeconds(): number {
    return this.options.ttlSeconds;
  }

  /** Signs an access token for a session (the refresh-token family it belongs to). */
  async sign(userId: UserId, sessionId: string, ttlSeconds = this.options.ttlSeconds, scope?: TokenScope): Promise<string> {
    const key = this.current;
    if (!key) throw new AppError('internal', 'signing keys not initialised');
    return new SignJWT({ sid: sessionId, ...(scope ? { scp: { c: scope.conversations, r: scope.read, s: scope.send } } : {}) })
      .setProtectedHeader({ alg: ALG, kid: key.kid, typ: 'JWT' })
      .setSubject(userId)
      .setIssuer(this.options.issuer)
      .setAudience(this.options.audience)
      .setIssuedAt()
      .setJti(crypto.randomUUID())
      .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
      .sign(key.privateKey);
  }

  /**
   * Verifies a token and returns its user, session and expiry (epoch
   * seconds); throws `unauthenticated` (bad token, or its session was ended)
   * or `token_expired`. Every check of an access token comes through here.
   */
  async verify(token: string): Promise<VerifiedToken> {
    const result = await this.verifyCached(token);
    this.refuseEnded(result.sessionId);
    return result;
  }

  /** Throws `unauthenticated` when the session was ended before its tokens expire. */
  refuseEnded(sessionId: string): void {
    if (this.sessions.isRevoked(sessionId)) throw new AppError('unauthenticated', 'session ended');
  }

  private async verifyCached(token: string): Promise<VerifiedToken> {
    const known = this.verified.get(token);
    if (known) {
      if (known.expiresAt > Date.now() / 1000) return known;
      this.verified.delete(token);
      throw new AppError('token_expired', 'access token expired');
    }
    const result = await this.verifySignature(token);
    if (this.verified.size >= VERIFIED_CACHE_SIZE) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(token, result);
    return result;
  }

  private async verifySignature(token: string): Promise<VerifiedToken> {
    try {
      const { payload } = await jwtVerify(token, (header) => this.keyFor(header.kid), {
        algorithms: [ALG],
        issuer: this.options.issuer,
        audience: this.options.audience,
        requiredClaims: ['sub', 'exp', 'sid'],
      });
      if (typeof payload.sid !== 'string') throw new Error('sid is not a string');
      const scope = readScope(payload.scp);
      return { userId: payload.sub!, sessionId: payload.sid, expiresAt: payload.exp!, ...(scope ? { scope } : {}) };
    } catch (err) {
      if (err instanceof errors.JWTExpired) throw new AppError('token_expired', 'access token expired');
      throw new AppError('unauthenticated', 'invalid access token');
    }
  }

  private async keyFor(kid: string | undefined): Promise<CryptoKey> {
    if (!kid) throw new Error('token has no kid');
    let key = this.keys.get(kid);
    if (!key && Date.now() - this.lastReload > RELOAD_INTERVAL_MS) {
      await this.reload();
      key = this.keys.get(kid);
    }
    if (!key) throw new Error('unknown kid');
    return key.publicKey;
  }
}

/** The `scp` claim of a bot's access token; a malformed one fails verification. */
function readScope(claim: unknown): TokenScope | undefined {
  if (claim === undefined) return undefined;
  const c = claim as { c?: unknown; r?: unknown; s?: unknown };
  const conversations = c.c === null ? null : Array.isArray(c.c) && c.c.every((id) => typeof id === 'string') ? (c.c as string[]) : undefined;
  if (conversations === undefined || typeof c.r !== 'boolean' || typeof c.s !== 'boolean') throw new Error('malformed scope');
  return { conversations, read: c.r, send: c.s };
}
