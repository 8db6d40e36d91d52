import { MAX_SUBJECT_CHARS } from '@/config/api';
import type { RequestType } from '@/gql/graphql';
import { charCount } from '@/utils/format';

export type RequestFormValues = {
  requestType: RequestType | '';
  softwareId: string;
  subject: string;
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
  if (!values.subject.trim()) {
    errors.subject = 'Give the request a short subject.';
  } else if (charCount(values.subject.trim()) > MAX_SUBJECT_CHARS) {
    errors.subject = `The subject is too long: at most ${MAX_SUBJECT_CHARS} characters.`;
  } else if (/[\r\n]/.test(values.subject)) {
    errors.subject = 'The subject is one line.';
  }
  if (!values.description.trim()) {
    errors.description = 'Describe what you need.';
  } else if (charCount(values.description) > maxDescriptionChars) {
    errors.description = `The description is too long: at most ${maxDescriptionChars} characters.`;
  }
  return errors;
}
