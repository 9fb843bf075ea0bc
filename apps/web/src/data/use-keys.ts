import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useSession } from '../auth/session';

/** The API keys (admin), and the edits the console makes to them; every edit refreshes the list. */
export function useKeys() {
  const { client } = useSession();
  return useQuery({ queryKey: ['keys'], queryFn: ({ signal }) => client.keys(signal) });
}

export function useKeyMutations() {
  const { client } = useSession();
  const queryClient = useQueryClient();
  const onSuccess = () => queryClient.invalidateQueries({ queryKey: ['keys'] });
  return {
    create: useMutation({ mutationFn: (body: Record<string, unknown>) => client.createKey(body), onSuccess }),
    update: useMutation({ mutationFn: ({ id, body }: { id: string; body: Record<string, unknown> }) => client.updateKey(id, body), onSuccess }),
    revoke: useMutation({ mutationFn: (id: string) => client.revokeKey(id), onSuccess }),
  };
}
