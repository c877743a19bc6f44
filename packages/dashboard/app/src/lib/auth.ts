// The login token, kept in sessionStorage: it lives as long as the browser tab and is
// never written where another tab or a later visit would find it.
import type { LoginResult, Role } from "./types.ts";

const storageKey = "amqtt.dashboard.session";

/** What the dashboard remembers of a login. */
export interface StoredLogin {
  token: string;
  role: Role;
  username: string;
  /** Epoch milliseconds after which the token is not sent again. */
  expiresAt: number;
}

/** The token store over a `Storage` (the tab's sessionStorage in the app). */
export class TokenStore {
  constructor(
    private readonly storage: Pick<Storage, "getItem" | "setItem" | "removeItem">,
    private readonly now: () => number = Date.now,
  ) {}

  /** Remembers a successful login. */
  save(username: string, result: LoginResult): StoredLogin {
    const expiresAt = Date.parse(result.expiresAt);
    const login: StoredLogin = {
      token: result.token,
      role: result.role,
      username,
      expiresAt: Number.isNaN(expiresAt) ? this.now() + 3_600_000 : expiresAt,
    };
    this.storage.setItem(storageKey, JSON.stringify(login));
    return login;
  }

  /** The remembered login, unless missing, unreadable or expired (then it is forgotten). */
  load(): StoredLogin | undefined {
    const raw = this.storage.getItem(storageKey);
    if (raw === null) return undefined;
    try {
      const login = JSON.parse(raw) as StoredLogin;
      if (
        typeof login.token === "string" &&
        typeof login.expiresAt === "number" &&
        login.expiresAt > this.now()
      ) {
        return login;
      }
    } catch {
      // unreadable: forget it below
    }
    this.clear();
    return undefined;
  }

  /** Forgets the login (log out, or the API said 401). */
  clear(): void {
    this.storage.removeItem(storageKey);
  }
}
