import { graphql } from '@/gql';

export const SessionUserFieldsFragment = graphql(`
  fragment SessionUserFields on User {
    id
    username
    displayName
    role
    mustChangePassword
    hasPassword
  }
`);

export const LoginMutation = graphql(`
  mutation Login($username: String!, $employeeId: String!) {
    login(username: $username, employeeId: $employeeId) {
      token
      user {
        ...SessionUserFields
      }
    }
  }
`);

export const PasswordLoginMutation = graphql(`
  mutation PasswordLogin($username: String!, $password: String!) {
    loginWithPassword(username: $username, password: $password) {
      token
      user {
        ...SessionUserFields
      }
    }
  }
`);

export const AuthMethodsQuery = graphql(`
  query AuthMethods {
    authMethods {
      employeeId
      password
      oidc
      oidcLoginPath
    }
  }
`);
