import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { useSession } from '../auth/session';

const BENCHMARKS_KEY = ['benchmarks'] as const;

/**
 * Benchmarks with their results, newest first, a page at a time; the pages shown are read again every 2 s
 * while one of them is queued or running, so its status moves.
 */
export function useBenchmarks() {
  const { client } = useSession();
  return useInfiniteQuery({
    queryKey: BENCHMARKS_KEY,
    queryFn: ({ pageParam, signal }) => client.benchmarks(pageParam, signal),
    initialPageParam: null as string | null,
    getNextPageParam: (page) => page.next_cursor,
    refetchInterval: (query) =>
      query.state.data?.pages.some((p) => p.data.some((b) => b.status === 'queued' || b.status === 'running')) ? 2000 : 30_000,
  });
}

export function useStartBenchmark() {
  const { client } = useSession();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: { models: string[]; reference_model?: string; max_tokens?: number }) => client.createBenchmark(body),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: BENCHMARKS_KEY }),
  });
}
