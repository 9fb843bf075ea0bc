import { type FormEvent, useState } from 'react';
import { ApiClient } from '../api/client';
import { errorMessage } from '../api/errors';
import styles from './sign-in.module.css';

/** Paste an API key; it is checked against the api before it is kept. */
export function SignIn({ gatewayUrl, onSignIn }: { gatewayUrl: string; onSignIn: (key: string) => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [checking, setChecking] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const trimmed = key.trim();
    if (!trimmed) return;
    setChecking(true);
    setError(null);
    try {
      await new ApiClient(gatewayUrl, trimmed).conversations(null);
      onSignIn(trimmed);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setChecking(false);
    }
  };

  return (
    <main className={styles.page}>
      <form className={styles.card} onSubmit={(e) => void submit(e)}>
        <h1>Switchboard</h1>
        <p>Sign in with an API key. It stays in this browser and is sent only as a Bearer token.</p>
        <label htmlFor="api-key">API key</label>
        <input id="api-key" type="password" autoComplete="off" value={key} onChange={(e) => setKey(e.target.value)} autoFocus />
        {error && (
          <p role="alert" className={styles.error}>
            {error}
          </p>
        )}
        <button type="submit" disabled={checking || !key.trim()}>
          {checking ? 'Checking…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
