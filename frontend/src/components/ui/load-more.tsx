import type { CursorPages } from '@/hooks/use-cursor-pages';
import { describeError } from '@/lib/errors';
import { ErrorMessage } from './states';

/**
 * Below a paged list: the error of the last "Load more" (with a retry), and
 * the button while more pages follow.
 */
export function LoadMore({ pages, errorTitle }: { pages: CursorPages<unknown>; errorTitle: string }) {
  return (
    <>
      {pages.error && <ErrorMessage title={errorTitle} message={describeError(pages.error)} onRetry={pages.loadMore} />}
      {pages.hasNextPage && (
        <div className="pager">
          <button
            type="button"
            className="button secondary"
            onClick={pages.loadMore}
            disabled={pages.fetchingMore}
            data-testid="load-more"
          >
            {pages.fetchingMore ? 'Loading…' : 'Load more'}
          </button>
        </div>
      )}
    </>
  );
}
