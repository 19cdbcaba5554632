import type { ConversationSettings } from '@parley/protocol';
import type { ConversationSnapshot } from '@parley/sdk';
import { useId, useState } from 'react';
import { useSignedIn } from '../hooks/use-client.ts';
import { describeError } from '../lib/errors.ts';

type Policy = ConversationSettings['pin_policy'];

const POLICY_LABEL: Record<Policy, string> = { admins: 'Admins', members: 'All members' };
const SETTINGS: { key: keyof ConversationSettings; label: string }[] = [
  { key: 'pin_policy', label: 'Who can pin messages' },
  { key: 'everyone_policy', label: 'Who can mention @everyone' },
];

/**
 * A group's settings (#15): who may pin messages, who may mention
 * `@everyone`. Its admins change them, each choice applied at once (the
 * server checks it is an admin, and every member gets the new settings live:
 * their Pin action and `@everyone` suggestion follow); the others see them.
 */
export function GroupSettings({ conversation, admin }: { conversation: ConversationSnapshot; admin: boolean }) {
  const { client } = useSignedIn();
  const [state, setState] = useState<{ busy: boolean; error: string | null }>({ busy: false, error: null });
  const id = useId();
  if (conversation.type !== 'group') return null;

  const choose = async (change: Partial<ConversationSettings>): Promise<void> => {
    setState({ busy: true, error: null });
    try {
      await client.updateGroup(conversation.id, change);
      setState({ busy: false, error: null });
    } catch (err) {
      setState({ busy: false, error: describeError(err) });
    }
  };

  if (!admin) {
    return (
      <dl className="group-settings group-settings--read-only" aria-label="Group settings">
        {SETTINGS.map(({ key, label }) => (
          <div key={key} className="group-settings__row">
            <dt>{label}</dt>
            <dd data-setting={key}>{POLICY_LABEL[conversation.settings[key]]}</dd>
          </div>
        ))}
      </dl>
    );
  }
  return (
    <div className="group-settings stack" role="group" aria-label="Group settings">
      {SETTINGS.map(({ key, label }) => (
        <div key={key} className="field group-settings__row">
          <label htmlFor={`${id}-${key}`}>{label}</label>
          <select
            id={`${id}-${key}`}
            value={conversation.settings[key]}
            disabled={state.busy}
            onChange={(e) => void choose({ [key]: e.target.value as Policy })}
          >
            <option value="admins">{POLICY_LABEL.admins}</option>
            <option value="members">{POLICY_LABEL.members}</option>
          </select>
        </div>
      ))}
      {state.error && (
        <p className="form-error" role="alert">
          {state.error}
        </p>
      )}
    </div>
  );
}
