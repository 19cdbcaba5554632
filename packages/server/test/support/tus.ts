import { request } from 'node:http';

/**
 * The tus 1.0.0 client side, by hand, so tests control every request (cut a
 * PATCH off half-way, send a creation with the first bytes, read the raw
 * answer). The SDK's uploader is the client for applications.
 */
export interface TusAnswer {
  status: number;
  headers: Headers;
  body: any;
}

const TUS = { 'tus-resumable': '1.0.0' };

function metadata(fields: Record<string, string>): string {
  return Object.entries(fields)
    .map(([k, v]) => `${k} ${Buffer.from(v).toString('base64')}`)
    .join(',');
}

async function answer(res: Response): Promise<TusAnswer> {
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // tus answers some requests in plain text
  }
  return { status: res.status, headers: res.headers, body };
}

/** POST /api/v1/uploads: creates an upload of `size` bytes, optionally with the first bytes in the same request. */
export async function createUpload(
  base: string,
  token: string,
  fields: { conversation_id: string; filename: string; filetype?: string },
  size: number,
  firstBytes?: Buffer,
): Promise<TusAnswer & { id: string | null }> {
  const headers: Record<string, string> = {
    ...TUS,
    authorization: `Bearer ${token}`,
    'upload-length': String(size),
    'upload-metadata': metadata(fields),
  };
  if (firstBytes) headers['content-type'] = 'application/offset+octet-stream';
  const res = await answer(await fetch(`${base}/api/v1/uploads`, { method: 'POST', headers, body: firstBytes ? new Uint8Array(firstBytes) : undefined }));
  const location = res.headers.get('location');
  return { ...res, id: location ? location.split('/').pop()! : null };
}

export async function patchUpload(base: string, token: string, id: string, offset: number, bytes: Buffer): Promise<TusAnswer> {
  return answer(
    await fetch(`${base}/api/v1/uploads/${id}`, {
      method: 'PATCH',
      headers: { ...TUS, authorization: `Bearer ${token}`, 'upload-offset': String(offset), 'content-type': 'application/offset+octet-stream' },
      body: new Uint8Array(bytes),
    }),
  );
}

export async function uploadOffset(base: string, token: string, id: string): Promise<{ status: number; offset: number | null }> {
  const res = await fetch(`${base}/api/v1/uploads/${id}`, { method: 'HEAD', headers: { ...TUS, authorization: `Bearer ${token}` } });
  const offset = res.headers.get('upload-offset');
  return { status: res.status, offset: offset === null ? null : Number(offset) };
}

/** A whole small file in one request (tus creation-with-upload); resolves to the attachment id. */
export async function uploadFile(base: string, token: string, conversationId: string, filename: string, bytes: Buffer): Promise<string> {
  const res = await createUpload(base, token, { conversation_id: conversationId, filename }, bytes.length, bytes);
  if (res.status !== 201 || !res.id) throw new Error(`upload failed: ${res.status} ${JSON.stringify(res.body)}`);
  if (Number(res.headers.get('upload-offset')) !== bytes.length) throw new Error(`upload incomplete: offset ${res.headers.get('upload-offset')}`);
  return res.id;
}

/**
 * A PATCH whose connection is cut after `sendBytes` of `bytes` were written
 * (the client vanished: no error from the server, just a dropped socket).
 */
export async function cutPatch(base: string, token: string, id: string, offset: number, bytes: Buffer, sendBytes: number): Promise<void> {
  const url = new URL(`${base}/api/v1/uploads/${id}`);
  await new Promise<void>((resolve) => {
    const req = request({
      host: url.hostname,
      port: url.port,
      path: url.pathname,
      method: 'PATCH',
      headers: {
        ...TUS,
        authorization: `Bearer ${token}`,
        'upload-offset': String(offset),
        'content-type': 'application/offset+octet-stream',
        'content-length': String(bytes.length),
      },
    });
    req.on('error', () => resolve());
    req.on('close', () => resolve());
    req.write(bytes.subarray(0, sendBytes), () => {
      // Give the server a moment to take the bytes in, then drop the connection.
      setTimeout(() => req.destroy(), 300);
    });
  });
}
