import type { AttachmentView } from '@parley/protocol';
import { useEffect, useState } from 'react';
import { useSignedIn } from '../hooks/use-client.ts';
import { attachmentBlobUrl, formatBytes } from '../lib/attachments.ts';
import { Dialog } from './dialog.tsx';

/** What a message carries about an attachment (the server fills it in; `status` may lag until refreshed). */
export interface AttachmentRef {
  id: string;
  name?: string;
  size?: number;
  content_type?: string;
  status?: string;
  scan?: string;
  thumbnail?: boolean;
}

/**
 * One attachment in a message: a file card (name, size, type) with its
 * processing state — "Scanning…" until the server is done, "Blocked" when
 * refused, "Not scanned" when the operator turned scanning off — and for a
 * clean image its thumbnail, which opens the full image. Status changes
 * arrive as `attachment` events; a card whose state is not final also asks
 * the server once when it appears (the message may be older than the change).
 */
export function AttachmentCard({ attachment }: { attachment: AttachmentRef }) {
  const { client } = useSignedIn();
  const [view, setView] = useState<AttachmentRef>(attachment);
  const [thumb, setThumb] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const off = client.on('attachment', (a: AttachmentView) => {
      if (a.id === attachment.id) setView((v) => ({ ...v, ...a, content_type: a.content_type ?? undefined }));
    });
    if (attachment.status !== 'clean' && attachment.status !== 'blocked' && attachment.status !== 'failed') {
      client.api
        .getAttachment(attachment.id)
        .then((a) => setView((v) => ({ ...v, ...a, content_type: a.content_type ?? undefined })))
        .catch(() => {});
    }
    return off;
  }, [client, attachment.id, attachment.status]);

  const clean = view.status === 'clean';
  useEffect(() => {
    if (!clean || !view.thumbnail) return;
    let url: string | null = null;
    let live = true;
    attachmentBlobUrl(client, view.id, 'thumbnail').then(
      (u) => (live ? setThumb((url = u)) : URL.revokeObjectURL(u)),
      () => setError('Preview unavailable'),
    );
    return () => {
      live = false;
      if (url) URL.revokeObjectURL(url);
    };
  }, [client, clean, view.id, view.thumbnail]);

  const [viewer, setViewer] = useState<string | null>(null);
  /** Shows the full image in a dialog (the bytes fetched with the token into a blob: URL). */
  const openViewer = async (): Promise<void> => {
    try {
      setViewer(await attachmentBlobUrl(client, view.id, 'content'));
    } catch {
      setError('Could not open');
    }
  };
  const closeViewer = (): void => {
    if (viewer) URL.revokeObjectURL(viewer);
    setViewer(null);
  };

  const open = async (): Promise<void> => {
    try {
      const url = await attachmentBlobUrl(client, view.id, 'content');
      const a = document.createElement('a');
      a.href = url;
      a.download = view.name ?? 'file';
      a.rel = 'noopener';
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    } catch {
      setError('Could not download');
    }
  };

  const state =
    view.status === 'blocked' ? 'Blocked' : view.status === 'failed' ? 'Could not be processed' : !clean ? 'Scanning…' : view.scan === 'off' ? 'Not scanned' : null;
  return (
    <div className={`attachment attachment--${view.status ?? 'pending'}`} data-attachment-id={view.id} data-status={view.status}>
      {thumb && (
        <button type="button" className="attachment__preview" onClick={() => void openViewer()} aria-label={`Open ${view.name ?? 'image'}`}>
          <img src={thumb} alt={view.name ?? 'image'} />
        </button>
      )}
      <div className="attachment__card">
        <span className="attachment__name">{view.name ?? 'file'}</span>
        <span className="attachment__meta">
          {view.size !== undefined ? formatBytes(view.size) : ''}
          {view.content_type ? ` · ${view.content_type}` : ''}
        </span>
        {state && <span className="attachment__state">{state}</span>}
        {error && <span className="attachment__state">{error}</span>}
        {clean && (
          <button type="button" className="link-button attachment__open" onClick={() => void open()}>
            Download
          </button>
        )}
      </div>
      {viewer && (
        <Dialog
          title={view.name ?? 'Image'}
          onClose={closeViewer}
          footer={
            <button type="button" className="link-button" onClick={() => void open()}>
              Download
            </button>
          }
        >
          <img className="attachment__full" src={viewer} alt={view.name ?? 'image'} />
        </Dialog>
      )}
    </div>
  );
}
