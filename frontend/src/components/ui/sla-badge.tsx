import { useNow } from '@/hooks/use-now';
import { slaState, type SlaFields } from '@/utils/sla';

/**
 * "SLA breached" (red), "Response due in 2h", "Resolution overdue" or "SLA
 * met"; nothing for a ticket without SLA due times.
 */
export function SlaBadge({ ticket }: { ticket: SlaFields }) {
  const now = useNow();
  const sla = slaState(ticket, now);
  if (!sla) return null;
  return (
    <span className={`badge sla-${sla.kind}`} data-testid="sla-badge" data-state={sla.kind} title={sla.detail}>
      {sla.text}
    </span>
  );
}
