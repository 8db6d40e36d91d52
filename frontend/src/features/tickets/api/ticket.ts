import { graphql } from '@/gql';

export const TicketDetailsQuery = graphql(`
  query TicketDetails($number: String!) {
    ticket(number: $number) {
      id
      number
      subject
      status
      statusLabel
      requestType
      description
      priority
      createdAt
      updatedAt
      version
      allowedStatuses
      canAssign
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
      assets {
        id
        tag
        name
        health
        healthReason
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
      comments {
        id
        body
        internal
        createdAt
        author {
          id
          username
          displayName
        }
      }
      attachments {
        id
        filename
        contentType
        size
        commentId
        internal
        createdAt
        url
      }
    }
    limits {
      maxAttachmentBytes
      maxAttachments
    }
  }
`);

/** Who a ticket can be assigned to (agents and admins only). */
export const AssignableAgentsQuery = graphql(`
  query AssignableAgents {
    assignableAgents {
      id
      username
      displayName
    }
  }
`);

export const ChangeStatusMutation = graphql(`
  mutation ChangeStatus($number: String!, $status: TicketStatus!, $note: String, $version: Int!) {
    changeStatus(number: $number, status: $status, note: $note, version: $version) {
      id
      number
      status
      statusLabel
      version
    }
  }
`);

export const AssignTicketMutation = graphql(`
  mutation AssignTicket($number: String!, $assigneeId: ID, $version: Int!) {
    assignTicket(number: $number, assigneeId: $assigneeId, version: $version) {
      id
      number
      version
      assignee {
        id
        username
        displayName
      }
    }
  }
`);

export const ChangePriorityMutation = graphql(`
  mutation ChangePriority($number: String!, $priority: Priority!, $version: Int!) {
    changePriority(number: $number, priority: $priority, version: $version) {
      id
      number
      version
      priority
    }
  }
`);

export const AddCommentMutation = graphql(`
  mutation AddComment($number: String!, $body: String!, $internal: Boolean!, $attachmentIds: [ID!]) {
    addComment(number: $number, body: $body, internal: $internal, attachmentIds: $attachmentIds) {
      id
      body
      internal
      createdAt
      author {
        id
        username
        displayName
      }
    }
  }
`);

/** Changes to one ticket (status, assignment, priority, comments), as they happen. */
export const TicketUpdatedSubscription = graphql(`
  subscription TicketUpdated($number: String!) {
    ticketUpdated(number: $number) {
      id
      number
      version
      updatedAt
    }
  }
`);
