import type { WebConfig } from '@switchboard/contracts';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { createContext, type ReactNode, useCallback, useContext, useMemo, useState } from 'react';
import { ApiClient, fetchWebConfig } from '../api/client';
import { errorMessage } from '../api/errors';
import { SignIn } from './SignIn';

const KEY_STORAGE = 'switchboard.key';

export interface Session {
  config: WebConfig;
  /** The signed-in API key; null on an open install. */
  key: string | null;
  client: ApiClient;
  signIn(key: string): void;
  signOut(): void;
}

const SessionContext = createContext<Session | null>(null);

/** The signed-in session; only inside SessionProvider, which renders its children only once there is one. */
export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside SessionProvider');
  return session;
}

function storedKey(): string | null {
  try {
    return window.localStorage.getItem(KEY_STORAGE);
  } catch {
    return null;
  }
}

/**
 * Reads the api's runtime config, then asks for an API key unless the install is open. The key stays in this
 * browser (localStorage) and goes out only as a Bearer token.
 */
export function SessionProvider({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const config = useQuery({ queryKey: ['web-config'], queryFn: ({ signal }) => fetchWebConfig(signal), staleTime: Infinity, retry: 1 });
  const [key, setKey] = useState<string | null>(storedKey);

  const signIn = useCallback((next: string) => {
    window.localStorage.setItem(KEY_STORAGE, next);
    setKey(next);
  }, []);
  const signOut = useCallback(() => {
    window.localStorage.removeItem(KEY_STORAGE);
    setKey(null);
    queryClient.clear();
  }, [queryClient]);

  const gatewayUrl = config.data?.gateway_url;
  const client = useMemo(() => (gatewayUrl ? new ApiClient(gatewayUrl, key) : null), [gatewayUrl, key]);
  const session = useMemo<Session | null>(
    () => (config.data && client ? { config: config.data, key, client, signIn, signOut } : null),
    [config.data, client, key, signIn, signOut],
  );

  if (config.isPending) return <p className="boot">Loading…</p>;
  if (config.error) return <p role="alert" className="boot">Could not reach the Switchboard api: {errorMessage(config.error)}</p>;
  if (!session) return null;
  if (session.config.auth === 'key' && !key) return <SignIn gatewayUrl={session.config.gateway_url} onSignIn={signIn} />;
  return <SessionContext.Provider value={session}>{children}</SessionContext.Provider>;
}
