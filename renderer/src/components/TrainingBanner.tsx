import type { AppInfo } from '../../../shared/domain';

export function TrainingBanner({ info }: { info: AppInfo }) {
  return (
    <div className="training-banner" role="status" data-testid="training-banner">
      <strong>Mode formation</strong> — patients et messages fictifs ; les services nationaux (Pro Santé Connect, MSSanté,
      DMP, INSi) sont simulés sur ce poste. Rien n’est transmis.
      {info.sandboxServices.length > 0 && (
        <span className="training-services" title={info.sandboxServices.map((s) => `${s.label} : ${s.url}`).join('\n')}>
          {' '}({info.sandboxServices.length} services simulés)
        </span>
      )}
    </div>
  );
}
