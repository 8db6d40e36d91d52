import { useState, type FormEvent } from 'react';
import type { RequestType, TicketStatus } from '@/gql/graphql';
import { normalizeTicketNumber, REQUEST_TYPE_LABELS, REQUEST_TYPES, STATUS_LABELS, STATUSES } from '@/utils/format';
import { EMPTY_FILTER, type AdminFilter } from '../types';
import styles from './admin.module.css';

/** Status and type filters apply at once; the number search on submit. */
export function AdminFilters({ value, onChange }: { value: AdminFilter; onChange: (f: AdminFilter) => void }) {
  const [number, setNumber] = useState(value.number);

  const search = (e: FormEvent) => {
    e.preventDefault();
    onChange({ ...value, number: normalizeTicketNumber(number) });
  };
  const active = value.status || value.requestType || value.number;

  return (
    <form className={styles.filters} onSubmit={search} role="search" aria-label="Filter tickets">
      <div className="field">
        <label htmlFor="filter-status">Status</label>
        <select
          id="filter-status"
          value={value.status}
          onChange={(e) => onChange({ ...value, status: e.target.value as TicketStatus | '' })}
        >
          <option value="">All statuses</option>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {STATUS_LABELS[s]}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor="filter-type">Type</label>
        <select
          id="filter-type"
          value={value.requestType}
          onChange={(e) => onChange({ ...value, requestType: e.target.value as RequestType | '' })}
        >
          <option value="">All types</option>
          {REQUEST_TYPES.map((t) => (
            <option key={t} value={t}>
              {REQUEST_TYPE_LABELS[t]}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor="filter-number">Ticket number</label>
        <input
          id="filter-number"
          type="search"
          placeholder="INC-2026-0001"
          autoComplete="off"
          spellCheck={false}
          value={number}
          onChange={(e) => setNumber(e.target.value)}
        />
      </div>
      <div className={`form-actions ${styles.filterActions}`}>
        <button type="submit" className="button">
          Search
        </button>
        {active && (
          <button
            type="button"
            className="button secondary"
            onClick={() => {
              setNumber('');
              onChange(EMPTY_FILTER);
            }}
          >
            Clear
          </button>
        )}
      </div>
    </form>
  );
}
