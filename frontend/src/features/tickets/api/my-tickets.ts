import { graphql } from '@/gql';

export const MyTicketsQuery = graphql(`
  query MyTickets($first: Int!, $after: String) {
    tickets(filter: { mine: true }, first: $first, after: $after) {
      edges {
        cursor
        node {
          id
          number
          subject
          requestType
          status
          statusLabel
          createdAt
          updatedAt
          version
          software {
            id
            label
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

/** Changes to any ticket the caller may see; the list applies those to its rows. */
export const MyTicketUpdatesSubscription = graphql(`
  subscription MyTicketUpdates {
    ticketUpdated {
      id
      number
      subject
      requestType
      status
      statusLabel
      createdAt
      updatedAt
      version
      software {
        id
        label
      }
    }
  }
`);
