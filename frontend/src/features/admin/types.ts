import type { AdminTicketsQuery, RequestType, TicketStatus } from '@/gql/graphql';

export type AdminTicket = AdminTicketsQuery['tickets']['edges'][number]['node'];

export type AdminFilter = {
  status: TicketStatus | '';
  requestType: RequestType | '';
  number: string;
};

export const EMPTY_FILTER: AdminFilter = { status: '', requestType: '', number: '' };

/** The GraphQL `TicketFilter` for the form's state (empty fields left out). */
export function toTicketFilter(f: AdminFilter) {
  return {
    ...(f.status ? { status: f.status } : {}),
    ...(f.requestType ? { requestType: f.requestType } : {}),
    ...(f.number ? { number: f.number } : {}),
  };
}

/** Whether a ticket pushed by the live feed belongs in the list under this filter. */
export function matchesFilter(t: Pick<AdminTicket, 'status' | 'requestType' | 'number'>, f: AdminFilter): boolean {
  return (
    (!f.status || t.status === f.status) &&
    (!f.requestType || t.requestType === f.requestType) &&
    (!f.number || t.number === f.number)
  );
}
