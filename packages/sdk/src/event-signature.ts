import { createHmac, timingSafeEqual } from 'node:crypto';

/** What `verifyEventSignature` checks. */
export interface EventSignatureInput {
  /** The request body exactly as received (the raw bytes or their UTF-8 text, before any JSON parsing). */
  body: string | Uint8Array;
  /** The `parley-signature` header: `t=<unix seconds>,v1=<hex HMAC-SHA256>`. */
  header: string | string[] | undefined;
  /** The endpoint's signing secret, shown once when the endpoint was registered. */
  secret: string;
  /** How old a delivery may be, in seconds (default 300): older ones are refused as possible replays. */
  toleranceSeconds?: number;
  /** The current time in ms (default `Date.now()`), for tests. */
  now?: number;
}

/**
 * Checks the signature of an event delivery from a Parley server: the
 * HMAC-SHA256, keyed by the endpoint's secret, of `<t>.<body>`, where `t` is
 * the header's timestamp, compared in constant time with every `v1=` value
 * of the header (several while a secret is being rotated). False also when
 * the header is missing or malformed, or `t` is further than
 * `toleranceSeconds` from now. Deliveries are at least once: drop repeats by
 * the `parley-event-id` header.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { verifyEventSignature } from '@parley/sdk/node';
 *
 * createServer((req, res) => {
 *   const chunks: Buffer[] = [];
 *   req.on('data', (c) => chunks.push(c));
 *   req.on('end', () => {
 *     const body = Buffer.concat(chunks);
 *     const ok = verifyEventSignature({ body, header: req.headers['parley-signature'], secret: process.env.PARLEY_EVENT_SECRET! });
 *     if (!ok) return res.writeHead(400).end();
 *     const event = JSON.parse(body.toString('utf8'));
 *     res.writeHead(204).end();
 *   });
 * }).listen(3000);
 * ```
 */
export function verifyEventSignature(input: EventSignatureInput): boolean {
  const header = Array.isArray(input.header) ? input.header[0] : input.header;
  if (typeof header !== 'string' || header.length > 1024) return false;
  let timestamp: number | null = null;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const [key, value] = part.trim().split('=', 2);
    if (key === 't' && value !== undefined && /^\d{1,12}$/.test(value)) timestamp = Number(value);
    else if (key === 'v1' && value !== undefined && /^[0-9a-f]{64}$/.test(value)) signatures.push(value);
  }
  if (timestamp === null || signatures.length === 0) return false;
  const tolerance = input.toleranceSeconds ?? 300;
  if (Math.abs((input.now ?? Date.now()) / 1000 - timestamp) > tolerance) return false;
  const expected = createHmac('sha256', input.secret).update(`${timestamp}.`).update(input.body).digest();
  return signatures.some((s) => timingSafeEqual(Buffer.from(s, 'hex'), expected));
}
