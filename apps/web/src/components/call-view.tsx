import { useEffect, useState } from 'react';
import { useCall, useCallChanges, type MeshCall } from '../hooks/use-call.ts';
import { useSignedIn } from '../hooks/use-client.ts';
import { formatCallDuration } from '../lib/format.ts';
import { Icon } from './icon.tsx';
import { conversationTitle, memberName, nameOf } from '../lib/names.ts';
import { CallDevices } from './call-devices.tsx';
import { LocalTile, ParticipantTile } from './call-tile.tsx';

/** The call in progress: a tile per other participant, this device's preview, and the controls. */
export function CallView() {
  const { active, error } = useCall();
  if (!active) return error ? <p className="call-error" role="alert">Could not start the call: {error}</p> : null;
  return <ActiveCall key={active.id} call={active} />;
}

/** When the call first connected to someone (for the duration), and the current time, ticking each second. */
function useDuration(connected: boolean): string | null {
  const [connectedAt, setConnectedAt] = useState<number | null>(null);
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (connected) setConnectedAt((at) => at ?? Date.now());
  }, [connected]);
  useEffect(() => {
    if (connectedAt === null) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [connectedAt]);
  return connectedAt === null ? null : formatCallDuration(Math.max(0, now - connectedAt));
}

/** Whether this browser can share a screen at all (phone browsers cannot): else the button is not offered. */
function canShareScreen(): boolean {
  return typeof navigator.mediaDevices?.getDisplayMedia === 'function';
}

function ActiveCall({ call }: { call: MeshCall }) {
  const { client, me } = useSignedIn();
  useCallChanges(call);
  const [error, setError] = useState<string | null>(null);
  const conversation = client.conversation(call.conversationId);
  const group = conversation?.type === 'group';
  const participants = call.participants();
  const connected = participants.some((p) => p.state === 'connected');
  const duration = useDuration(connected);
  const nameFor = (id: string) => memberName(conversation, me.id, id);

  const title = conversation ? (group ? conversationTitle(conversation, me.id) : nameFor(participants[0]?.id ?? '')) : 'Call';
  const waiting = participants.every((p) => p.state === 'ringing' || p.state === 'left');
  const status = call.state === 'ended' ? 'Call ended' : duration !== null ? duration : waiting ? 'Calling…' : 'Connecting…';
  const overall = call.state === 'ended' ? 'ended' : connected ? 'connected' : waiting ? 'ringing' : 'connecting';
  const count = participants.filter((p) => p.state !== 'left').length;

  const toggleShare = (): void => {
    setError(null);
    (call.sharing ? call.stopScreen() : call.shareScreen()).catch(() => setError('Could not share the screen.'));
  };

  return (
    <section
      className={`call${group ? ' call--group' : ' call--direct'}`}
      role="region"
      aria-label="Call"
      data-state={overall}
      data-participants={participants.length}
    >
      <ul className="call__stage" aria-label="Participants" data-count={participants.length + 1}>
        {participants.map((p) => (
          <ParticipantTile key={p.id} participant={p} name={nameFor(p.id)} />
        ))}
        <LocalTile stream={call.localStream} id={me.id} name={nameOf(me)} video={call.video && call.cameraOn} muted={call.muted} />
      </ul>
      <div className="call__bar">
        <p className="call__info">
          <strong className="call__title">{title}</strong>{' '}
          {group && <span className="call__count">{count === 1 ? '1 other' : `${count} others`} · </span>}
          <span className="call__status" data-testid="call-status" role="timer" aria-live="off">
            {status}
          </span>
        </p>
        <div className="call__controls">
          <button type="button" className="button call__button" onClick={() => call.setMuted(!call.muted)} aria-pressed={call.muted}>
            <Icon name={call.muted ? 'mic-off' : 'mic'} size={18} />
            <span className="call__label">{call.muted ? 'Unmute' : 'Mute'}</span>
          </button>
          {call.video && (
            <button type="button" className="button call__button" onClick={() => call.setCamera(!call.cameraOn)} aria-pressed={!call.cameraOn}>
              <Icon name={call.cameraOn ? 'video' : 'video-off'} size={18} />
              <span className="call__label">{call.cameraOn ? 'Camera off' : 'Camera on'}</span>
            </button>
          )}
          {call.video && canShareScreen() && (
            <button type="button" className="button call__button" onClick={toggleShare} aria-pressed={call.sharing}>
              <Icon name="screen" size={18} />
              <span className="call__label">{call.sharing ? 'Stop sharing' : 'Share screen'}</span>
            </button>
          )}
          <CallDevices call={call} />
          <button type="button" className="button button--danger call__button" onClick={() => call.hangup()}>
            <Icon name="phone-off" size={18} />
            <span className="call__label">Hang up</span>
          </button>
        </div>
        {error && (
          <p className="call__error" role="alert">
            {error}
          </p>
        )}
      </div>
    </section>
  );
}
