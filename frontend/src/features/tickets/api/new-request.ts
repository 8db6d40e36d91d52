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

/** The caller's own devices, for the request form's "My devices". */
export const MyDevicesQuery = graphql(`
  query MyDevices {
    assets(filter: { mine: true }, first: 50) {
      edges {
        node {
          id
          tag
          name
          health
        }
      }
    }
  }
`);
