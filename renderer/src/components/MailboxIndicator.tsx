import { useQuery } from '../api/hooks';

const STATE_LABEL = {
  connected: 'connectée',
  syncing: 'synchronisation…',
  offline: 'hors ligne',
  error: 'erreur',
  'not-configured': 'non configurée',
} as const;

export function MailboxIndicator() {
  const status = useQuery('mail.status', {}, ['mail.changed']);
  const boxes = status.data ?? [];
  if (boxes.length === 0) {
    return (
      <div className="mailbox-indicator state-not-configured" data-testid="mailbox-status">
        MSSanté : aucune boîte
      </div>
    );
  }
  const worst = boxes.find((b) => b.state === 'error') ?? boxes.find((b) => b.state === 'offline') ?? boxes.find((b) => b.state === 'syncing') ?? boxes[0]!;
  return (
    <div className={`mailbox-indicator state-${worst.state}`} data-testid="mailbox-status" title={boxes.map((b) => `${b.label} : ${STATE_LABEL[b.state]}${b.detail ? ` (${b.detail})` : ''}`).join('\n')}>
      MSSanté : {boxes.length} boîte{boxes.length > 1 ? 's' : ''}, {STATE_LABEL[worst.state]}
    </div>
  );
}
