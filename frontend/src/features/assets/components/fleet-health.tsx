import { useCallback, useState } from 'react';
import { Link } from 'react-router';
import { useQuery } from 'urql';
import { HEALTH_LABELS, HEALTHS, HealthBadge } from '@/components/ui/health-badge';
import { LiveIndicator } from '@/components/ui/live-indicator';
import { ErrorMessage } from '@/components/ui/states';
import { paths } from '@/config/paths';
import type { AssetHealth } from '@/gql/graphql';
import { useLiveSubscription } from '@/hooks/use-live-subscription';
import { describeError } from '@/lib/errors';
import { AssetHealthChangedSubscription, FleetHealthQuery } from '../api/assets';
import { countByHealth } from '../types';
import styles from './assets.module.css';

type Change = { key: number; tag: string; name: string; health: AssetHealth; healthReason: string | null };

/** Keeps the newest `max` changes, newest first. */
export function pushChange(list: ReadonlyArray<Change>, change: Change, max = 10): Change[] {
  return [change, ...list].slice(0, max);
}

/** Staff dashboard: the fleet's health counts and, live, the devices whose health just changed. */
export function FleetHealthPanel() {
  const [{ data, error }, reexecute] = useQuery({ query: FleetHealthQuery, requestPolicy: 'cache-and-network' });
  const reload = useCallback(() => reexecute({ requestPolicy: 'network-only' }), [reexecute]);
  const [changes, setChanges] = useState<Change[]>([]);
  const [seq, setSeq] = useState(0);
  const live = useLiveSubscription(
    AssetHealthChangedSubscription,
    {},
    (d) => {
      const a = d.assetHealthChanged;
      setSeq((n) => n + 1);
      setChanges((prev) =>
        pushChange(prev, { key: Date.now() + Math.random(), tag: a.tag, name: a.name, health: a.health, healthReason: a.healthReason ?? null }),
      );
      reload();
    },
    { onResync: reload },
  );
  const nodes = data?.assets.edges.map((e) => e.node) ?? [];
  const counts = countByHealth(nodes);

  return (
    <section className="card" aria-labelledby="fleet-title" data-testid="fleet-health" data-changes={seq}>
      <div className="title-row">
        <h2 id="fleet-title">Fleet health</h2>
        <LiveIndicator state={live.state} testId="fleet-live" />
      </div>
      {error && !data ? (
        <ErrorMessage title="Could not load the fleet" message={describeError(error)} onRetry={reload} />
      ) : (
        <ul className={styles.counts} aria-label="Devices by health">
          {HEALTHS.map((h) => (
            <li key={h} data-testid={`fleet-count-${h}`}>
              <HealthBadge health={h} /> {counts[h]}
              <span className="visually-hidden"> {HEALTH_LABELS[h]} devices</span>
            </li>
          ))}
          {data?.assets.pageInfo.hasNextPage && <li className="hint">(first 100 devices)</li>}
        </ul>
      )}
      {live.error && <ErrorMessage title="The live feed is unavailable" message={describeError(live.error)} />}
      <h3>Recent changes</h3>
      {changes.length === 0 ? (
        <p className="hint">Health changes will appear here as they happen.</p>
      ) : (
        <ul className={styles.feed} aria-live="polite" data-testid="fleet-changes">
          {changes.map((c) => (
            <li key={c.key}>
              <Link to={paths.asset(c.tag)}>{c.tag}</Link> {c.name} <HealthBadge health={c.health} reason={c.healthReason} />{' '}
              {c.healthReason ?? ''}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
