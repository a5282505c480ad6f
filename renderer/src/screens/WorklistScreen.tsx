import { useQuery } from '../api/hooks';
import { frenchDateTime } from '../app/format';

const STATUS_LABEL = {
  a_classer: 'À classer',
  propose: 'Proposé',
  integre: 'Intégré',
  conflit: 'Conflit',
  rejete: 'Rejeté',
  supprime_emetteur: 'Supprimé par l’émetteur',
} as const;

export function WorklistScreen() {
  const items = useQuery('worklist.list', {}, ['worklist.changed']);
  const list = items.data ?? [];
  const pending = list.filter((i) => i.status === 'a_classer' || i.status === 'propose' || i.status === 'conflit').length;
  return (
    <section className="worklist" aria-labelledby="worklist-title" data-testid="worklist">
      <header className="screen-header">
        <h1 id="worklist-title">Documents reçus</h1>
        <span className="counter">{pending} à traiter</span>
      </header>
      {items.error && <p className="error" role="alert">{items.error.message}</p>}
      {list.length === 0 ? (
        <div className="empty-state">
          <p className="empty-title">Aucun document à classer.</p>
          <p>Les documents reçus par messagerie sécurisée de santé (MSSanté) apparaîtront ici, rattachés au bon patient quand c’est certain.</p>
        </div>
      ) : (
        <table className="grid">
          <thead>
            <tr>
              <th>Statut</th>
              <th>Patient</th>
              <th>Type</th>
              <th>Reçu le</th>
              <th>Expéditeur</th>
            </tr>
          </thead>
          <tbody>
            {list.map((item) => (
              <tr key={item.id}>
                <td>{STATUS_LABEL[item.status]}</td>
                <td>{item.patientLabel ?? '—'}</td>
                <td>{item.typeLabel ?? '—'}</td>
                <td>{frenchDateTime(item.receivedAt)}</td>
                <td>{item.sender}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
