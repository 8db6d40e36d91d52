import { useMemo, useState } from 'react';
import { LoadMore } from '@/components/ui/load-more';
import { EmptyState, ErrorMessage, Loading } from '@/components/ui/states';
import { PAGE_SIZE } from '@/config/api';
import { useCursorPages } from '@/hooks/use-cursor-pages';
import { useAuth } from '@/lib/auth';
import { describeError } from '@/lib/errors';
import { isStaff } from '@/lib/session';
import { AssetsQuery } from '../api/assets';
import { EMPTY_DEVICE_FILTER, isDeviceFiltered, toAssetFilter, type DeviceFilter } from '../types';
import { DeviceFilters } from './device-filters';
import { DevicesTable } from './devices-table';

/** The Devices page: every device for staff, a requester's own otherwise (the server decides). */
export function DevicesList() {
  const staff = isStaff(useAuth().session?.user.role);
  const [filter, setFilter] = useState<DeviceFilter>(EMPTY_DEVICE_FILTER);
  const variables = useMemo(() => ({ filter: toAssetFilter(filter, staff), first: PAGE_SIZE }), [filter, staff]);
  const pages = useCursorPages(
    AssetsQuery,
    variables,
    (d) => d.assets,
    (a) => a.tag,
  );

  return (
    <section aria-labelledby="devices-title">
      <div className="title-row">
        <h1 id="devices-title">Devices</h1>
      </div>
      <DeviceFilters value={filter} onChange={setFilter} staff={staff} />
      {pages.error && pages.nodes.length === 0 ? (
        <ErrorMessage title="Could not load devices" message={describeError(pages.error)} onRetry={pages.refresh} />
      ) : pages.fetching && pages.nodes.length === 0 ? (
        <Loading label="Loading devices…" />
      ) : pages.nodes.length === 0 ? (
        <EmptyState title={isDeviceFiltered(filter) ? 'No device matches these filters.' : 'No devices yet.'} />
      ) : (
        <>
          <DevicesTable assets={pages.nodes} />
          <LoadMore pages={pages} errorTitle="Could not load more devices" />
        </>
      )}
    </section>
  );
}
