import { graphql } from '@/gql';

/** What the request form needs before it can be shown. */
export const NewRequestDataQuery = graphql(`
  query NewRequestData {
    softwareCatalog {
      id
      name
      version
      label
      retired
    }
    requestTypes {
      type
      explanation
    }
    limits {
      maxDescriptionChars
      maxAttachmentBytes
      maxAttachments
    }
  }
`);

export const CreateTicketMutation = graphql(`
  mutation CreateTicket($input: CreateTicketInput!) {
    createTicket(input: $input) {
      id
      number
      subject
      status
      statusLabel
      requestType
      createdAt
    }
  }
`);
