import type { AppInfo } from '../../../shared/domain';

const SOURCE_LABEL = {
  policy: 'Stratégie de groupe (registre)',
  machine: 'Fichier du poste',
  user: 'Réglages de l’utilisateur',
  default: 'Valeur par défaut',
} as const;

/** The workstation's configuration was refused: every bad key, where it came from, what to do. */
export function ConfigErrorScreen({ info }: { info: AppInfo }) {
  return (
    <section className="config-error" aria-labelledby="config-error-title">
      <h1 id="config-error-title">Configuration du poste invalide</h1>
      <p>
        LGC Ségur ne démarre pas sur une configuration erronée (il ne bascule jamais en mode formation à la place). Transmettez
        ces informations à la personne qui a installé le logiciel :
      </p>
      <table className="problems" data-testid="config-problems">
        <thead>
          <tr>
            <th scope="col">Clé</th>
            <th scope="col">Problème</th>
            <th scope="col">Origine</th>
          </tr>
        </thead>
        <tbody>
          {info.configurationProblems.map((p, i) => (
            <tr key={`${p.key}-${i}`}>
              <td>
                <code>{p.key}</code>
              </td>
              <td>{p.message}</td>
              <td>
                {SOURCE_LABEL[p.source]}
                {p.location ? <span className="doc-meta"> — {p.location}</span> : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="hint">
        Après correction, relancez LGC Ségur. Pour vérifier un fichier avant de le déployer : <code>lgc config check &lt;fichier&gt;</code>{' '}
        (voir le guide de déploiement). Version {info.version}.
      </p>
    </section>
  );
}
