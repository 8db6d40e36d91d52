import { graphql } from '@/gql';

export const LoginMutation = graphql(`
  mutation Login($username: String!, $employeeId: String!) {
    login(username: $username, employeeId: $employeeId) {
      token
      expiresAt
      user {
        id
        username
        displayName
        role
      }
    }
  }
`);
