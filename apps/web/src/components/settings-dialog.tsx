import { ParleyError } from '@parley/sdk';
import { useId, useState, type FormEvent } from 'react';
import { useSignedIn } from '../hooks/use-client.ts';
import { describeError } from '../lib/errors.ts';
import { savePrefs, saveTheme, usePrefs, useTheme, type Theme } from '../lib/preferences.ts';
import { Dialog } from './dialog.tsx';

const THEMES: Array<{ value: Theme; label: string }> = [
  { value: 'system', label: 'Same as the system' },
  { value: 'light', label: 'Light' },
  { value: 'dark', label: 'Dark' },
];

/** What the browser lets this page do about notifications ('unsupported' where there is no Notification API). */
function permission(): NotificationPermission | 'unsupported' {
  return typeof Notification === 'undefined' ? 'unsupported' : Notification.permission;
}

/**
 * The signed-in person's settings: display name, password, theme and
 * notifications. Each part saves on its own; the browser is asked for
 * notification permission only when the person turns notifications on.
 */
export function SettingsDialog({ onClose }: { onClose: () => void }) {
  return (
    <Dialog
      title="Settings"
      onClose={onClose}
      footer={
        <button type="button" className="button" onClick={onClose}>
          Done
        </button>
      }
    >
      <div className="settings">
        <ProfileSection />
        <PasswordSection />
        <AppearanceSection />
        <NotificationSection />
      </div>
    </Dialog>
  );
}

function ProfileSection() {
  const { client, me } = useSignedIn();
  const [name, setName] = useState(me.display_name);
  const [state, setState] = useState<{ busy: boolean; error: string | null; saved: boolean }>({ busy: false, error: null, saved: false });
  const id = useId();

  const save = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    if (!name.trim()) {
      setState({ busy: false, error: 'Your name cannot be blank.', saved: false });
      return;
    }
    setState({ busy: true, error: null, saved: false });
    try {
      const user = await client.updateProfile({ display_name: name });
      setName(user.display_name);
      setState({ busy: false, error: null, saved: true });
    } catch (err) {
      setState({ busy: false, error: describeError(err), saved: false });
    }
  };

  return (
    <section className="settings__section" aria-labelledby={`${id}-h`}>
      <h3 id={`${id}-h`}>Profile</h3>
      <form className="stack" onSubmit={(e) => void save(e)}>
        <div className="field">
          <label htmlFor={`${id}-name`}>Display name</label>
          <input id={`${id}-name`} value={name} maxLength={64} autoComplete="name" onChange={(e) => setName(e.target.value)} />
          <p className="field-hint">Your username stays @{me.username}.</p>
        </div>
        {state.error && (
          <p className="form-error" role="alert">
            {state.error}
          </p>
        )}
        <div className="settings__actions">
          {state.saved && <span role="status">Saved.</span>}
          <button type="submit" className="button button--primary" disabled={state.busy || name === me.display_name}>
            {state.busy ? 'Saving…' : 'Save name'}
          </button>
        </div>
      </form>
    </section>
  );
}

function PasswordSection() {
  const { client } = useSignedIn();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  const [state, setState] = useState<{ busy: boolean; error: string | null; saved: boolean }>({ busy: false, error: null, saved: false });
  const id = useId();

  const change = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    const problem = !current ? 'Enter your current password.' : next.length < 8 ? 'The new password needs at least 8 characters.' : next !== repeat ? 'The two new passwords are not the same.' : null;
    if (problem) {
      setState({ busy: false, error: problem, saved: false });
      return;
    }
    setState({ busy: true, error: null, saved: false });
    try {
      await client.changePassword(current, next);
      setCurrent('');
      setNext('');
      setRepeat('');
      setState({ busy: false, error: null, saved: true });
    } catch (err) {
      const wrong = err instanceof ParleyError && err.code === 'invalid_credentials';
      setState({ busy: false, error: wrong ? 'That is not your current password.' : describeError(err), saved: false });
    }
  };

  return (
    <section className="settings__section" aria-labelledby={`${id}-h`}>
      <h3 id={`${id}-h`}>Password</h3>
      <form className="stack" onSubmit={(e) => void change(e)}>
        <div className="field">
          <label htmlFor={`${id}-current`}>Current password</label>
          <input id={`${id}-current`} type="password" value={current} autoComplete="current-password" onChange={(e) => setCurrent(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor={`${id}-new`}>New password</label>
          <input id={`${id}-new`} type="password" value={next} minLength={8} maxLength={256} autoComplete="new-password" onChange={(e) => setNext(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor={`${id}-repeat`}>New password again</label>
          <input id={`${id}-repeat`} type="password" value={repeat} maxLength={256} autoComplete="new-password" onChange={(e) => setRepeat(e.target.value)} />
          <p className="field-hint">Your other devices are signed out; this one stays signed in.</p>
        </div>
        {state.error && (
          <p className="form-error" role="alert">
            {state.error}
          </p>
        )}
        <div className="settings__actions">
          {state.saved && <span role="status">Password changed.</span>}
          <button type="submit" className="button button--primary" disabled={state.busy}>
            {state.busy ? 'Changing…' : 'Change password'}
          </button>
        </div>
      </form>
    </section>
  );
}

function AppearanceSection() {
  const theme = useTheme();
  const id = useId();
  return (
    <section className="settings__section">
      <fieldset className="settings__choices">
        <legend>
          <h3>Theme</h3>
        </legend>
        {THEMES.map((t) => (
          <label key={t.value} className="settings__choice">
            <input type="radio" name={`${id}-theme`} value={t.value} checked={theme === t.value} onChange={() => saveTheme(t.value)} />
            {t.label}
          </label>
        ))}
      </fieldset>
    </section>
  );
}

function NotificationSection() {
  const { me } = useSignedIn();
  const prefs = usePrefs(me.id);
  const [allowed, setAllowed] = useState(permission);

  const toggleNotify = async (on: boolean): Promise<void> => {
    if (on && allowed === 'default') setAllowed(await Notification.requestPermission());
    savePrefs(me.id, { notify: on });
  };
  const blocked = allowed === 'denied' || allowed === 'unsupported';

  return (
    <section className="settings__section">
      <fieldset className="settings__choices">
        <legend>
          <h3>Notifications</h3>
        </legend>
        <label className="settings__choice">
          <input type="checkbox" checked={prefs.notify && !blocked} disabled={blocked} onChange={(e) => void toggleNotify(e.target.checked)} />
          Desktop notifications for new messages while Parley is in the background
        </label>
        {allowed === 'denied' && <p className="field-hint">This browser blocks notifications from Parley: allow them in the site settings first.</p>}
        {allowed === 'unsupported' && <p className="field-hint">This browser cannot show notifications.</p>}
        <label className="settings__choice">
          <input type="checkbox" checked={prefs.sound} onChange={(e) => savePrefs(me.id, { sound: e.target.checked })} />
          Play a sound for new messages while Parley is in the background
        </label>
        <p className="field-hint">Muted conversations stay silent. Mute one from its header.</p>
      </fieldset>
    </section>
  );
}
