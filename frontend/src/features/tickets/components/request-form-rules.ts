import type { RequestType } from '@/gql/graphql';
import { charCount } from '@/utils/format';

export type RequestFormValues = {
  requestType: RequestType | '';
  softwareId: string;
  description: string;
};

export type RequestFormErrors = Partial<Record<keyof RequestFormValues, string>>;

/** Software is asked for, and required, only for a software install. */
export function needsSoftware(type: RequestType | ''): boolean {
  return type === 'SOFTWARE_INSTALL';
}

export function validateRequest(values: RequestFormValues, maxDescriptionChars: number): RequestFormErrors {
  const errors: RequestFormErrors = {};
  if (!values.requestType) errors.requestType = 'Choose a request type.';
  if (needsSoftware(values.requestType) && !values.softwareId) {
    errors.softwareId = 'Choose the software to install.';
  }
  if (!values.description.trim()) {
    errors.description = 'Describe what you need.';
  } else if (charCount(values.description) > maxDescriptionChars) {
    errors.description = `The description is too long: at most ${maxDescriptionChars} characters.`;
  }
  return errors;
}
