import { useSyncExternalStore } from 'react';

/**
 * State of the live-feed WebSocket, fed by graphql-ws's lifecycle events.
 * `reconnects` counts how many times the socket came back after a drop, so a
 * view can resynchronise (refetch) what it may have missed meanwhile.
 */
export type LiveState = 'idle' | 'connecting' | 'connected' | 'reconnecting';
export type ConnectionStatus = { state: LiveState; reconnects: number };

export type ConnectionStatusStore = {
  get(): ConnectionStatus;
  set(state: LiveState): void;
  subscribe(listener: () => void): () => void;
};

export function createConnectionStatusStore(): ConnectionStatusStore {
  let status: ConnectionStatus = { state: 'idle', reconnects: 0 };
  let everConnected = false;
  const listeners = new Set<() => void>();
  return {
    get: () => status,
    set(state) {
      if (state === status.state) return;
      let reconnects = status.reconnects;
      if (state === 'connected') {
        if (everConnected) reconnects += 1;
        everConnected = true;
      }
      status = { state, reconnects };
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
