import type { CallSession, CallState } from '@parley/sdk';
import { useEffect, useRef, useState } from 'react';
import { useCall } from '../hooks/use-call.ts';
import { useSignedIn } from '../hooks/use-client.ts';
import { formatCallDuration } from '../lib/format.ts';
import { memberName } from '../lib/names.ts';

/** The call in progress: the other side's video, this device's preview, and the controls. */
export function CallView() {
  const { active, error } = useCall();
  if (!active) return error ? <p className="call-error" role="alert">Could not start the call: {error}</p> : null;
  return <ActiveCall key={active.id} call={active} />;
}

function ActiveCall({ call }: { call: CallSession }) {
  const { client, me } = useSignedIn();
  const [state, setState] = useState<CallState>(call.state);
  const [remote, setRemote] = useState<MediaStream | null>(call.remoteStream);
  const [muted, setMuted] = useState(false);
  const [cameraOn, setCameraOn] = useState(call.video);
  const [sharing, setSharing] = useState(false);
  const [connectedAt, setConnectedAt] = useState<number | null>(call.state === 'connected' ? Date.now() : null);
  const [now, setNow] = useState(Date.now());
  const remoteVideo = useRef<HTMLVideoElement>(null);
  const localVideo = useRef<HTMLVideoElement>(null);

  useEffect(() => {
    const offState = call.on('state', (s) => {
      setState(s);
      if (s === 'connected') setConnectedAt((at) => at ?? Date.now());
    });
    const offStream = call.on('remote_stream', (stream) => setRemote(stream));
    // Events that fired before this view subscribed.
    setState(call.state);
    if (call.state === 'connected') setConnectedAt((at) => at ?? Date.now());
    if (call.remoteStream) setRemote(call.remoteStream);
    return () => {
      offState();
      offStream();
    };
  }, [call]);

  useEffect(() => {
    if (connectedAt === null) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [connectedAt]);

  useEffect(() => {
    const el = remoteVideo.current;
    if (el && el.srcObject !== remote) {
      el.srcObject = remote;
      el.muted = false;
      if (remote) el.play().catch(() => undefined);
    }
  }, [remote]);

  // The local stream exists once the media is taken (after start / accept): look for it until it does.
  const [local, setLocal] = useState<MediaStream | null>(call.localStream);
  useEffect(() => {
    if (local) return;
    const timer = setInterval(() => call.localStream && setLocal(call.localStream), 200);
    return () => clearInterval(timer);
  }, [call, local]);
  useEffect(() => {
    const el = localVideo.current;
    if (el && local && el.srcObject !== local) {
      el.srcObject = local;
      el.muted = true;
      el.play().catch(() => undefined);
    }
  }, [local]);

  const peer = memberName(client.conversation(call.conversationId), me.id, call.peer);
  const status = state === 'connected' && connectedAt !== null ? formatCallDuration(now - connectedAt) : state === 'ended' ? 'Call ended' : call.direction === 'outgoing' && !call.peerPartyId ? 'Calling…' : 'Connecting…';

  const toggleMute = (): void => {
    call.setMuted(!muted);
    setMuted(!muted);
  };
  const toggleCamera = (): void => {
    call.setCamera(!cameraOn);
    setCameraOn(!cameraOn);
  };
  const toggleShare = (): void => {
    if (sharing) {
      void call.stopScreen().then(() => setSharing(false));
    } else {
      call.shareScreen().then(
        () => setSharing(true),
        () => setSharing(false),
      );
    }
  };

  return (
    <section className="call" role="region" aria-label="Call" data-state={state}>
      <div className="call__stage">
        <video ref={remoteVideo} className="call__remote" data-remote="" autoPlay playsInline />
        <video ref={localVideo} className="call__local" data-local="" autoPlay playsInline muted />
      </div>
      <div className="call__bar">
        <p className="call__info">
          <strong>{peer}</strong>{' '}
          <span className="call__status" data-testid="call-status" role="timer" aria-live="off">
            {status}
          </span>
        </p>
        <div className="call__controls">
          <button type="button" className="button" onClick={toggleMute} aria-pressed={muted}>
            {muted ? 'Unmute' : 'Mute'}
          </button>
          {call.video && (
            <button type="button" className="button" onClick={toggleCamera} aria-pressed={!cameraOn}>
              {cameraOn ? 'Camera off' : 'Camera on'}
            </button>
          )}
          {call.video && (
            <button type="button" className="button" onClick={toggleShare} aria-pressed={sharing}>
              {sharing ? 'Stop sharing' : 'Share screen'}
            </button>
          )}
          <button type="button" className="button button--danger" onClick={() => call.hangup()}>
            Hang up
          </button>
        </div>
      </div>
    </section>
  );
}
