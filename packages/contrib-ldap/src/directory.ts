import { Client, EqualityFilter, InvalidCredentialsError } from "ldapts";
import type { LdapConnection } from "./options.js";

/** One user entry found by the service account. */
export interface UserEntry {
  dn: string;
  attributes: Record<string, string[]>;
}

/** A bounded number of operations at once; the rest wait their turn. */
class Limiter {
  #active = 0;
  readonly #waiting: (() => void)[] = [];
  constructor(readonly max: number) {}
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#active >= this.max) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    this.#active++;
    try {
      return await task();
    } finally {
      this.#active--;
      this.#waiting.shift()?.();
    }
  }
}

/** The directory as the plugins use it: find a user, check a password by binding as the user. */
export class Directory {
  readonly #options: LdapConnection;
  readonly #limiter: Limiter;

  constructor(options: LdapConnection) {
    this.#options = options;
    this.#limiter = new Limiter(options.maxConnections);
  }

  #client(): Client {
    const o = this.#options;
    return new Client({
      url: o.server,
      timeout: o.timeoutMs,
      connectTimeout: o.timeoutMs,
      ...(o.server.startsWith("ldaps://") && o.ca !== undefined ? { tlsOptions: { ca: o.ca } } : {}),
    });
  }

  /** A connection, upgraded with StartTLS when configured. */
  async #open(): Promise<Client> {
    const client = this.#client();
    if (this.#options.startTls) {
      // The upgraded socket is checked against the server's host name, which ldapts does not pass on.
      const host = new URL(this.#options.server).hostname;
      await client.startTLS({ host, ...(this.#options.ca === undefined ? {} : { ca: this.#options.ca }) });
    }
    return client;
  }

  /**
   * Entries whose user attribute equals `username` (the value is escaped, so a
   * user name cannot change the filter), searched as the service account.
   */
  async findUsers(username: string, attributes: string[]): Promise<UserEntry[]> {
    return this.#limiter.run(async () => {
      const client = await this.#open();
      try {
        await client.bind(this.#options.bindDn, this.#options.bindPassword);
        const filter = new EqualityFilter({ attribute: this.#options.userAttribute, value: username });
        const { searchEntries } = await client.search(this.#options.baseDn, {
          scope: "sub",
          filter,
          attributes,
          sizeLimit: 2,
        });
        return searchEntries.map((entry) => ({
          dn: entry.dn,
          attributes: Object.fromEntries(
            attributes.map((a) => {
              const value = entry[a];
              const list = value === undefined ? [] : Array.isArray(value) ? value : [value];
              return [a, list.map((v) => (Buffer.isBuffer(v) ? v.toString("utf8") : String(v)))];
            }),
          ),
        }));
      } finally {
        await client.unbind().catch(() => undefined);
      }
    });
  }

  /** True when binding as `dn` with `password` succeeds; false for wrong credentials. */
  async checkPassword(dn: string, password: string): Promise<boolean> {
    return this.#limiter.run(async () => {
      const client = await this.#open();
      try {
        await client.bind(dn, password);
        return true;
      } catch (error) {
        if (error instanceof InvalidCredentialsError) return false;
        throw error;
      } finally {
        await client.unbind().catch(() => undefined);
      }
    });
  }
}
