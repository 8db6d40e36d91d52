import { useMemo } from 'react';
import { Link } from 'react-router';
import { DateTime } from '@/components/ui/date-time';
import { HealthBadge } from '@/components/ui/health-badge';
import { StatusBadge } from '@/components/ui/status-badge';
import { paths } from '@/config/paths';
import type { AssetDetailsQuery } from '@/gql/graphql';
import { formatBytes, personName } from '@/utils/format';
import { ASSET_STATUS_LABELS, formatPercent, KIND_LABELS, readInventory } from '../types';
import { LinkTicketBox, MergeBox } from './asset-actions';
import { AssetEditForm } from './asset-edit-form';
import styles from './assets.module.css';

type Asset = NonNullable<AssetDetailsQuery['asset']>;

const dash = (v: string | null | undefined) => (v ? v : '—');

export function AssetDetails({
  asset,
  staff,
  admin,
  onChanged,
}: {
  asset: Asset;
  staff: boolean;
  admin: boolean;
  onChanged: () => void;
}) {
  const inventory = useMemo(() => readInventory(asset.inventory), [asset.inventory]);
  const samples = asset.samples.slice(-20).reverse();

  return (
    <article aria-labelledby="asset-title">
      <div className="title-row">
        <h1 id="asset-title">
          <span data-testid="asset-tag">{asset.tag}</span> · <span data-testid="asset-name">{asset.name}</span>
        </h1>
        <HealthBadge health={asset.health} reason={asset.healthReason} />
      </div>

      <div className={styles.grid}>
        <section className="card" aria-labelledby="asset-details-title">
          <h2 id="asset-details-title">Details</h2>
          <dl className="detail-list">
            <dt>Kind</dt>
            <dd>{KIND_LABELS[asset.kind]}</dd>
            <dt>Serial</dt>
            <dd>{dash(asset.serial)}</dd>
            <dt>Manufacturer</dt>
            <dd>{dash(asset.manufacturer)}</dd>
            <dt>Model</dt>
            <dd>{dash(asset.model)}</dd>
            <dt>OS</dt>
            <dd>{dash(asset.os)}</dd>
            <dt>Host name</dt>
            <dd>{dash(asset.hostname)}</dd>
            <dt>Owner</dt>
            <dd data-testid="asset-owner">{asset.owner ? personName(asset.owner) : '—'}</dd>
            <dt>Location</dt>
            <dd>{dash(asset.location)}</dd>
            <dt>Status</dt>
            <dd>{ASSET_STATUS_LABELS[asset.status]}</dd>
            <dt>Purchased on</dt>
            <dd>{dash(asset.purchasedOn)}</dd>
            <dt>Warranty until</dt>
            <dd>{dash(asset.warrantyUntil)}</dd>
          </dl>
        </section>

        <section className="card" aria-labelledby="asset-health-title">
          <h2 id="asset-health-title">Health</h2>
          <p>
            <HealthBadge health={asset.health} reason={asset.healthReason} />{' '}
            <span data-testid="asset-health-reason">{asset.healthReason ?? ''}</span>
          </p>
          <p>Last seen: {asset.lastSeenAt ? <DateTime value={asset.lastSeenAt} /> : 'never'}</p>
        </section>

        <section className="card" aria-labelledby="asset-inventory-title">
          <h2 id="asset-inventory-title">Inventory</h2>
          {!inventory ? (
            <p>No inventory reported.</p>
          ) : (
            <>
              <dl className="detail-list">
                <dt>CPU</dt>
                <dd>{dash(inventory.cpu)}</dd>
                <dt>Memory</dt>
                <dd>{inventory.memoryBytes !== null ? formatBytes(inventory.memoryBytes) : '—'}</dd>
                <dt>Disks</dt>
                <dd>
                  {inventory.disks.length === 0
                    ? '—'
                    : inventory.disks.map((d) => (
                        <div key={d.mount}>
                          {d.mount} ({d.filesystem}) {formatBytes(d.totalBytes)}
                        </div>
                      ))}
                </dd>
                <dt>Interfaces</dt>
                <dd>
                  {inventory.interfaces.length === 0
                    ? '—'
                    : inventory.interfaces.map((i) => (
                        <div key={i.name}>
                          {i.name}
                          {i.mac ? ` ${i.mac}` : ''}
                          {i.addresses.length ? ` — ${i.addresses.join(', ')}` : ''}
                        </div>
                      ))}
                </dd>
              </dl>
              <details data-testid="asset-software">
                <summary>Software ({inventory.software.length})</summary>
                <ul>
                  {inventory.software.map((s, i) => (
                    <li key={`${s.name}-${i}`}>
                      {s.name} {s.version}
                    </li>
                  ))}
                </ul>
              </details>
            </>
          )}
        </section>
      </div>

      <section className="card" aria-labelledby="asset-samples-title">
        <h2 id="asset-samples-title">Last hour</h2>
        {samples.length === 0 ? (
          <p>No samples in the last hour.</p>
        ) : (
          <div className="table-wrap">
            <table className="data" data-testid="asset-samples">
              <caption className="visually-hidden">Health samples of the last hour, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col">CPU</th>
                  <th scope="col">Memory</th>
                  <th scope="col">Disk</th>
                </tr>
              </thead>
              <tbody>
                {samples.map((s) => (
                  <tr key={s.at}>
                    <td data-label="Time">
                      <DateTime value={s.at} />
                    </td>
                    <td data-label="CPU">{formatPercent(s.cpuPercent)}</td>
                    <td data-label="Memory">{formatPercent(s.memoryPercent)}</td>
                    <td data-label="Disk">{formatPercent(s.diskPercent)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <section className="card" aria-labelledby="asset-tickets-title">
        <h2 id="asset-tickets-title">Tickets</h2>
        {asset.tickets.length === 0 ? (
          <p>No linked tickets.</p>
        ) : (
          <ul data-testid="asset-tickets">
            {asset.tickets.map((t) => (
              <li key={t.number}>
                <Link to={paths.ticket(t.number)}>{t.number}</Link> {t.subject}{' '}
                <StatusBadge status={t.status} label={t.statusLabel} />
              </li>
            ))}
          </ul>
        )}
      </section>

      <section className="card" aria-labelledby="asset-history-title">
        <h2 id="asset-history-title">History</h2>
        {asset.history.length === 0 ? (
          <p>No changes yet.</p>
        ) : (
          <ol data-testid="asset-history">
            {asset.history.map((h, i) => (
              <li key={`${h.at}-${i}`}>
                <DateTime value={h.at} /> — {h.change}
                {h.agentId ? ' (agent)' : ''}
              </li>
            ))}
          </ol>
        )}
      </section>

      {staff && <AssetEditForm key={asset.version} asset={asset} onSaved={onChanged} />}
      {staff && <LinkTicketBox tag={asset.tag} onLinked={onChanged} />}
      {admin && <MergeBox tag={asset.tag} />}
    </article>
  );
}
