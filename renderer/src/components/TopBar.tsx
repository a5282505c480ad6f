import type { SessionState } from '../../../shared/contract';
import type { AppInfo } from '../../../shared/domain';
import { call } from '../api/client';
import type { View } from '../app/App';
import { BackupButton } from './BackupButton';
import { MailboxIndicator } from './MailboxIndicator';

const ROLE_LABEL = { doctor: 'Médecin', secretary: 'Secrétariat' } as const;

export function TopBar(props: { info: AppInfo; session: SessionState; view: View; onView: (v: View) => void; onSessionChange: () => void }) {
  const { info, session, view, onView, onSessionChange } = props;
  const user = session.user!;
  return (
    <header className="topbar">
      <div className="brand">
        LGC Ségur <span className="practice">{info.practiceName}</span>
      </div>
      <nav className="tabs" aria-label="Navigation principale">
        <button className={view === 'worklist' ? 'tab active' : 'tab'} onClick={() => onView('worklist')} aria-keyshortcuts="Alt+1">
          Documents reçus <kbd>Alt+1</kbd>
        </button>
        <button className={view === 'patients' ? 'tab active' : 'tab'} onClick={() => onView('patients')} aria-keyshortcuts="Alt+2">
          Patients <kbd>Alt+2</kbd>
        </button>
        <button className={view === 'mail' ? 'tab active' : 'tab'} onClick={() => onView('mail')} aria-keyshortcuts="Alt+3">
          Messagerie <kbd>Alt+3</kbd>
        </button>
      </nav>
      <MailboxIndicator />
      <div className="user-badge" data-testid="user-badge">
        <span className="user-name">{user.displayName}</span>
        <span className={`role role-${user.role}`}>{ROLE_LABEL[user.role]}</span>
        <BackupButton />
        <button className="link" onClick={() => void call('auth.lock', {}).then(onSessionChange)} aria-keyshortcuts="Alt+V" title="Verrouiller (Alt+V)">
          Verrouiller
        </button>
        <button className="link" onClick={() => void call('auth.logout', {}).then(onSessionChange)}>
          Se déconnecter
        </button>
      </div>
    </header>
  );
}
