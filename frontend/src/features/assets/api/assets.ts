import { graphql } from '@/gql';

/** What a row of the Devices list shows. */
export const AssetRowFieldsFragment = graphql(`
  fragment AssetRowFields on Asset {
    id
    tag
    name
    kind
    status
    health
    healthReason
    lastSeenAt
    owner {
      id
      username
      displayName
    }
  }
`);

export const AssetsQuery = graphql(`
  query Assets($filter: AssetFilter, $first: Int!, $after: String) {
    assets(filter: $filter, first: $first, after: $after) {
      edges {
        cursor
        node {
          ...AssetRowFields
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);

export const AssetDetailsQuery = graphql(`
  query AssetDetails($tag: String!) {
    asset(tag: $tag) {
      id
      tag
      name
      hostname
      kind
      serial
      manufacturer
      model
      os
      owner {
        id
        username
        displayName
      }
      location
      status
      purchasedOn
      warrantyUntil
      health
      healthReason
      lastSeenAt
      inventory
      samples(hours: 1) {
        at
        cpuPercent
        memoryPercent
        diskPercent
      }
      tickets {
        id
        number
        subject
        status
        statusLabel
      }
      history {
        change
        at
        agentId
      }
      version
    }
  }
`);

export const UpdateAssetMutation = graphql(`
  mutation UpdateAsset($tag: String!, $version: Int, $input: AssetInput!) {
    updateAsset(tag: $tag, version: $version, input: $input) {
      id
      tag
      version
    }
  }
`);

export const LinkAssetMutation = graphql(`
  mutation LinkAsset($number: String!, $tag: String!) {
    linkAsset(number: $number, tag: $tag) {
      id
      number
    }
  }
`);

export const MergeAssetsMutation = graphql(`
  mutation MergeAssets($keep: String!, $absorb: String!) {
    mergeAssets(keep: $keep, absorb: $absorb) {
      id
      tag
    }
  }
`);

/** One page of up to 100 devices, for the fleet's health counts. */
export const FleetHealthQuery = graphql(`
  query FleetHealth {
    assets(first: 100) {
      edges {
        node {
          id
          tag
          health
        }
      }
      pageInfo {
        hasNextPage
      }
    }
  }
`);

export const AssetHealthChangedSubscription = graphql(`
  subscription AssetHealthChanged {
    assetHealthChanged {
      id
      tag
      name
      health
      healthReason
    }
  }
`);

export const EnrollmentTokensQuery = graphql(`
  query EnrollmentTokens {
    enrollmentTokens(all: true) {
      id
      createdAt
      expiresAt
      usedAt
      revokedAt
    }
  }
`);

export const CreateEnrollmentTokenMutation = graphql(`
  mutation CreateEnrollmentToken($expiresIn: String) {
    createEnrollmentToken(expiresIn: $expiresIn) {
      id
      token
      expiresAt
    }
  }
`);

export const RevokeEnrollmentTokenMutation = graphql(`
  mutation RevokeEnrollmentToken($id: ID!) {
    revokeEnrollmentToken(id: $id) {
      id
      createdAt
      expiresAt
      usedAt
      revokedAt
    }
  }
`);
