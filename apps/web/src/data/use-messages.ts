import { useQuery } from '@tanstack/react-query';
import { useSession } from '../auth/session';

/**
 * Every stored message of a conversation, oldest first. With `awaitRun`, read again every half second until
 * that run's answer is among them (runs are recorded just after their client has the answer).
 */
export function useMessages(conversationId: string | null, awaitRun: string | null = null) {
  const { client } = useSession();
  return useQuery({
    queryKey: ['messages', conversationId],
    queryFn: ({ signal }) => client.messages(conversationId!, signal),
    enabled: conversationId !== null,
    refetchInterval: (query) => (awaitRun && !query.state.data?.some((m) => m.run_id === awaitRun) ? 500 : false),
  });
}
