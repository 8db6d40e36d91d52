import type { ReactNode } from 'react';
import styles from './states.module.css';

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <p className={styles.loading} role="status" aria-live="polite" data-testid="loading">
      <span className={styles.spinner} aria-hidden="true" />
      {label}
    </p>
  );
}

export function ErrorMessage({
  title = 'Something went wrong',
  message,
  onRetry,
}: {
  title?: string;
  message: string;
  onRetry?: () => void;
}) {
  return (
    <div className={styles.error} role="alert" data-testid="error">
      <strong>{title}</strong>
      <p>{message}</p>
      {onRetry && (
        <button type="button" className="button secondary" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className={styles.empty} data-testid="empty">
      <strong>{title}</strong>
      {children && <div>{children}</div>}
    </div>
  );
}
