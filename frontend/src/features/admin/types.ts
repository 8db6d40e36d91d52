import type { AdminTicketFieldsFragment, AssigneeFilter, Priority, RequestType, TicketSort, TicketStatus } from '@/gql/graphql';

export type AdminTicket = AdminTicketFieldsFragment;

export type AdminFilter = {
  status: TicketStatus | '';
  requestType: RequestType | '';
  number: string;
  priority: Priority | '';
  /** "Assigned to me" (`ME`) or "Unassigned" (`NONE`). */
  assignee: AssigneeFilter | '';
  /** "SLA breached only". */
  breached: boolean;
  /** Text in the number or description. */
  search: string;
};

export const EMPTY_FILTER: AdminFilter = {
  status: '',
  requestType: '',
  number: '',
  priority: '',
  assignee: '',
  breached: false,
  search: '',
};

export const SORT_LABELS: Record<TicketSort, string> = {
  NEWEST: 'Newest first',
  OLDEST: 'Oldest first',
  RESOLUTION_DUE: 'Resolution due soonest',
  FIRST_RESPONSE_DUE: 'First response due soonest',
};

export const SORTS = Object.keys(SORT_LABELS) as TicketSort[];

/** The server's limit on `filter.search`. */
export const MAX_SEARCH_CHARS = 100;

export function isFiltered(f: AdminFilter): boolean {
  return Boolean(f.status || f.requestType || f.number || f.priority || f.assignee || f.breached || f.search);
}

/** The GraphQL `TicketFilter` for the form's state (empty fields left out). */
export function toTicketFilter(f: AdminFilter) {
  return {
    ...(f.status ? { status: f.status } : {}),
    ...(f.requestType ? { requestType: f.requestType } : {}),
    ...(f.number ? { number: f.number } : {}),
    ...(f.priority ? { priority: f.priority } : {}),
    ...(f.assignee ? { assignee: f.assignee } : {}),
    ...(f.breached ? { breached: true } : {}),
    ...(f.search ? { search: f.search } : {}),
  };
}

/** Whether a ticket pushed by the live feed belongs in the list under this filter. */
export function matchesFilter(
  t: Pick<AdminTicket, 'status' | 'requestType' | 'number' | 'priority' | 'assignee' | 'breached' | 'description'>,
  f: AdminFilter,
  meId?: string,
): boolean {
  const search = f.search.toLowerCase();
  return (
    (!f.status || t.status === f.status) &&
    (!f.requestType || t.requestType === f.requestType) &&
    (!f.number || t.number === f.number) &&
    (!f.priority || t.priority === f.priority) &&
    (f.assignee !== 'ME' || (t.assignee !== null && t.assignee.id === meId)) &&
    (f.assignee !== 'NONE' || t.assignee === null) &&
    (!f.breached || t.breached) &&
    (!search || t.number.toLowerCase().includes(search) || t.description.toLowerCase().includes(search))
  );
}
