import { useEffect, useRef, useState, type FormEvent } from 'react';
import type { AssigneeFilter, Priority, RequestType, TicketSort, TicketStatus } from '@/gql/graphql';
import {
  normalizeTicketNumber,
  PRIORITIES,
  PRIORITY_LABELS,
  REQUEST_TYPE_LABELS,
  REQUEST_TYPES,
  STATUS_LABELS,
  STATUSES,
} from '@/utils/format';
import { EMPTY_FILTER, isFiltered, MAX_SEARCH_CHARS, SORT_LABELS, SORTS, type AdminFilter } from '../types';
import styles from './admin.module.css';

/** How long typing in the search box pauses before the list follows. */
export const SEARCH_DELAY_MS = 300;

/**
 * Selects and checkboxes apply at once; the text search as typing pauses (or
 * on Enter); the exact number on submit.
 */
export function AdminFilters({
  value,
  onChange,
  sort,
  onSortChange,
}: {
  value: AdminFilter;
  onChange: (f: AdminFilter) => void;
  sort: TicketSort;
  onSortChange: (s: TicketSort) => void;
}) {
  const [number, setNumber] = useState(value.number);
  const [search, setSearch] = useState(value.search);
  const valueRef = useRef(value);
  valueRef.current = value;
  const onChangeRef = useRef(onChange);
  onChangeRef.current = onChange;

  useEffect(() => {
    const text = search.trim();
    if (text === valueRef.current.search) return undefined;
    const timer = setTimeout(() => onChangeRef.current({ ...valueRef.current, search: text }), SEARCH_DELAY_MS);
    return () => clearTimeout(timer);
  }, [search]);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    onChange({ ...value, number: normalizeTicketNumber(number), search: search.trim() });
  };
  const setAssignee = (which: AssigneeFilter, on: boolean) =>
    onChange({ ...value, assignee: on ? which : value.assignee === which ? '' : value.assignee });

  return (
    <form className={styles.filterForm} onSubmit={submit} role="search" aria-label="Filter tickets">
      <div className={styles.filters}>
        <div className="field">
          <label htmlFor="filter-search">Search</label>
          <input
            id="filter-search"
            data-testid="filter-search"
            type="search"
            placeholder="Number or description"
            autoComplete="off"
            maxLength={MAX_SEARCH_CHARS}
            value={search}
            onChange={(e) => setSearch(e.target.value)}
          />
        </div>
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
          <label htmlFor="filter-priority">Priority</label>
          <select
            id="filter-priority"
            data-testid="filter-priority"
            value={value.priority}
            onChange={(e) => onChange({ ...value, priority: e.target.value as Priority | '' })}
          >
            <option value="">All priorities</option>
            {PRIORITIES.map((p) => (
              <option key={p} value={p}>
                {PRIORITY_LABELS[p]}
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
        <div className="field">
          <label htmlFor="sort-select">Sort by</label>
          <select
            id="sort-select"
            data-testid="sort-select"
            value={sort}
            onChange={(e) => onSortChange(e.target.value as TicketSort)}
          >
            {SORTS.map((s) => (
              <option key={s} value={s}>
                {SORT_LABELS[s]}
              </option>
            ))}
          </select>
        </div>
      </div>
      <div className={styles.toggles}>
        <label className={styles.toggle}>
          <input
            type="checkbox"
            data-testid="filter-assigned-me"
            checked={value.assignee === 'ME'}
            onChange={(e) => setAssignee('ME', e.target.checked)}
          />
          Assigned to me
        </label>
        <label className={styles.toggle}>
          <input
            type="checkbox"
            data-testid="filter-unassigned"
            checked={value.assignee === 'NONE'}
            onChange={(e) => setAssignee('NONE', e.target.checked)}
          />
          Unassigned
        </label>
        <label className={styles.toggle}>
          <input
            type="checkbox"
            data-testid="filter-breached"
            checked={value.breached}
            onChange={(e) => onChange({ ...value, breached: e.target.checked })}
          />
          SLA breached only
        </label>
        <div className={`form-actions ${styles.filterActions}`}>
          <button type="submit" className="button">
            Search
          </button>
          {isFiltered(value) && (
            <button
              type="button"
              className="button secondary"
              onClick={() => {
                setNumber('');
                setSearch('');
                onChange(EMPTY_FILTER);
              }}
            >
              Clear
            </button>
          )}
        </div>
      </div>
    </form>
  );
}
