import { Client, makeErrorResult, makeResult, type Exchange, type Operation, type OperationResult } from 'urql';
import { filter, fromValue, makeSubject, map, mergeMap, never, pipe, takeUntil, type Source, type Subject } from 'wonka';

/**
 * A real urql `Client` whose only exchange answers from test handlers, keyed
 * by operation name: the components under test run their real urql hooks,
 * and nothing touches the network.
 */
export type ReplyError = { code?: string; message?: string; network?: boolean; extensions?: Record<string, unknown> };
export type Pushed = { data?: unknown; error?: ReplyError };
export type Reply = { data: unknown } | { error: ReplyError } | 'pending' | { source: Source<Pushed> };

export type Handler = (variables: Record<string, unknown>, op: Operation) => Reply;

export function operationName(op: Operation): string {
  for (const d of op.query.definitions) {
    if (d.kind === 'OperationDefinition' && d.name) return d.name.value;
  }
  return '';
}

export function gqlError(code: string, message = code.toLowerCase(), extensions?: Record<string, unknown>) {
  return { error: { code, message, ...(extensions ? { extensions } : {}) } } as const;
}

function toResult(op: Operation, reply: Pushed): OperationResult {
  if (reply.error) {
    const e = reply.error;
    if (e.network) return makeErrorResult(op, new Error(e.message ?? 'Failed to fetch'));
    // As the daemon answers: `data: null` and an error with `extensions.code`.
    return makeResult(op, {
      data: null,
      errors: [{ message: e.message ?? 'error', extensions: { ...e.extensions, ...(e.code ? { code: e.code } : {}) } }],
    });
  }
  return makeResult(op, { data: reply.data as Record<string, unknown> | null });
}

export function createMockClient(handlers: Record<string, Handler>) {
  const calls: { name: string; variables: Record<string, unknown>; kind: string }[] = [];
  const exchange: Exchange = () => (ops$) => {
    const teardown$ = pipe(
      ops$,
      filter((op) => op.kind === 'teardown'),
    );
    return pipe(
      ops$,
      filter((op) => op.kind !== 'teardown'),
      mergeMap((op) => {
        const name = operationName(op);
        const variables = (op.variables ?? {}) as Record<string, unknown>;
        calls.push({ name, variables, kind: op.kind });
        const handler = handlers[name];
        // An operation the test did not plan for stays in flight (a loading state).
        const reply = handler ? handler(variables, op) : 'pending';
        let source: Source<OperationResult>;
        if (reply === 'pending') source = never;
        else if ('source' in reply) source = pipe(reply.source, map((r) => toResult(op, r)));
        else source = fromValue(toResult(op, reply));
        return pipe(
          source,
          takeUntil(
            pipe(
              teardown$,
              filter((t) => t.key === op.key),
            ),
          ),
        );
      }),
    );
  };
  const client = new Client({ url: '/graphql', exchanges: [exchange], requestPolicy: 'network-only' });
  return { client, calls };
}

/** A subscription the test pushes events into. */
export function liveSource(): Subject<Pushed> {
  return makeSubject();
}
