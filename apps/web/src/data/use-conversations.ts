import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { useSession } from '../auth/session';

/** The caller's conversations, newest first, a page at a time. */
export function useConversations() {
  const { client } = useSession();
  return useInfiniteQuery({
    queryKey: ['conversations'],
    queryFn: ({ pageParam, signal }) => client.conversations(pageParam, signal),
    initialPageParam: null as string | null,
    getNextPageParam: (page) => page.next_cursor,
  });
}

export function useCreateConversation() {
  const { client } = useSession();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (title: string) => client.createConversation(title),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['conversations'] }),
  });
}

export function useRenameConversation() {
  const { client } = useSession();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ id, title }: { id: string; title: string }) => client.renameConversation(id, title),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['conversations'] }),
  });
}

export function useDeleteConversation() {
  const { client } = useSession();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => client.deleteConversation(id),
    onSuccess: (_done, id) => {
      queryClient.removeQueries({ queryKey: ['messages', id] });
      return queryClient.invalidateQueries({ queryKey: ['conversations'] });
    },
  });
}
