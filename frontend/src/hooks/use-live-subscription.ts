import { useEffect, useRef, useState } from 'react';
import { useClient, type AnyVariables, type CombinedError, type TypedDocumentNode } from 'urql';
import { pipe, subscribe } from 'wonka';
import { useConnectionStatus, type LiveState } from '@/lib/connection-status';
import { useLiveStatusStore } from '@/lib/graphql-provider';

/**
 * Runs a GraphQL subscription over the session's WebSocket for as long as the
 * component is mounted, handing each event to `onData`. `onResync` runs each
 * time the socket (re)connects after mount, so the view can fetch again
 * whatever changed while it was down.
 */
export function useLiveSubscription<Data, Vars extends AnyVariables>(
  query: TypedDocumentNode<Data, Vars>,
  variables: Vars,
  onData: (data: Data) => void,
  { pause = false, onResync }: { pause?: boolean; onResync?: () => void } = {},
): { state: LiveState; error: CombinedError | null } {
  const client = useClient();
  const status = useConnectionStatus(useLiveStatusStore());
  const [error, setError] = useState<CombinedError | null>(null);
  const onDataRef = useRef(onData);
  onDataRef.current = onData;
  const onResyncRef = useRef(onResync);
  onResyncRef.current = onResync;
  const varsKey = JSON.stringify(variables);

  useEffect(() => {
    if (pause) return undefined;
    const vars = JSON.parse(varsKey) as Vars;
    const { unsubscribe } = pipe(
      client.subscription(query, vars),
      subscribe((result) => {
        if (result.error) {
          setError(result.error);
          return;
        }
        setError(null);
        if (result.data) onDataRef.current(result.data);
      }),
    );
    return unsubscribe;
  }, [client, query, varsKey, pause]);

  const seenConnects = useRef(status.connects);
  useEffect(() => {
    if (status.connects === seenConnects.current) return;
    seenConnects.current = status.connects;
    if (!pause) onResyncRef.current?.();
  }, [status.connects, pause]);

  return { state: pause ? 'idle' : status.state, error };
}
