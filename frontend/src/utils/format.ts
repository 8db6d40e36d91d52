import type { Priority, RequestType, Role, TicketStatus } from '@/gql/graphql';

// Records keyed by the generated enums: a value added to or removed from the
// schema breaks the build here until it gets a label.
export const REQUEST_TYPE_LABELS: Record<RequestType, string> = {
  SOFTWARE_INSTALL: 'Software install',
  ACCESS_REQUEST: 'Access request',
  HARDWARE: 'Hardware',
  INCIDENT: 'Incident',
  OTHER: 'Other',
};

export const REQUEST_TYPES = Object.keys(REQUEST_TYPE_LABELS) as RequestType[];

/** For filters only; rows show the server's `statusLabel`. */
export const STATUS_LABELS: Record<TicketStatus, string> = {
  START: 'Start',
  IN_PROGRESS: 'In progress',
  ON_HOLD: 'On hold',
  RESOLVED: 'Resolved',
  CLOSED: 'Closed',
  CANCELLED: 'Cancelled',
};

export const STATUSES = Object.keys(STATUS_LABELS) as TicketStatus[];

export const PRIORITY_LABELS: Record<Priority, string> = {
  LOW: 'Low',
  MEDIUM: 'Medium',
  HIGH: 'High',
  CRITICAL: 'Critical',
};

export const PRIORITIES = Object.keys(PRIORITY_LABELS) as Priority[];

export const ROLE_LABELS: Record<Role, string> = {
  REQUESTER: 'Requester',
  AGENT: 'Agent',
  ADMIN: 'Admin',
};

export const ROLES = Object.keys(ROLE_LABELS) as Role[];

export function requestTypeLabel(t: RequestType): string {
  return REQUEST_TYPE_LABELS[t] ?? t;
}

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export function formatDateTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : dateFormat.format(d);
}

/** Characters as the server counts them (Unicode scalar values, not UTF-16 units). */
export function charCount(text: string): number {
  return Array.from(text).length;
}

/** Ticket numbers are upper-case, e.g. INC-2026-0001; people type them loosely. */
export function normalizeTicketNumber(input: string): string {
  return input.trim().toUpperCase();
}

/** A rough length of time for people: "2d 3h", "3h 20m", "15m", "less than a minute". */
export function formatDuration(ms: number): string {
  const minutes = Math.floor(Math.abs(ms) / 60_000);
  if (minutes < 1) return 'less than a minute';
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const mins = minutes % 60;
  if (days > 0) return hours ? `${days}d ${hours}h` : `${days}d`;
  if (hours > 0) return mins ? `${hours}h ${mins}m` : `${hours}h`;
  return `${mins}m`;
}

/** A person as shown in lists: the display name, else the username. */
export function personName(u: { displayName: string; username: string } | null | undefined): string {
  return u ? u.displayName || u.username : '';
}

/** A file size for people: "512 bytes", "12 KB", "1.5 MB" (1 KB = 1024 bytes, as the limits are set). */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '';
  if (bytes < 1024) return `${bytes} ${bytes === 1 ? 'byte' : 'bytes'}`;
  const units = ['KB', 'MB', 'GB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  // One decimal under 10 (1.5 MB), none above (12 MB); never "10.0".
  const shown = value < 10 ? Math.round(value * 10) / 10 : Math.round(value);
  return `${shown} ${units[unit]}`;
}
