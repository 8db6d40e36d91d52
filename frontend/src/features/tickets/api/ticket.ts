import { graphql } from '@/gql';

export const TicketDetailsQuery = graphql(`
  query TicketDetails($number: String!) {
    ticket(number: $number) {
      id
      number
      status
      statusLabel
      requestType
      description
      priority
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
      history {
        id
        status
        statusLabel
        notes
        at
        actor {
          id
          username
          displayName
        }
      }
    }
  }
`);
