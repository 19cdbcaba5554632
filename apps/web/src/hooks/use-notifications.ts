import type { ConversationId, UserId } from '@parley/protocol';
import type { ParleyClient } from '@parley/sdk';
import { useEffect } from 'react';
import { conversationTitle, memberName } from '../lib/names.ts';
import { loadPrefs } from '../lib/preferences.ts';

/** Older than this when it reaches the client (a catch-up after being offline): not news, no alert. */
const FRESH_MS = 2 * 60_000;
/** What a notification shows of a message, at most. */
const PREVIEW_CHARS = 140;

let audio: AudioContext | null = null;

/** A short two-note chime, made on the spot (no sound file to fetch). */
function chime(): void {
  try {
    audio ??= new AudioContext();
    const start = audio.currentTime;
    for (const [i, freq] of [880, 1320].entries()) {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.0001, start + i * 0.12);
      gain.gain.exponentialRampToValueAtTime(0.15, start + i * 0.12 + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + i * 0.12 + 0.2);
      osc.connect(gain).connect(audio.destination);
      osc.start(start + i * 0.12);
      osc.stop(start + i * 0.12 + 0.22);
    }
  } catch {
    // No audio here (or not allowed before a gesture): silence.
  }
}

/**
 * Alerts for messages from others while the tab is hidden: a desktop
 * notification and/or a chime, as the person chose in Settings, except for
 * muted conversations. Clicking a notification brings the tab forward on
 * that conversation. A visible tab shows the message itself: no alert.
 */
export function useNotifications(client: ParleyClient, me: UserId, open: (id: ConversationId) => void): void {
  useEffect(
    () =>
      client.on('message', ({ conversationId, entry }) => {
        if (entry.sender_id === me || entry.message.type !== 'text' || !document.hidden) return;
        if (Date.now() - Date.parse(entry.created_at) > FRESH_MS) return;
        const prefs = loadPrefs(me);
        if (prefs.muted.includes(conversationId)) return;
        if (prefs.sound) chime();
        if (!prefs.notify || typeof Notification === 'undefined' || Notification.permission !== 'granted') return;
        const conversation = client.conversation(conversationId);
        const sender = memberName(conversation, me, entry.sender_id, (id) => client.userById(id));
        const title = conversation?.type === 'group' ? conversationTitle(conversation, me) : sender;
        const text = entry.message.text.length > PREVIEW_CHARS ? `${entry.message.text.slice(0, PREVIEW_CHARS)}…` : entry.message.text;
        // One notification per conversation: a newer message replaces the older one (tag).
        const notification = new Notification(title, { body: conversation?.type === 'group' ? `${sender}: ${text}` : text, tag: conversationId });
        notification.onclick = () => {
          window.focus();
          open(conversationId);
          notification.close();
        };
      }),
    [client, me, open],
  );
}

/**
 * The tab's icon carries a dot with the unread count while there is one,
 * drawn over the usual icon; the title says it in words (see ChatScreen).
 */
export function useFaviconBadge(unread: number): void {
  useEffect(() => {
    const link = document.querySelector<HTMLLinkElement>('link[rel="icon"]');
    if (!link) return;
    const original = link.dataset.original ?? link.href;
    link.dataset.original = original;
    if (unread === 0) {
      link.href = original;
      link.type = 'image/svg+xml';
      return;
    }
    let cancelled = false;
    const image = new Image();
    image.onload = () => {
      if (cancelled) return;
      const canvas = document.createElement('canvas');
      canvas.width = canvas.height = 64;
      const ctx = canvas.getContext('2d');
      if (!ctx) return;
      ctx.drawImage(image, 0, 0, 64, 64);
      ctx.fillStyle = '#dc2626';
      ctx.beginPath();
      ctx.arc(46, 18, 18, 0, 2 * Math.PI);
      ctx.fill();
      ctx.fillStyle = '#ffffff';
      ctx.font = 'bold 24px system-ui, sans-serif';
      ctx.textAlign = 'center';
      ctx.textBaseline = 'middle';
      ctx.fillText(unread > 9 ? '9+' : String(unread), 46, 19);
      link.type = 'image/png';
      link.href = canvas.toDataURL('image/png');
    };
    image.src = original;
    return () => {
      cancelled = true;
    };
  }, [unread]);
}
