// Sign in with the admin credentials (users of the admin password file).
import { useState } from "preact/hooks";
import { ErrorNotice } from "../components/notice.tsx";
import type { AdminApi } from "../lib/api.ts";
import type { StoredLogin, TokenStore } from "../lib/auth.ts";
import { ApiError } from "../lib/errors.ts";

/** Props of {@link LoginPage}. */
export interface LoginPageProps {
  api: AdminApi;
  store: TokenStore;
  onLogin: (login: StoredLogin) => void;
  /** Why the API could not be reached, if that is why this page shows. */
  probeError?: unknown;
}

/** The login form. */
export function LoginPage({ api, store, onLogin, probeError }: LoginPageProps) {
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const result = await api.login(username, password);
      onLogin(store.save(username, result));
    } catch (err) {
      setError(
        err instanceof ApiError && err.code === "unauthorized"
          ? new Error("Wrong user name or password.")
          : err instanceof ApiError && err.code === "too_many_requests"
            ? new Error("Too many failed logins: wait a moment and try again.")
            : err,
      );
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="login">
      <form onSubmit={submit} aria-labelledby="login-title">
        <h1 id="login-title">amqtt dashboard</h1>
        <p class="muted">Sign in with an admin or viewer account of the broker.</p>
        <ErrorNotice error={probeError} />
        <label for="login-username">User name</label>
        <input
          id="login-username"
          name="username"
          autocomplete="username"
          required
          value={username}
          onInput={(e) => setUsername(e.currentTarget.value)}
        />
        <label for="login-password">Password</label>
        <input
          id="login-password"
          name="password"
          type="password"
          autocomplete="current-password"
          required
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
        <button type="submit" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
        <ErrorNotice error={error} />
      </form>
    </main>
  );
}
