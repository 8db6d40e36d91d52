import { useEffect, useRef, useState } from 'react';
import type { AssetHealth, AssetKind, AssetStatus } from '@/gql/graphql';
import { HEALTH_LABELS, HEALTHS } from '@/components/ui/health-badge';
import {
  ASSET_STATUS_LABELS,
  ASSET_STATUSES,
  KIND_LABELS,
  KINDS,
  MAX_ASSET_SEARCH_CHARS,
  type DeviceFilter,
} from '../types';
import styles from './assets.module.css';

const TEXT_DELAY_MS = 300;

/** Health, kind, status, (staff) owner and search; selects apply at once, text as typing pauses. */
export function DeviceFilters({
  value,
  onChange,
  staff,
}: {
  value: DeviceFilter;
  onChange: (f: DeviceFilter) => void;
  staff: boolean;
}) {
  const [search, setSearch] = useState(value.search);
  const [owner, setOwner] = useState(value.owner);
  const valueRef = useRef(value);
  valueRef.current = value;
  const onChangeRef = useRef(onChange);
  onChangeRef.current = onChange;

  useEffect(() => {
    if (search.trim() === valueRef.current.search && owner.trim() === valueRef.current.owner) return undefined;
    const timer = setTimeout(
      () => onChangeRef.current({ ...valueRef.current, search: search.trim(), owner: owner.trim() }),
      TEXT_DELAY_MS,
    );
    return () => clearTimeout(timer);
  }, [search, owner]);

  return (
    <form
      role="search"
      aria-label="Filter devices"
      onSubmit={(e) => {
        e.preventDefault();
        onChange({ ...value, search: search.trim(), owner: owner.trim() });
      }}
    >
      <div className={styles.filters}>
        <div className="field">
          <label htmlFor="device-search">Search</label>
          <input
            id="device-search"
            data-testid="device-search"
            type="search"
            placeholder="Tag, name, host name or serial"
            autoComplete="off"
            maxLength={MAX_ASSET_SEARCH_CHARS}
            value={search}
            onChange={(e) => setSearch(e.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor="device-health">Health</label>
          <select
            id="device-health"
            value={value.health}
            onChange={(e) => onChange({ ...value, health: e.target.value as AssetHealth | '' })}
          >
            <option value="">Any health</option>
            {HEALTHS.map((h) => (
              <option key={h} value={h}>
                {HEALTH_LABELS[h]}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="device-kind">Kind</label>
          <select
            id="device-kind"
            value={value.kind}
            onChange={(e) => onChange({ ...value, kind: e.target.value as AssetKind | '' })}
          >
            <option value="">All kinds</option>
            {KINDS.map((k) => (
              <option key={k} value={k}>
                {KIND_LABELS[k]}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="device-status">Status</label>
          <select
            id="device-status"
            value={value.status}
            onChange={(e) => onChange({ ...value, status: e.target.value as AssetStatus | '' })}
          >
            <option value="">All statuses</option>
            {ASSET_STATUSES.map((s) => (
              <option key={s} value={s}>
                {ASSET_STATUS_LABELS[s]}
              </option>
            ))}
          </select>
        </div>
        {staff && (
          <div className="field">
            <label htmlFor="device-owner">Owner (username)</label>
            <input
              id="device-owner"
              data-testid="device-owner"
              type="text"
              autoComplete="off"
              value={owner}
              onChange={(e) => setOwner(e.target.value)}
            />
          </div>
        )}
      </div>
    </form>
  );
}
