import { BlockList, isIP, type LookupFunction } from 'node:net';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { AppError } from '../errors.ts';

/**
 * What stops an operator's endpoint URL from reaching inside the network the
 * server runs in (SSRF): only https, and only public addresses. The check
 * runs at registration (a clear error) and again at every delivery, inside
 * the connection's own DNS lookup, so the address checked is the address
 * connected to: a name re-pointed at 127.0.0.1 after registration is refused.
 */

const blocked = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, cloud metadata (169.254.169.254)
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const) blocked.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96], // NAT64 of any IPv4 address, private ones included
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['ff00::', 8], // multicast
] as const) blocked.addSubnet(net, bits, 'ipv6');

/** Whether an IP address is one an endpoint may be reached at without the development flag. */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  if (family === 6) {
    // IPv4-mapped (::ffff:10.0.0.1): judge the IPv4 address inside.
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    if (mapped) return isPublicAddress(mapped[1]!);
    return !blocked.check(address, 'ipv6');
  }
  return !blocked.check(address, 'ipv4');
}

const invalid = (why: string): AppError => new AppError('invalid_endpoint_url', `endpoint URL refused: ${why}`);

/** The hostname without IPv6 brackets. */
const bareHost = (url: URL): string => url.hostname.replace(/^\[(.*)\]$/, '$1');

/**
 * Validates an endpoint URL at registration. Without `allowPrivate`: https
 * only, and its host must resolve to public addresses only (a host that does
 * not resolve is refused too: nothing could be delivered).
 */
export async function checkEndpointUrl(raw: string, allowPrivate: boolean): Promise<URL> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalid('not an absolute URL');
  }
  if (url.protocol !== 'https:' && !(allowPrivate && url.protocol === 'http:')) throw invalid('only https URLs are accepted');
  if (url.username || url.password) throw invalid('credentials in the URL are not accepted');
  if (url.hash) throw invalid('a URL fragment is not accepted');
  if (allowPrivate) return url;
  const host = bareHost(url);
  if (isIP(host)) {
    if (!isPublicAddress(host)) throw invalid('the address is loopback, private, link-local or reserved');
    return url;
  }
  if (host === 'localhost' || host.endsWith('.localhost')) throw invalid('the address is loopback');
  const addresses = await new Promise<LookupAddress[]>((resolve, reject) =>
    dnsLookup(host, { all: true }, (err, found) => (err ? reject(err) : resolve(found))),
  ).catch(() => {
    throw invalid('the host name does not resolve');
  });
  if (addresses.length === 0 || addresses.some((a) => !isPublicAddress(a.address))) {
    throw invalid('the host name resolves to a loopback, private, link-local or reserved address');
  }
  return url;
}

/** Raised inside a delivery's connection when its host is (or resolves to) a non-public address. */
export class AddressRefused extends Error {
  readonly code = 'EADDRREFUSED_PARLEY';
}

/**
 * The `lookup` a delivery's request connects through: the system resolver,
 * then the public-address check on what it found. (An IP-literal host skips
 * lookup in Node, so `checkLiteralHost` covers that case.)
 */
export function publicOnlyLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, found) => {
      if (err) return callback(err, '', 0);
      const list = found as LookupAddress[];
      const refused = !allowPrivate && list.some((a) => !isPublicAddress(a.address));
      if (refused || list.length === 0) return callback(new AddressRefused(`${hostname} resolves to a non-public address`), '', 0);
      if (options.all) return (callback as unknown as (e: null, all: LookupAddress[]) => void)(null, list);
      callback(null, list[0]!.address, list[0]!.family);
    });
  };
}

/** Throws AddressRefused when the URL's host is a non-public IP literal (which Node connects to without a lookup). */
export function checkLiteralHost(url: URL, allowPrivate: boolean): void {
  const host = bareHost(url);
  if (!allowPrivate && isIP(host) && !isPublicAddress(host)) throw new AddressRefused('the address is not public');
}
