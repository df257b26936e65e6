import { token } from '../api.js';

/** The API token is kept in this browser (localStorage) and sent as `Authorization: Bearer` on every call. */
export function SignIn({ onDone }: { onDone: () => void }) {
  const onSubmit = (event: Event) => {
    event.preventDefault();
    const value = String(new FormData(event.currentTarget as HTMLFormElement).get('token')).trim();
    if (value === '') return;
    token.set(value);
    onDone();
  };
  return (
    <section class="card narrow">
      <h1>Sign in</h1>
      <p class="muted">Paste an API token with the read scope. It stays in this browser only.</p>
      <form onSubmit={onSubmit}>
        <input name="token" type="password" autoComplete="off" placeholder="API token" aria-label="API token" />
        <button type="submit">Sign in</button>
      </form>
    </section>
  );
}
