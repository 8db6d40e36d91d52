import { CombinedError } from 'urql';
import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { describeError, errorField } from './errors';

const err = (message: string, extensions: Record<string, unknown>) =>
  new CombinedError({ graphQLErrors: [new GraphQLError(message, { extensions })] });

describe('errors', () => {
  it('finds the field of a BAD_USER_INPUT error, in camelCase', () => {
    expect(errorField(err('bad', { code: 'BAD_USER_INPUT', field: 'email' }))).toBe('email');
    expect(errorField(err('bad', { code: 'BAD_USER_INPUT', field: 'input.employee_id' }))).toBe('employeeId');
    expect(errorField(err('bad', { code: 'CONFLICT', field: 'username' }))).toBeUndefined();
    expect(errorField(undefined)).toBeUndefined();
  });

  it('says how long to wait when RATE_LIMITED', () => {
    expect(describeError(err('slow down', { code: 'RATE_LIMITED', retryAfterSeconds: 30 }))).toBe(
      'Too many attempts. Try again in 30 seconds.',
    );
    expect(describeError(err('slow down', { code: 'RATE_LIMITED' }))).toMatch(/Too many attempts/);
  });
});
