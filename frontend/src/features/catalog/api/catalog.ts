import { graphql } from '@/gql';

export const CatalogSoftwareFieldsFragment = graphql(`
  fragment CatalogSoftwareFields on Software {
    id
    name
    version
    label
    retired
  }
`);

export const AdminCatalogQuery = graphql(`
  query AdminCatalog {
    softwareCatalog(includeRetired: true) {
      ...CatalogSoftwareFields
    }
  }
`);

export const AddSoftwareMutation = graphql(`
  mutation AddSoftware($name: String!, $version: String) {
    addSoftware(name: $name, version: $version) {
      ...CatalogSoftwareFields
    }
  }
`);

export const UpdateSoftwareMutation = graphql(`
  mutation UpdateSoftware($id: ID!, $name: String!, $version: String) {
    updateSoftware(id: $id, name: $name, version: $version) {
      ...CatalogSoftwareFields
    }
  }
`);

export const RetireSoftwareMutation = graphql(`
  mutation RetireSoftware($id: ID!) {
    retireSoftware(id: $id) {
      ...CatalogSoftwareFields
    }
  }
`);

export const RestoreSoftwareMutation = graphql(`
  mutation RestoreSoftware($id: ID!) {
    restoreSoftware(id: $id) {
      ...CatalogSoftwareFields
    }
  }
`);
