import { useQuery } from '@tanstack/react-query';
import { useSession } from '../auth/session';

/** What can answer: agents, pipelines, `provider/model` and `auto`, as the gateway lists them. */
export function useModels() {
  const { client } = useSession();
  return useQuery({ queryKey: ['models'], queryFn: ({ signal }) => client.models(signal), staleTime: 30_000 });
}
