import { graphql } from '@/gql';

export const AdminTicketsQuery = graphql(`
  query AdminTickets($filter: TicketFilter, $first: Int!, $after: String) {
    tickets(filter: $filter, first: $first, after: $after) {
      edges {
        cursor
        node {
          id
          number
          requestType
          status
          statusLabel
          createdAt
          updatedAt
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
      id
      number
      requestType
      status
      statusLabel
      createdAt
      updatedAt
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
  }
`);
