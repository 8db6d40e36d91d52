import type { ReactNode } from 'react';
import { Link } from 'react-router';
import { paths } from '@/config/paths';

export function NotFound({ title = 'Not found', children }: { title?: string; children?: ReactNode }) {
  return (
    <section data-testid="not-found" aria-labelledby="not-found-title">
      <h1 id="not-found-title">{title}</h1>
      {children ?? <p>There is nothing at this address.</p>}
      <p>
        <Link to={paths.root}>Back to the start</Link>
      </p>
    </section>
  );
}
