import { Link } from 'react-router';
import { DateTime } from '@/components/ui/date-time';
import { HealthBadge } from '@/components/ui/health-badge';
import { paths } from '@/config/paths';
import type { AssetRowFieldsFragment } from '@/gql/graphql';
import { personName } from '@/utils/format';
import { ASSET_STATUS_LABELS, KIND_LABELS } from '../types';

export function DevicesTable({ assets }: { assets: ReadonlyArray<AssetRowFieldsFragment> }) {
  return (
    <div className="table-wrap">
      <table className="data" data-testid="devices-table">
        <caption className="visually-hidden">Devices</caption>
        <thead>
          <tr>
            <th scope="col">Tag</th>
            <th scope="col">Name</th>
            <th scope="col">Kind</th>
            <th scope="col">Owner</th>
            <th scope="col">Status</th>
            <th scope="col">Health</th>
            <th scope="col">Last seen</th>
          </tr>
        </thead>
        <tbody>
          {assets.map((a) => (
            <tr key={a.tag} data-testid={`device-row-${a.tag}`} data-tag={a.tag}>
              <td data-label="Tag" className="nowrap">
                <Link to={paths.asset(a.tag)}>{a.tag}</Link>
              </td>
              <td data-label="Name">{a.name}</td>
              <td data-label="Kind">{KIND_LABELS[a.kind]}</td>
              <td data-label="Owner" data-testid="row-owner">
                {a.owner ? personName(a.owner) : '—'}
              </td>
              <td data-label="Status">{ASSET_STATUS_LABELS[a.status]}</td>
              <td data-label="Health">
                <HealthBadge health={a.health} reason={a.healthReason} />
              </td>
              <td data-label="Last seen">{a.lastSeenAt ? <DateTime value={a.lastSeenAt} /> : 'Never'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
