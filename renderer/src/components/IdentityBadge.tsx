import type { PatientSummary } from '../../../shared/domain';
import { STATUS_LABEL } from '../app/format';

export function IdentityBadge({ status }: { status: PatientSummary['identityStatus'] }) {
  return (
    <span className={`identity-badge status-${status}`} title={`Identité ${STATUS_LABEL[status].toLowerCase()}`}>
      {STATUS_LABEL[status]}
    </span>
  );
}
