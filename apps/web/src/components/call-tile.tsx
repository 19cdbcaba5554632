import type { CallHangupReason } from '@parley/protocol';
import { useEffect, useRef, useState } from 'react';
import type { MeshParticipant } from '../hooks/use-call.ts';
import { Avatar } from './avatar.tsx';

/** Plays `stream` in the element (muted for this device's own preview, never for a peer). */
function useMediaElement(stream: MediaStream | null, muted: boolean) {
  const ref = useRef<HTMLVideoElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (!el || el.srcObject === stream) return;
    el.srcObject = stream;
    el.muted = muted;
    if (stream) el.play().catch(() => undefined);
  }, [stream, muted]);
  return ref;
}

/** Whether a stream carries live video, watching for tracks that arrive or end later. */
function useHasVideo(stream: MediaStream | null): boolean {
  const check = () => !!stream?.getVideoTracks().some((t) => t.readyState === 'live');
  const [has, setHas] = useState(check);
  useEffect(() => {
    const update = () => setHas(!!stream?.getVideoTracks().some((t) => t.readyState === 'live'));
    update();
    if (!stream) return;
    stream.addEventListener('addtrack', update);
    stream.addEventListener('removetrack', update);
    return () => {
      stream.removeEventListener('addtrack', update);
      stream.removeEventListener('removetrack', update);
    };
  }, [stream]);
  return has;
}

const LEFT: Partial<Record<CallHangupReason, string>> = {
  user_rejected: 'Declined',
  invite_timeout: 'No answer',
  user_busy: 'Busy',
  answered_elsewhere: 'Left',
};

/** What a participant's state reads as on their tile. */
export function participantLabel(p: MeshParticipant): string {
  switch (p.state) {
    case 'ringing':
      return 'Ringing…';
    case 'connecting':
      return 'Connecting…';
    case 'connected':
      return 'Connected';
    case 'left':
      return (p.reason && LEFT[p.reason]) ?? 'Left';
  }
}

/**
 * One other participant: their video, or their initials when there is none
 * (a voice call, camera off, not connected yet, or gone). Their media element
 * stays mounted while they are in the call, since it also plays their voice.
 */
export function ParticipantTile({ participant, name }: { participant: MeshParticipant; name: string }) {
  const ref = useMediaElement(participant.stream, false);
  const hasVideo = useHasVideo(participant.stream);
  const showVideo = hasVideo && participant.video !== false && participant.state !== 'left';
  const label = participantLabel(participant);
  return (
    <li
      className={`call-tile${showVideo ? ' call-tile--video' : ''}${participant.state === 'left' ? ' call-tile--left' : ''}`}
      data-participant={participant.id}
      data-state={participant.state}
      aria-label={`${name}: ${label}${participant.muted ? ', muted' : ''}`}
    >
      {participant.stream && <video ref={ref} className="call-tile__video" data-remote="" autoPlay playsInline hidden={!showVideo} />}
      {!showVideo && (
        <span className="call-tile__avatar">
          <Avatar id={participant.id} name={name} size="lg" />
        </span>
      )}
      <span className="call-tile__caption" aria-hidden="true">
        <span className="call-tile__name">{name}</span>
        {participant.state !== 'connected' && <span className="call-tile__state">{label}</span>}
        {participant.muted && participant.state !== 'left' && <span className="call-tile__badge">Muted</span>}
      </span>
    </li>
  );
}

/** This device's own preview (muted, so it never echoes). */
export function LocalTile({ stream, id, name, video, muted }: { stream: MediaStream | null; id: string; name: string; video: boolean; muted: boolean }) {
  const ref = useMediaElement(stream, true);
  return (
    <li className={`call-tile call-tile--local${video ? ' call-tile--video' : ''}`} aria-label={`You${muted ? ', muted' : ''}${video ? '' : ', camera off'}`}>
      <video ref={ref} className="call-tile__video" data-local="" autoPlay playsInline muted hidden={!video} />
      {!video && (
        <span className="call-tile__avatar">
          <Avatar id={id} name={name} size="lg" />
        </span>
      )}
      <span className="call-tile__caption" aria-hidden="true">
        <span className="call-tile__name">You</span>
        {muted && <span className="call-tile__badge">Muted</span>}
      </span>
    </li>
  );
}
