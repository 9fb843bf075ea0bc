import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useSession } from '../auth/session';

const BENCHMARKS_KEY = ['benchmarks'] as const;

/** Recent benchmarks with their results; read every 2 s while one is queued or running, so its status moves. */
export function useBenchmarks() {
  const { client } = useSession();
  return useQuery({
    queryKey: BENCHMARKS_KEY,
    queryFn: ({ signal }) => client.benchmarks(signal),
    refetchInterval: (query) => (query.state.data?.some((b) => b.status === 'queued' || b.status === 'running') ? 2000 : 30_000),
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
