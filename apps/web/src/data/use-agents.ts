import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useSession } from '../auth/session';

/** The agents, and their admin edits; an edit also refreshes the model list (agents are models to the gateway). */
export function useAgents() {
  const { client } = useSession();
  return useQuery({ queryKey: ['agents'], queryFn: ({ signal }) => client.agents(signal) });
}

export function useAgentMutations() {
  const { client } = useSession();
  const queryClient = useQueryClient();
  const onSuccess = async () => {
    await queryClient.invalidateQueries({ queryKey: ['agents'] });
    await queryClient.invalidateQueries({ queryKey: ['models'] });
  };
  return {
    create: useMutation({ mutationFn: (body: Record<string, unknown>) => client.createAgent(body), onSuccess }),
    update: useMutation({ mutationFn: ({ id, body }: { id: string; body: Record<string, unknown> }) => client.updateAgent(id, body), onSuccess }),
    remove: useMutation({ mutationFn: (id: string) => client.deleteAgent(id), onSuccess }),
  };
}
