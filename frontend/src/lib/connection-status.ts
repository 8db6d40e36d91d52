import { useSyncExternalStore } from 'react';

/**
 * State of the live-feed WebSocket, fed by graphql-ws's lifecycle events.
 * `connects` counts every (re)connection and `reconnects` those after a drop,
 * so a view can resynchronise (refetch) what it may have missed meanwhile.
 */
export type LiveState = 'idle' | 'connecting' | 'connected' | 'reconnecting';
export type ConnectionStatus = { state: LiveState; connects: number; reconnects: number };

export type ConnectionStatusStore = {
  get(): ConnectionStatus;
  set(state: LiveState): void;
  subscribe(listener: () => void): () => void;
};

export function createConnectionStatusStore(): ConnectionStatusStore {
  let status: ConnectionStatus = { state: 'idle', connects: 0, reconnects: 0 };
  let everConnected = false;
  const listeners = new Set<() => void>();
  return {
    get: () => status,
    set(state) {
      if (state === status.state) return;
      let { connects, reconnects } = status;
      if (state === 'connected') {
        connects += 1;
        if (everConnected) reconnects += 1;
        everConnected = true;
      }
      status = { state, connects, reconnects };
      listeners.forEach((l) => l());
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

export function useConnectionStatus(store: ConnectionStatusStore): ConnectionStatus {
  return useSyncExternalStore(store.subscribe, store.get, store.get);
}
