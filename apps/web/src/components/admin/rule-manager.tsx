import type { ModerationRuleBody, ModerationRuleView } from '@parley/protocol';
import { useCallback, useEffect, useId, useState, type FormEvent } from 'react';
import { useSignedIn } from '../../hooks/use-client.ts';
import { describeError } from '../../lib/errors.ts';

type PatternKind = 'word' | 'regex' | 'domain';
const KINDS: Array<{ kind: PatternKind; label: string }> = [
  { kind: 'word', label: 'Word' },
  { kind: 'regex', label: 'Regular expression' },
  { kind: 'domain', label: 'Link domain' },
];

const describeRule = (rule: ModerationRuleView): string =>
  rule.kind === 'rate' ? `more than ${rule.max_messages} messages in ${rule.window_seconds} s` : (rule.pattern ?? '');

/** The moderation rules: listed, added (word, regex, domain; refused ones say why), removed. */
export function RuleManager() {
  const { client } = useSignedIn();
  const [rules, setRules] = useState<ModerationRuleView[]>([]);
  const [kind, setKind] = useState<PatternKind>('word');
  const [pattern, setPattern] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const id = useId();

  const load = useCallback(() => {
    client.api.adminRules().then(setRules, (err: unknown) => setError(describeError(err)));
  }, [client]);
  useEffect(load, [load]);

  const add = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    try {
      const body: ModerationRuleBody = { kind, pattern };
      await client.api.adminAddRule(body);
      setPattern('');
      setError(null);
      load();
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  const remove = async (rule: ModerationRuleView): Promise<void> => {
    try {
      await client.api.adminRemoveRule(rule.id);
      setError(null);
      load();
    } catch (err) {
      setError(describeError(err));
    }
  };

  return (
    <section className="stack" aria-label="Rules">
      <form className="admin__tabs" onSubmit={(e) => void add(e)}>
        <label htmlFor={`${id}-kind`} className="sr-only">
          Kind
        </label>
        <select id={`${id}-kind`} value={kind} onChange={(e) => setKind(e.target.value as PatternKind)}>
          {KINDS.map((k) => (
            <option key={k.kind} value={k.kind}>
              {k.label}
            </option>
          ))}
        </select>
        <label htmlFor={`${id}-pattern`} className="sr-only">
          Pattern
        </label>
        <input id={`${id}-pattern`} value={pattern} maxLength={512} placeholder="word, regex or domain" onChange={(e) => setPattern(e.target.value)} />
        <button type="submit" className="button button--primary" disabled={busy}>
          Add rule
        </button>
      </form>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      {rules.length === 0 && <p className="field-hint">No rules yet.</p>}
      <ul className="admin__list" aria-label="Rule list">
        {rules.map((rule) => (
          <li key={rule.id} className="admin__item admin__actions" data-rule={rule.id}>
            <span>
              {rule.kind}: <code>{describeRule(rule)}</code>
            </span>
            <button type="button" className="link-button link-button--danger" onClick={() => void remove(rule)} aria-label={`Remove rule ${describeRule(rule)}`}>
              Remove
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
