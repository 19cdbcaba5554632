import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { AddressRefused, checkLiteralHost, publicOnlyLookup } from './address-guard.ts';
import type { AttemptOutcome } from './delivery-queue.ts';

/** Bytes of an endpoint's answer read at most (and then dropped): only its status matters. */
const RESPONSE_CAP = 4096;

export interface SendOptions {
  timeoutMs: number;
  allowPrivate: boolean;
}

/** The error kind the delivery log keeps for a failed connection (never its message: it can hold the URL). */
function kindOf(err: NodeJS.ErrnoException): string {
  if (err instanceof AddressRefused) return 'address_refused';
  const code = err.code ?? '';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'dns';
  if (code.startsWith('ERR_TLS') || code.includes('CERT') || code === 'EPROTO' || code.startsWith('ERR_SSL')) return 'tls';
  return 'connection';
}

/**
 * POSTs one signed delivery. 2xx is delivered; anything else (redirects
 * included: they are not followed) is a failure of kind `http_status`. The
 * whole attempt (lookup, connect, TLS, answer headers and the capped body)
 * is bounded by `timeoutMs`. Never throws.
 */
export function postDelivery(rawUrl: string, headers: Record<string, string>, body: string, options: SendOptions): Promise<AttemptOutcome> {
  const started = performance.now();
  const done = (statusCode: number | null, error: string | null): AttemptOutcome => ({ statusCode, error, durationMs: performance.now() - started });
  return new Promise((resolve) => {
    let url: URL;
    try {
      url = new URL(rawUrl);
      checkLiteralHost(url, options.allowPrivate);
    } catch (err) {
      resolve(done(null, err instanceof AddressRefused ? 'address_refused' : 'connection'));
      return;
    }
    let settled = false;
    const settle = (outcome: AttemptOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve(outcome);
    };
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = request(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'user-agent': 'Parley-Events/1' },
        lookup: publicOnlyLookup(options.allowPrivate),
        agent: false,
      },
      (res) => {
        const status = res.statusCode ?? 0;
        const outcome = () => done(status, status >= 200 && status < 300 ? null : 'http_status');
        let read = 0;
        res.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read > RESPONSE_CAP) settle(outcome());
        });
        res.on('end', () => settle(outcome()));
        res.on('error', () => settle(outcome()));
      },
    );
    const timer = setTimeout(() => settle(done(null, 'timeout')), options.timeoutMs);
    req.on('error', (err) => settle(done(null, kindOf(err))));
    req.end(body);
  });
}
