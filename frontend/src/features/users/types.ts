import type { AdminUserFieldsFragment, Role } from '@/gql/graphql';

export type AdminUser = AdminUserFieldsFragment;

/** Users per page (the server's default). */
export const USERS_PAGE_SIZE = 50;

/** The server's limit on `filter.search`. */
export const MAX_USER_SEARCH_CHARS = 100;

export type NewUserValues = {
  username: string;
  employeeId: string;
  displayName: string;
  email: string;
  phone: string;
  role: Role;
};

export type NewUserField = keyof NewUserValues;
export type NewUserErrors = Partial<Record<NewUserField, string>>;

export const NEW_USER_FIELDS: NewUserField[] = ['username', 'employeeId', 'displayName', 'email', 'phone', 'role'];

export const EMPTY_NEW_USER: NewUserValues = {
  username: '',
  employeeId: '',
  displayName: '',
  email: '',
  phone: '',
  role: 'REQUESTER',
};

const E164 = /^\+[1-9]\d{6,14}$/;

/** What can be checked before asking the server (which checks it all again). */
export function validateNewUser(v: NewUserValues): NewUserErrors {
  const errors: NewUserErrors = {};
  if (!v.username.trim()) errors.username = 'Enter a username.';
  else if (/\s/.test(v.username.trim())) errors.username = 'A username has no spaces.';
  if (!v.employeeId.trim()) errors.employeeId = 'Enter the employee ID.';
  if (!v.displayName.trim()) errors.displayName = 'Enter the name.';
  if (v.email.trim() && !/^[^\s@]+@[^\s@]+$/.test(v.email.trim())) errors.email = 'Enter an email address like name@example.com.';
  if (v.phone.trim() && !E164.test(v.phone.trim())) errors.phone = 'Enter the phone number in international form, e.g. +919876543210.';
  return errors;
}

/** The `CreateUserInput` for the form (blank optional fields left out). */
export function toCreateUserInput(v: NewUserValues) {
  return {
    username: v.username.trim(),
    employeeId: v.employeeId.trim(),
    displayName: v.displayName.trim(),
    role: v.role,
    ...(v.email.trim() ? { email: v.email.trim() } : {}),
    ...(v.phone.trim() ? { phone: v.phone.trim() } : {}),
  };
}

export function isNewUserField(name: string | undefined): name is NewUserField {
  return (NEW_USER_FIELDS as string[]).includes(name ?? '');
}
