import { Link } from 'react-router';
import { paths } from '@/config/paths';

/** Shown instead of a page the user's role may not open. */
export function NotAllowed({ message = 'This page is for IT agents and administrators only.' }: { message?: string }) {
  return (
    <section data-testid="not-allowed" aria-labelledby="not-allowed-title">
      <h1 id="not-allowed-title">Not allowed</h1>
      <p>{message}</p>
      <p>
        <Link to={paths.myTickets}>Go to my tickets</Link>
      </p>
    </section>
  );
}
