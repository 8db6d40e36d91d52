import { graphql } from '@/gql';

export const MyTicketsQuery = graphql(`
  query MyTickets($first: Int!, $after: String) {
    tickets(filter: { mine: true }, first: $first, after: $after) {
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
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);
