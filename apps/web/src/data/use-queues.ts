import { useQuery } from '@tanstack/react-query';
import { useSession } from '../auth/session';

/** Queue depth and active runs, refreshed every few seconds while the page is open. */
export function useQueueOverview() {
  const { client } = useSession();
  return useQuery({ queryKey: ['queues'], queryFn: ({ signal }) => client.queues(signal), refetchInterval: 3000 });
}

/** Providers' circuit, health and recent latency, refreshed as the router's state changes. */
export function useProviders() {
  const { client } = useSession();
  return useQuery({ queryKey: ['providers'], queryFn: ({ signal }) => client.providers(signal), refetchInterval: 3000 });
}
