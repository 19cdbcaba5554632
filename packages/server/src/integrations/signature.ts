import { createHmac } from 'node:crypto';

/**
 * The delivery signature (Stripe's scheme): HMAC-SHA256, keyed by the
 * endpoint's secret, of `<unix seconds>.<body>`, sent as
 * `parley-signature: t=<unix seconds>,v1=<hex>`. The timestamp is inside the
 * signed bytes so a receiver can refuse old replays; each attempt is signed
 * afresh with its own time. The SDK's `verifyEventSignature` checks it.
 */
export function signatureHeader(secret: string, timestamp: number, body: string): string {
  const mac = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return `t=${timestamp},v1=${mac}`;
}
