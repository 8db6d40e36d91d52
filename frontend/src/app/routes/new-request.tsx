import { useState } from 'react';
import { useQuery } from 'urql';
import { ErrorMessage, Loading } from '@/components/ui/states';
import { NewRequestDataQuery } from '@/features/tickets/api/new-request';
import { CreatedTicket } from '@/features/tickets/components/created-ticket';
import { NewRequestForm, type CreatedTicket as Created } from '@/features/tickets/components/new-request-form';
import { describeError } from '@/lib/errors';

export function NewRequestRoute() {
  const [{ data, fetching, error }, reexecute] = useQuery({ query: NewRequestDataQuery });
  const [created, setCreated] = useState<Created | null>(null);
  const [formKey, setFormKey] = useState(0);

  return (
    <section aria-labelledby="new-request-title">
      <h1 id="new-request-title">New request</h1>
      {created ? (
        <CreatedTicket
          ticket={created}
          onAnother={() => {
            setCreated(null);
            setFormKey((k) => k + 1);
          }}
        />
      ) : error && !data ? (
        <ErrorMessage
          title="The request form could not be loaded"
          message={describeError(error)}
          onRetry={() => reexecute({ requestPolicy: 'network-only' })}
        />
      ) : fetching && !data ? (
        <Loading />
      ) : data ? (
        <NewRequestForm
          key={formKey}
          software={data.softwareCatalog}
          requestTypes={data.requestTypes}
          maxDescriptionChars={data.limits.maxDescriptionChars}
          attachmentLimits={data.limits}
          onCreated={setCreated}
        />
      ) : null}
    </section>
  );
}
