import { graphql } from '@/gql';

/** What a row of the dashboard shows (and what live filtering needs). */
export const AdminTicketFieldsFragment = graphql(`
  fragment AdminTicketFields on Ticket {
    id
    number
    subject
    requestType
    status
    statusLabel
    priority
    description
    createdAt
    updatedAt
    version
    firstResponseDueAt
    resolutionDueAt
    firstRespondedAt
    resolvedAt
    firstResponseBreached
    resolutionBreached
    breached
    software {
      id
      label
    }
    requester {
      id
      username
      displayName
    }
    assignee {
      id
      username
      displayName
    }
  }
`);

export const AdminTicketsQuery = graphql(`
  query AdminTickets($filter: TicketFilter, $first: Int!, $after: String, $sort: TicketSort! = NEWEST) {
    tickets(filter: $filter, first: $first, after: $after, sort: $sort) {
      edges {
        cursor
        node {
          ...AdminTicketFields
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);

/** Every ticket created anywhere, as it happens. */
export const TicketCreatedSubscription = graphql(`
  subscription TicketCreated {
    ticketCreated {
      ...AdminTicketFields
    }
  }
`);

/** Every change to any ticket (status, assignment, priority, comments), as it happens. */
export const AdminTicketUpdatesSubscription = graphql(`
  subscription AdminTicketUpdates {
    ticketUpdated {
      ...AdminTicketFields
    }
  }
`);
