import { useEffect, useId, useRef, useState, type KeyboardEvent } from 'react';
import type { MeshCall } from '../hooks/use-call.ts';
import { Icon } from './icon.tsx';

type Kind = 'audio' | 'video';

/** The microphones and cameras of this device (labels show once a call has the permission). */
function useDevices(open: boolean): MediaDeviceInfo[] {
  const [devices, setDevices] = useState<MediaDeviceInfo[]>([]);
  useEffect(() => {
    if (!open) return;
    const media = navigator.mediaDevices;
    let live = true;
    const load = () =>
      media.enumerateDevices().then(
        (list) => live && setDevices(list),
        () => live && setDevices([]),
      );
    void load();
    media.addEventListener('devicechange', load);
    return () => {
      live = false;
      media.removeEventListener('devicechange', load);
    };
  }, [open]);
  return devices;
}

/**
 * The in-call device settings: which microphone and camera the call sends.
 * A choice switches every leg of the call at once, without renegotiating.
 */
export function CallDevices({ call }: { call: MeshCall }) {
  const [open, setOpen] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [, rerender] = useState(0);
  const devices = useDevices(open);
  const panelId = useId();
  const toggle = useRef<HTMLButtonElement>(null);

  // Escape closes it (from the panel or its button), and focus goes back to the button, as dialogs do.
  const onKeyDown = (event: KeyboardEvent): void => {
    if (event.key !== 'Escape' || !open) return;
    event.stopPropagation();
    setOpen(false);
    toggle.current?.focus();
  };

  const choose = (kind: Kind, deviceId: string): void => {
    setError(null);
    call.useDevice(kind, deviceId).then(
      () => rerender((n) => n + 1),
      () => setError(kind === 'audio' ? 'Could not switch to that microphone.' : 'Could not switch to that camera.'),
    );
  };

  return (
    <div className="call-devices" onKeyDown={onKeyDown}>
      <button type="button" className="button call__button" ref={toggle} aria-expanded={open} aria-controls={panelId} onClick={() => setOpen(!open)}>
        <Icon name="sliders" size={18} />
        <span className="call__label">Devices</span>
      </button>
      {open && (
        <div id={panelId} className="call-devices__panel" role="group" aria-label="Devices">
          <DeviceSelect label="Microphone" kind="audio" devices={devices} value={call.deviceOf('audio')} onChoose={choose} />
          {call.video && <DeviceSelect label="Camera" kind="video" devices={devices} value={call.deviceOf('video')} onChoose={choose} />}
          {error && (
            <p className="call-devices__error" role="alert">
              {error}
            </p>
          )}
        </div>
      )}
    </div>
  );
}

function DeviceSelect(props: { label: string; kind: Kind; devices: MediaDeviceInfo[]; value: string | null; onChoose: (kind: Kind, id: string) => void }) {
  const { label, kind, devices, value, onChoose } = props;
  const id = useId();
  const options = devices.filter((d) => d.kind === (kind === 'audio' ? 'audioinput' : 'videoinput') && d.deviceId);
  return (
    <div className="call-devices__field">
      <label htmlFor={id}>{label}</label>
      <select id={id} value={value ?? ''} onChange={(e) => onChoose(kind, e.target.value)} disabled={options.length === 0}>
        {(value === null || !options.some((d) => d.deviceId === value)) && <option value={value ?? ''}>{options.length === 0 ? 'None found' : 'Default'}</option>}
        {options.map((d, i) => (
          <option key={d.deviceId} value={d.deviceId}>
            {d.label || `${label} ${i + 1}`}
          </option>
        ))}
      </select>
    </div>
  );
}
