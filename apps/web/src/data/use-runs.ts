import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import type { RunFilter } from '../api/client';
import { useSession } from '../auth/session';

/** The caller's runs (an admin's: everyone's), newest first, narrowed by `filter`. */
export function useRuns(filter: RunFilter) {
  const { client } = useSession();
  return useInfiniteQuery({
    queryKey: ['runs', filter],
    queryFn: ({ pageParam, signal }) => client.runs(filter, pageParam, signal),
    initialPageParam: null as string | null,
    getNextPageParam: (page) => page.next_cursor,
  });
}

const LIVE = new Set(['queued', 'running', 'background']);

/** One run with its attempts and output; polled while it is still going. */
export function useRun(runId: string) {
  const { client } = useSession();
  return useQuery({
    queryKey: ['run', runId],
    queryFn: ({ signal }) => client.run(runId, signal),
    refetchInterval: (query) => (query.state.data && LIVE.has(query.state.data.status) ? 1000 : false),
  });
}
