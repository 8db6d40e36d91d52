import { useCallback } from 'react';
import { useParams } from 'react-router';
import { useQuery } from 'urql';
import { NotFound } from '@/components/ui/not-found';
import { ErrorMessage, Loading } from '@/components/ui/states';
import { AssetDetailsQuery } from '@/features/assets/api/assets';
import { AssetDetails } from '@/features/assets/components/asset-details';
import { useAuth } from '@/lib/auth';
import { describeError, hasCode } from '@/lib/errors';
import { isStaff } from '@/lib/session';

export function AssetRoute() {
  const tag = (useParams().tag ?? '').trim();
  const role = useAuth().session?.user.role;
  const [{ data, error }, reexecute] = useQuery({ query: AssetDetailsQuery, variables: { tag }, pause: !tag });
  const reload = useCallback(() => reexecute({ requestPolicy: 'network-only' }), [reexecute]);
  const asset = data?.asset && data.asset.tag === tag ? data.asset : null;

  // Missing and someone else's look the same.
  if (!tag || hasCode(error, 'NOT_FOUND') || hasCode(error, 'FORBIDDEN') || data?.asset === null) {
    return (
      <NotFound title="Device not found">
        <p>There is no device with this tag that you can see. ({tag || 'no tag'})</p>
      </NotFound>
    );
  }
  if (error && !asset) return <ErrorMessage title="Could not load the device" message={describeError(error)} onRetry={reload} />;
  if (!asset) return <Loading label="Loading the device…" />;
  return <AssetDetails asset={asset} staff={isStaff(role)} admin={role === 'ADMIN'} onChanged={reload} />;
}
