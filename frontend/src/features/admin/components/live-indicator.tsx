import type { LiveState } from '@/lib/connection-status';
import styles from './admin.module.css';

const TEXT: Record<LiveState, string> = {
  idle: 'Live feed off',
  connecting: 'Connecting to live feed…',
  connected: 'Live',
  reconnecting: 'Reconnecting…',
};

/** Whether new tickets are arriving live, or the WebSocket is coming back. */
export function LiveIndicator({ state }: { state: LiveState }) {
  return (
    <span className={`${styles.live} ${styles[state]}`} role="status" data-testid="live-status" data-state={state}>
      <span className={styles.dot} aria-hidden="true" />
      {TEXT[state]}
    </span>
  );
}
