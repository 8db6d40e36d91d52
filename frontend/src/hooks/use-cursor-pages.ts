import { useCallback, useEffect, useRef, useState } from 'react';
import { useClient, type AnyVariables, type CombinedError, type TypedDocumentNode } from 'urql';

export type Connection<N> = {
  edges: ReadonlyArray<{ cursor: string; node: N }>;
  pageInfo: { hasNextPage: boolean; endCursor?: string | null };
};

export type CursorPages<N> = {
  nodes: N[];
  /** First page in flight (after a reset or refresh). */
  fetching: boolean;
  fetchingMore: boolean;
  error: CombinedError | null;
  hasNextPage: boolean;
  loadMore: () => void;
  refresh: () => void;
};

/**
 * Cursor pagination over a Relay-style connection: the first page for the
 * given variables, then each "Load more" appends the page `after` the last
 * `pageInfo.endCursor`. New variables (e.g. filters) start over.
 */
export function useCursorPages<Data, Vars extends AnyVariables, N>(
  query: TypedDocumentNode<Data, Vars>,
  variables: Omit<Vars, 'after'>,
  select: (data: Data) => Connection<N> | null | undefined,
  keyOf: (node: N) => string,
  options: { pause?: boolean } = {},
): CursorPages<N> {
  const client = useClient();
  const [nodes, setNodes] = useState<N[]>([]);
  const [fetching, setFetching] = useState(!options.pause);
  const [fetchingMore, setFetchingMore] = useState(false);
  const [error, setError] = useState<CombinedError | null>(null);
  const [pageInfo, setPageInfo] = useState<{ hasNextPage: boolean; endCursor: string | null }>({
    hasNextPage: false,
    endCursor: null,
  });
  const [reloads, setReloads] = useState(0);
  const generation = useRef(0);
  const varsKey = JSON.stringify(variables);
  const selectRef = useRef(select);
  selectRef.current = select;
  const keyRef = useRef(keyOf);
  keyRef.current = keyOf;

  const run = useCallback(
    async (after: string | null, gen: number) => {
      const vars = { ...(JSON.parse(varsKey) as object), after } as unknown as Vars;
      const result = await client.query(query, vars, { requestPolicy: 'network-only' }).toPromise();
      if (gen !== generation.current) return; // filters changed meanwhile
      if (result.error) {
        setError(result.error);
        return;
      }
      const conn = result.data ? selectRef.current(result.data) : null;
      if (!conn) {
        setError(null);
        return;
      }
      const page = conn.edges.map((e) => e.node);
      setError(null);
      setNodes((prev) => {
        if (after === null) return page;
        const seen = new Set(prev.map((n) => keyRef.current(n)));
        return [...prev, ...page.filter((n) => !seen.has(keyRef.current(n)))];
      });
      setPageInfo({ hasNextPage: conn.pageInfo.hasNextPage, endCursor: conn.pageInfo.endCursor ?? null });
    },
    [client, query, varsKey],
  );

  useEffect(() => {
    if (options.pause) return;
    const gen = ++generation.current;
    setFetching(true);
    setFetchingMore(false);
    setError(null);
    void run(null, gen).finally(() => {
      if (gen === generation.current) setFetching(false);
    });
  }, [run, reloads, options.pause]);

  // On a new filter, forget the old rows at once rather than show them under the new filter.
  const lastKey = useRef(varsKey);
  if (lastKey.current !== varsKey) {
    lastKey.current = varsKey;
    setNodes([]);
    setPageInfo({ hasNextPage: false, endCursor: null });
  }

  const loadMore = useCallback(() => {
    if (fetching || fetchingMore || !pageInfo.hasNextPage || !pageInfo.endCursor) return;
    const gen = generation.current;
    setFetchingMore(true);
    void run(pageInfo.endCursor, gen).finally(() => {
      if (gen === generation.current) setFetchingMore(false);
    });
  }, [fetching, fetchingMore, pageInfo, run]);

  const refresh = useCallback(() => setReloads((n) => n + 1), []);

  return {
    nodes,
    fetching,
    fetchingMore,
    error,
    hasNextPage: pageInfo.hasNextPage,
    loadMore,
    refresh,
  };
}
