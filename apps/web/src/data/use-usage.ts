import { useQuery } from '@tanstack/react-query';
import { useSession } from '../auth/session';

/** Usage per key, model and UTC day over [from, to): the one request the Usage page's charts and table are drawn from. */
export function useUsage(range: { from: string; to: string }) {
  const { client } = useSession();
  return useQuery({ queryKey: ['usage', range.from, range.to], queryFn: ({ signal }) => client.usage(range, signal) });
}
