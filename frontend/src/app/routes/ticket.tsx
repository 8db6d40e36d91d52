import { useCallback } from 'react';
import { useParams } from 'react-router';
import { useQuery } from 'urql';
import { NotFound } from '@/components/ui/not-found';
import { ErrorMessage, Loading } from '@/components/ui/states';
import { TicketDetailsQuery, TicketUpdatedSubscription } from '@/features/tickets/api/ticket';
import { TicketDetails } from '@/features/tickets/components/ticket-details';
import { useLiveSubscription } from '@/hooks/use-live-subscription';
import { useAuth } from '@/lib/auth';
import { describeError, hasCode } from '@/lib/errors';
import { normalizeTicketNumber } from '@/utils/format';

const NOT_FOUND_TEXT = 'There is no ticket with this number that you can see.';

export function TicketRoute() {
  const number = normalizeTicketNumber(useParams().number ?? '');
  const { session } = useAuth();
  const [{ data, error }, reexecute] = useQuery({
    query: TicketDetailsQuery,
    variables: { number },
    pause: !number,
  });
  const reload = useCallback(() => reexecute({ requestPolicy: 'network-only' }), [reexecute]);
  const ticket = data?.ticket && data.ticket.number === number ? data.ticket : null;
  const limits = data?.limits;

  // While the page is open, every change to the ticket (by anyone) reloads it,
  // and so does each (re)connection of the live feed, to catch up.
  const live = useLiveSubscription(TicketUpdatedSubscription, { number }, reload, {
    pause: !ticket,
    onResync: reload,
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
  if (error && !ticket) {
    return (
      <ErrorMessage title="Could not load the ticket" message={describeError(error)} onRetry={reload} />
    );
  }
  // A reload keeps the page (and whatever is being typed) in place.
  if (!ticket || !limits) return <Loading label="Loading the ticket…" />;
  return (
    <TicketDetails
      ticket={ticket}
      attachmentLimits={limits}
      meId={session?.user.id}
      liveState={live.state}
      liveUnavailable={Boolean(live.error)}
      reload={reload}
    />
  );
}
