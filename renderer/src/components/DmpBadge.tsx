import type { DmpBadge as Badge } from '../../../shared/domain';
import { frenchDate } from '../app/format';

/** « DMP actif », « Pas de DMP », … — shown without any click, from the background checks. */
export function DmpBadge({ badge, compact = false }: { badge: Badge | undefined; compact?: boolean }) {
  if (!badge) return <span className="dmp-badge state-unknown">DMP…</span>;
  const shown = badge.state === 'non_verifiable' && badge.lastKnown ? badge.lastKnown : badge;
  const stale = badge.state === 'non_verifiable' && badge.lastKnown;
  const title = [
    badge.label,
    badge.detail,
    badge.checkedAt ? `vérifié le ${frenchDate(badge.checkedAt)}` : null,
    badge.lastDocumentDate ? `dernier document : ${frenchDate(badge.lastDocumentDate)}` : null,
  ]
    .filter(Boolean)
    .join(' — ');
  return (
    <span className={`dmp-badge state-${shown.state}${stale ? ' stale' : ''}${badge.pending ? ' pending' : ''}`} title={title} data-testid="dmp-badge">
      {compact && shown.state === 'non_verifiable' ? 'DMP ?' : shown.label}
      {!compact && badge.lastDocumentDate && <span className="dmp-last"> · dernier document le {frenchDate(badge.lastDocumentDate)}</span>}
    </span>
  );
}
