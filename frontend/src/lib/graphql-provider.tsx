import { createContext, useContext, useEffect, useMemo, useRef, type ReactNode } from 'react';
import { Provider, type Client } from 'urql';
import { useAuth } from './auth';
import { createConnectionStatusStore, type ConnectionStatusStore } from './connection-status';
import { createGraphqlClient } from './graphql-client';

const LiveStatusContext = createContext<ConnectionStatusStore>(createConnectionStatusStore());

/** The live-feed WebSocket's status store of the current client. */
export function useLiveStatusStore(): ConnectionStatusStore {
  return useContext(LiveStatusContext);
}

/** Builds the urql client for the current session (a new one on login/logout). */
export function GraphqlProvider({ children }: { children: ReactNode }) {
  const { session, signOut, generation } = useAuth();
  const authenticated = Boolean(session);
  const signOutRef = useRef(signOut);
  signOutRef.current = signOut;

  const bundle = useMemo(
    () =>
      createGraphqlClient({
        authenticated,
        onUnauthenticated: () => void signOutRef.current('Your session has ended. Please log in again.'),
      }),
    // A new client for every login and logout.
    [authenticated, generation],
  );
  useEffect(() => () => bundle.dispose(), [bundle]);

  return (
    <LiveStatusContext.Provider value={bundle.live}>
      <Provider value={bundle.client}>{children}</Provider>
    </LiveStatusContext.Provider>
  );
}

/** For tests and embedding: a given client and status store. */
export function StaticGraphqlProvider({
  client,
  live,
  children,
}: {
  client: Client;
  live: ConnectionStatusStore;
  children: ReactNode;
}) {
  return (
    <LiveStatusContext.Provider value={live}>
      <Provider value={client}>{children}</Provider>
    </LiveStatusContext.Provider>
  );
}
