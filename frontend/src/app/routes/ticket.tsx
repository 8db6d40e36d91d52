import { useParams } from 'react-router';
import { useQuery } from 'urql';
import { NotFound } from '@/components/ui/not-found';
import { ErrorMessage, Loading } from '@/components/ui/states';
import { TicketDetailsQuery } from '@/features/tickets/api/ticket';
import { TicketDetails } from '@/features/tickets/components/ticket-details';
import { describeError, hasCode } from '@/lib/errors';
import { normalizeTicketNumber } from '@/utils/format';

const NOT_FOUND_TEXT = 'There is no ticket with this number that you can see.';

export function TicketRoute() {
  const number = normalizeTicketNumber(useParams().number ?? '');
  const [{ data, fetching, error }, reexecute] = useQuery({
    query: TicketDetailsQuery,
    variables: { number },
    pause: !number,
  });

  // The server answers `null` both for a missing ticket and for someone else's:
  // the portal does not tell them apart either.
  const notFound =
    !number || hasCode(error, 'NOT_FOUND') || hasCode(error, 'FORBIDDEN') || data?.ticket === null;

  if (notFound) {
    return (
      <NotFound title="Ticket not found">
        <p>
          {NOT_FOUND_TEXT} ({number || 'no number'})
        </p>
      </NotFound>
    );
  }
  if (error && !data) {
    return (
      <ErrorMessage
        title="Could not load the ticket"
        message={describeError(error)}
        onRetry={() => reexecute({ requestPolicy: 'network-only' })}
      />
    );
  }
  if (fetching || !data?.ticket) return <Loading label="Loading the ticket…" />;
  return <TicketDetails ticket={data.ticket} />;
}
