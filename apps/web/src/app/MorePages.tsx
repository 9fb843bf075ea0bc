import type { ReactNode } from 'react';

/** What MorePages needs of an infinite query (TanStack's useInfiniteQuery result fits). */
interface PagedQuery {
  hasNextPage: boolean;
  isFetchingNextPage: boolean;
  fetchNextPage(): Promise<unknown>;
}

/** The button under a paged list that loads its next page; absent once the last page is in. */
export function MorePages({ query, children }: { query: PagedQuery; children: ReactNode }) {
  if (!query.hasNextPage) return null;
  return (
    <button type="button" onClick={() => void query.fetchNextPage()} disabled={query.isFetchingNextPage}>
      {children}
    </button>
  );
}
