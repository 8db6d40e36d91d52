import { graphql } from '@/gql';

export const AdminUserFieldsFragment = graphql(`
  fragment AdminUserFields on User {
    id
    username
    displayName
    email
    phone
    role
    active
    hasPassword
    mustChangePassword
  }
`);

export const AdminUsersQuery = graphql(`
  query AdminUsers($filter: UserFilter, $first: Int!, $after: String) {
    users(filter: $filter, first: $first, after: $after) {
      edges {
        cursor
        node {
          ...AdminUserFields
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);

export const CreateUserMutation = graphql(`
  mutation CreateUser($input: CreateUserInput!) {
    createUser(input: $input) {
      ...AdminUserFields
    }
  }
`);

export const ChangeUserRoleMutation = graphql(`
  mutation ChangeUserRole($id: ID!, $role: Role!) {
    changeUserRole(id: $id, role: $role) {
      ...AdminUserFields
    }
  }
`);

export const DeactivateUserMutation = graphql(`
  mutation DeactivateUser($id: ID!) {
    deactivateUser(id: $id) {
      ...AdminUserFields
    }
  }
`);

export const ReactivateUserMutation = graphql(`
  mutation ReactivateUser($id: ID!) {
    reactivateUser(id: $id) {
      ...AdminUserFields
    }
  }
`);

export const ResetPasswordMutation = graphql(`
  mutation ResetPassword($userId: ID!) {
    resetPassword(userId: $userId) {
      user {
        ...AdminUserFields
      }
      temporaryPassword
    }
  }
`);
