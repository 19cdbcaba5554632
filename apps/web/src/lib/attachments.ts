import type { ParleyClient } from '@parley/sdk';

/** "1.2 MB": sizes on file cards and upload rows. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB'];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

/**
 * An attachment's bytes (or thumbnail) as a blob URL. Downloads need the
 * access token, which an `<img src>` cannot send, so the page fetches them
 * and shows a `blob:` URL (allowed by the page's CSP). Revoke it when done.
 */
export async function attachmentBlobUrl(client: ParleyClient, id: string, which: 'content' | 'thumbnail'): Promise<string> {
  const token = await client.api.auth?.accessToken();
  const res = await fetch(`/api/v1/attachments/${encodeURIComponent(id)}/${which}`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  if (!res.ok) throw new Error(`attachment ${which}: HTTP ${res.status}`);
  return URL.createObjectURL(await res.blob());
}
