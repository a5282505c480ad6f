import { useEffect, useRef, useState } from 'react';
import { call } from '../api/client';
import { useQuery } from '../api/hooks';
import { TrainingBanner } from '../components/TrainingBanner';
import { TopBar } from '../components/TopBar';
import { ConfigErrorScreen } from '../screens/ConfigErrorScreen';
import { FirstRunScreen } from '../screens/FirstRunScreen';
import { LoginScreen } from '../screens/LoginScreen';
import { MailScreen, requestCompose } from '../screens/MailScreen';
import { PatientsScreen } from '../screens/PatientsScreen';
import { WorklistScreen } from '../screens/WorklistScreen';

export type View = 'worklist' | 'patients' | 'mail';

const ACTIVITY_REPORT_EVERY_MS = 30_000;

export function App() {
  const info = useQuery('app.info', {});
  const session = useQuery('auth.state', {}, ['session.changed']);
  const [view, setView] = useState<View>('worklist');
  const lastReport = useRef(0);

  const active = session.data?.state === 'active';

  // Inactivity lock: the main process decides; we only report that someone is at the keyboard.
  useEffect(() => {
    if (!active) return;
    const report = () => {
      const now = Date.now();
      if (now - lastReport.current < ACTIVITY_REPORT_EVERY_MS) return;
      lastReport.current = now;
      call('auth.touch', {}).catch(() => session.reload());
    };
    window.addEventListener('keydown', report, true);
    window.addEventListener('pointerdown', report, true);
    return () => {
      window.removeEventListener('keydown', report, true);
      window.removeEventListener('pointerdown', report, true);
    };
  }, [active, session]);

  useEffect(() => {
    if (!active) return;
    const onKey = (e: KeyboardEvent) => {
      if (!e.altKey || e.ctrlKey || e.metaKey) return;
      if (e.key === '1') setView('worklist');
      else if (e.key === '2') setView('patients');
      else if (e.key === '3') setView('mail');
      else if (e.key.toLowerCase() === 'm') {
        setView('mail');
        requestCompose();
      } else if (e.key.toLowerCase() === 'v') void call('auth.lock', {}).then(session.reload);
      else return;
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [active, session]);

  if (info.data?.configurationProblems.length) {
    return (
      <div className="app">
        <ConfigErrorScreen info={info.data} />
      </div>
    );
  }
  if (info.data?.firstRunPending) {
    return (
      <div className="app">
        {info.data.mode === 'training' && <TrainingBanner info={info.data} />}
        <FirstRunScreen practiceName={info.data.practiceName} onDone={info.reload} />
      </div>
    );
  }

  if (!info.data || !session.data) {
    return <div className="splash">{info.error?.message ?? session.error?.message ?? 'Démarrage de LGC Ségur…'}</div>;
  }

  return (
    <div className="app">
      {info.data.mode === 'training' && <TrainingBanner info={info.data} />}
      {session.data.state !== 'active' ? (
        <LoginScreen session={session.data} training={info.data.mode === 'training'} onChange={session.reload} />
      ) : (
        <>
          <TopBar info={info.data} session={session.data} view={view} onView={setView} onSessionChange={session.reload} />
          <main className="main">
            {view === 'worklist' ? <WorklistScreen role={session.data.user!.role} /> : view === 'mail' ? <MailScreen role={session.data.user!.role} /> : <PatientsScreen />}
          </main>
        </>
      )}
    </div>
  );
}
