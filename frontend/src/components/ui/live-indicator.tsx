import type { LiveState } from '@/lib/connection-status';
import styles from './live-indicator.module.css';

const TEXT: Record<LiveState, string> = {
  idle: 'Live feed off',
  connecting: 'Connecting to live feed…',
  connected: 'Live',
  reconnecting: 'Reconnecting…',
};

/** Whether changes are arriving live, or the WebSocket is coming back. */
export function LiveIndicator({ state, testId = 'live-status' }: { state: LiveState; testId?: string }) {
  return (
    <span className={`${styles.live} ${styles[state]}`} role="status" data-testid={testId} data-state={state}>
      <span className={styles.dot} aria-hidden="true" />
      {TEXT[state]}
    </span>
  );
}
