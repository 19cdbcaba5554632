import { USERNAME_PATTERN } from '@parley/protocol';
import { useId, useRef, useState, type FormEvent } from 'react';
import { useParley } from '../hooks/use-client.ts';
import { describeError } from '../lib/errors.ts';
import { Logo } from './logo.tsx';

type Mode = 'login' | 'register';
type Field = 'username' | 'password';

/** Sign in, or create an account; the session is kept (see ClientProvider) until logout. */
export function AuthScreen() {
  const { client } = useParley();
  const [mode, setMode] = useState<Mode>('login');
  const [username, setUsername] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const ids = { username: useId(), displayName: useId(), password: useId(), hint: useId(), error: useId() };
  const registering = mode === 'register';
  const fields = { username: useRef<HTMLInputElement>(null), password: useRef<HTMLInputElement>(null) };

  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    // Checked here first: the answer is immediate, and says which field, in words.
    const problem = registering ? checkRegistration(username.trim(), password) : checkLogin(username.trim(), password);
    if (problem) {
      setError(problem.message);
      fields[problem.field].current?.focus();
      return;
    }
    setBusy(true);
    setError(null);
    try {
      if (registering) {
        const name = displayName.trim();
        await client.register({ username: username.trim(), password, ...(name ? { display_name: name } : {}) });
      } else {
        await client.login({ username: username.trim(), password });
      }
      // ClientProvider hears the new session and shows the chat.
    } catch (err) {
      setError(describeError(err));
      setBusy(false);
    }
  };

  const switchTo = (next: Mode): void => {
    setMode(next);
    setError(null);
  };

  return (
    <main className="auth">
      <div className="auth__card">
        <div className="auth__brand">
          <Logo />
          <h1>Parley</h1>
        </div>
        <p className="auth__tagline">{registering ? 'Create your account' : 'Sign in to continue'}</p>
        <div className="segmented" role="tablist" aria-label="Sign in or register">
          <button type="button" role="tab" aria-selected={!registering} onClick={() => switchTo('login')}>
            Sign in
          </button>
          <button type="button" role="tab" aria-selected={registering} onClick={() => switchTo('register')}>
            Create account
          </button>
        </div>
        <form className="auth__form" onSubmit={submit} aria-describedby={error ? ids.error : undefined} noValidate>
          <label htmlFor={ids.username}>Username</label>
          <input
            id={ids.username}
            ref={fields.username}
            name="username"
            autoComplete="username"
            autoCapitalize="none"
            spellCheck={false}
            required
            autoFocus
            value={username}
            onChange={(e) => setUsername(e.target.value)}
            aria-describedby={registering ? ids.hint : undefined}
          />
          {registering && (
            <p className="field-hint" id={ids.hint}>
              3–32 letters, digits, dots, dashes or underscores.
            </p>
          )}
          {registering && (
            <>
              <label htmlFor={ids.displayName}>
                Display name <span className="optional">(optional)</span>
              </label>
              <input
                id={ids.displayName}
                name="display_name"
                autoComplete="name"
                maxLength={64}
                value={displayName}
                onChange={(e) => setDisplayName(e.target.value)}
              />
            </>
          )}
          <label htmlFor={ids.password}>Password</label>
          <input
            id={ids.password}
            ref={fields.password}
            name="password"
            type="password"
            autoComplete={registering ? 'new-password' : 'current-password'}
            required
            minLength={registering ? 8 : 1}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
          {error && (
            <p className="form-error" role="alert" id={ids.error}>
              {error}
            </p>
          )}
          <button className="button button--primary button--block" type="submit" disabled={busy}>
            {busy ? 'Please wait…' : registering ? 'Create account' : 'Sign in'}
          </button>
        </form>
      </div>
    </main>
  );
}

const USERNAME = new RegExp(USERNAME_PATTERN);

interface Problem {
  field: Field;
  message: string;
}

function checkLogin(username: string, password: string): Problem | null {
  if (!username) return { field: 'username', message: 'Enter your username.' };
  if (!password) return { field: 'password', message: 'Enter your password.' };
  return null;
}

/** The server's rules, checked first so the answer is immediate. */
function checkRegistration(username: string, password: string): Problem | null {
  if (!username) return { field: 'username', message: 'Choose a username.' };
  if (!USERNAME.test(username)) return { field: 'username', message: 'Usernames are 3–32 letters, digits, dots, dashes or underscores.' };
  if (password.length < 8) return { field: 'password', message: 'Passwords need at least 8 characters.' };
  return null;
}
