import { useEffect, useState } from 'react';
import { useSignedIn } from '../../hooks/use-client.ts';
import { Dialog } from '../dialog.tsx';
import { Icon } from '../icon.tsx';
import { ReviewQueue } from './review-queue.tsx';
import { RuleManager } from './rule-manager.tsx';
import { AnalyticsView } from './analytics-view.tsx';

type Tab = 'queue' | 'rules' | 'analytics';
const TABS: Array<{ id: Tab; label: string }> = [
  { id: 'queue', label: 'Review queue' },
  { id: 'rules', label: 'Rules' },
  { id: 'analytics', label: 'Analytics' },
];

/**
 * The admin page's entry, shown to server operators only: the server says who
 * is one (`users/me` → `is_operator`); everyone else sees nothing (and the
 * operator routes would refuse them anyway).
 */
export function AdminButton() {
  const { client } = useSignedIn();
  const [operator, setOperator] = useState(false);
  const [open, setOpen] = useState(false);
  useEffect(() => {
    let live = true;
    client.api.me().then(
      (me) => live && setOperator(me.is_operator === true),
      () => {},
    );
    return () => {
      live = false;
    };
  }, [client]);
  if (!operator) return null;
  return (
    <>
      <button type="button" className="icon-button" onClick={() => setOpen(true)} aria-label="Admin" title="Admin: moderation and analytics">
        <Icon name="shield" />
      </button>
      {open && <AdminPage onClose={() => setOpen(false)} />}
    </>
  );
}

/** Server operators' page: the review queue, the moderation rules, the daily analytics. */
export function AdminPage({ onClose }: { onClose: () => void }) {
  const [tab, setTab] = useState<Tab>('queue');
  return (
    <Dialog title="Admin" onClose={onClose}>
      <div className="admin">
        <div className="admin__tabs" role="tablist" aria-label="Admin sections">
          {TABS.map((t) => (
            <button key={t.id} type="button" role="tab" className="link-button" aria-selected={tab === t.id} onClick={() => setTab(t.id)}>
              {t.label}
            </button>
          ))}
        </div>
        <div role="tabpanel" aria-label={TABS.find((t) => t.id === tab)!.label}>
          {tab === 'queue' && <ReviewQueue />}
          {tab === 'rules' && <RuleManager />}
          {tab === 'analytics' && <AnalyticsView />}
        </div>
      </div>
    </Dialog>
  );
}
