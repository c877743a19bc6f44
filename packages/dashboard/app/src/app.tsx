// The shell: finds out whether the API needs a login, shows the login page or the
// signed-in layout (navigation plus the page the hash route names).
import { useMemo, useState } from "preact/hooks";
import { Dashboard, type DashboardContext, useDashboard } from "./context.ts";
import { AdminApi } from "./lib/api.ts";
import { type StoredLogin, TokenStore } from "./lib/auth.ts";
import { ApiError } from "./lib/errors.ts";
import { useHashRoute, usePoll } from "./lib/hooks.ts";
import { ClientsPage } from "./pages/clients.tsx";
import { LivePage } from "./pages/live.tsx";
import { LoginPage } from "./pages/login.tsx";
import { OverviewPage } from "./pages/overview.tsx";
import { PublishPage } from "./pages/publish.tsx";
import { RetainedPage } from "./pages/retained.tsx";
import { SessionsPage } from "./pages/sessions.tsx";
import { SubscriptionsPage } from "./pages/subscriptions.tsx";

/** The pages, in navigation order: route, label, component. */
const pages = [
  { route: "overview", label: "Overview", Page: OverviewPage },
  { route: "clients", label: "Clients", Page: ClientsPage },
  { route: "sessions", label: "Sessions", Page: SessionsPage },
  { route: "subscriptions", label: "Subscriptions", Page: SubscriptionsPage },
  { route: "retained", label: "Retained", Page: RetainedPage },
  { route: "publish", label: "Publish", Page: PublishPage },
  { route: "live", label: "Live topics", Page: LivePage },
] as const;

/** The dashboard application. */
export function App() {
  const store = useMemo(() => new TokenStore(window.sessionStorage), []);
  const [login, setLogin] = useState<StoredLogin | undefined>(() => store.load());
  const api = useMemo(
    () =>
      new AdminApi({
        baseUrl: new URL(".", window.location.href).toString(),
        token: () => store.load()?.token,
        onUnauthorized: () => {
          store.clear();
          setLogin(undefined);
        },
      }),
    [store],
  );
  // Without a login, ask once whether the API answers anyway (open mode on loopback).
  const probe = usePoll(() => api.broker(), 0, [login === undefined]);
  const open = login === undefined && probe.data !== undefined;
  const needsLogin =
    login === undefined && probe.error instanceof ApiError && probe.error.code === "unauthorized";

  if (login === undefined && !open) {
    if (!needsLogin && probe.loading) return <p class="splash">Connecting to the admin API…</p>;
    return (
      <LoginPage
        api={api}
        store={store}
        onLogin={setLogin}
        probeError={needsLogin ? undefined : probe.error}
      />
    );
  }
  const context: DashboardContext = { api, role: login?.role ?? "admin", username: login?.username };
  return (
    <Dashboard.Provider value={context}>
      <Layout
        open={open}
        onLogout={() => {
          store.clear();
          setLogin(undefined);
          probe.reload();
        }}
      />
    </Dashboard.Provider>
  );
}

function Layout({ open, onLogout }: { open: boolean; onLogout: () => void }) {
  const route = useHashRoute();
  const current = pages.find((p) => p.route === route) ?? pages[0];
  const { username, role } = useDashboard();
  return (
    <div class="layout">
      <header class="topbar">
        <a class="brand" href="#/overview">
          amqtt
        </a>
        <nav aria-label="Pages">
          <ul>
            {pages.map((p) => (
              <li key={p.route}>
                <a href={`#/${p.route}`} aria-current={p === current ? "page" : undefined}>
                  {p.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="user">
          {open ? (
            <span title="The admin API has no credentials configured and answers on loopback only">
              open mode
            </span>
          ) : (
            <>
              <span>
                {username} ({role})
              </span>
              <button type="button" onClick={onLogout}>
                Log out
              </button>
            </>
          )}
        </div>
      </header>
      <main id="main">
        <current.Page />
      </main>
    </div>
  );
}
