import { useState } from 'react';
import { useAction } from '../api/hooks';

/** "Sauvegarder maintenant": doctor only; the refusal for other roles comes from the service. */
export function BackupButton() {
  const backup = useAction('admin.backup');
  const [done, setDone] = useState<string | null>(null);
  return (
    <span className="backup">
      <button
        className="link"
        onClick={async () => {
          setDone(null);
          const result = await backup.run({});
          if (result) setDone(`Sauvegarde faite (${Math.round(result.size / 1024)} Ko).`);
        }}
        disabled={backup.pending}
      >
        Sauvegarder
      </button>
      {done && <span className="toast" role="status">{done}</span>}
      {backup.error && (
        <span className="toast error" role="alert">
          {backup.error.message}
        </span>
      )}
    </span>
  );
}
