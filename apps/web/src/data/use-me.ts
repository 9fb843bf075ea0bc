import { useQuery } from '@tanstack/react-query';
import { useSession } from '../auth/session';

/** The signed-in principal (`GET /api/me`); `isAdmin` decides whether the console is offered. */
export function useMe() {
  const { client } = useSession();
  const me = useQuery({ queryKey: ['me'], queryFn: ({ signal }) => client.me(signal), staleTime: 60_000 });
  return { ...me, isAdmin: me.data?.role === 'admin' };
}
