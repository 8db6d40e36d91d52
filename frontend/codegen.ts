import type { CodegenConfig } from '@graphql-codegen/cli';

// Typed operations from the daemon's SDL: a renamed or removed field makes
// codegen or `tsc --noEmit` fail, so `npm run build` breaks on a schema change.
const config: CodegenConfig = {
  schema: 'schema.graphql',
  documents: ['src/**/*.{ts,tsx}', '!src/gql/**/*'],
  ignoreNoDocuments: false,
  generates: {
    'src/gql/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        scalars: { DateTime: 'string', ID: 'string', JSON: 'unknown', NaiveDate: 'string' },
        enumsAsTypes: true,
        useTypeImports: true,
        strictScalars: true,
        skipTypename: true,
        avoidOptionals: { field: true, inputValue: false, object: false },
      },
    },
  },
  hooks: {},
};

export default config;
