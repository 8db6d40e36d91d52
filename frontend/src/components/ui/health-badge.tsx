import type { AssetHealth } from '@/gql/graphql';

export const HEALTH_LABELS: Record<AssetHealth, string> = {
  UP: 'Up',
  DEGRADED: 'Degraded',
  DOWN: 'Down',
  UNKNOWN: 'Unknown',
};

export const HEALTHS = Object.keys(HEALTH_LABELS) as AssetHealth[];

/** A device's health (UP / DEGRADED / DOWN / UNKNOWN); the reason, if any, as its title. */
export function HealthBadge({ health, reason }: { health: AssetHealth; reason?: string | null }) {
  return (
    <span
      className={`badge health-${health.toLowerCase()}`}
      data-health={health}
      data-testid="health-badge"
      title={reason ?? undefined}
    >
      {HEALTH_LABELS[health]}
    </span>
  );
}
