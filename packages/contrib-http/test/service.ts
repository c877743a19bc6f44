import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

/** One request the test service received, with its fields parsed from where they came. */
export interface SeenRequest {
  method: string;
  path: string;
  userAgent: string | undefined;
  contentType: string | undefined;
  /** Fields from the query string (GET form mode). */
  query: Record<string, string>;
  /** The body as sent. */
  body: string;
  /** The fields, from the JSON body, the form body or the query. */
  fields: Record<string, unknown>;
}

/** What the service answers; `hang` never answers, `close` drops the socket. */
export type Reply = { status: number; body?: string; type?: string } | "hang" | "close";

/** A real HTTP service on a free loopback port, answering with `decide`. */
export class TestService {
  readonly seen: SeenRequest[] = [];
  /** Sockets opened to the service so far, and open now. */
  connections = 0;
  open = 0;
  maxOpen = 0;
  decide: (request: SeenRequest) => Reply = () => ({ status: 200, body: '{"ok": true}' });
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  readonly #hanging = new Set<ServerResponse>();

  private constructor() {
    this.#server = createServer((req, res) => void this.#handle(req, res));
    this.#server.on("connection", (socket) => {
      this.connections++;
      this.open++;
      this.maxOpen = Math.max(this.maxOpen, this.open);
      this.#sockets.add(socket);
      socket.on("close", () => {
        this.open--;
        this.#sockets.delete(socket);
      });
    });
  }

  static async start(): Promise<TestService> {
    const service = new TestService();
    await new Promise<void>((resolve) => service.#server.listen(0, "127.0.0.1", resolve));
    return service;
  }

  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  /** Answer every hanging request now (200 `{"ok": true}`). */
  release(): void {
    for (const res of this.#hanging)
      res.writeHead(200, { "content-type": "application/json" }).end('{"ok": true}');
    this.#hanging.clear();
  }

  async stop(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    const url = new URL(req.url ?? "/", "http://x");
    const query = Object.fromEntries(url.searchParams);
    const contentType = req.headers["content-type"];
    let fields: Record<string, unknown> = query;
    if (contentType === "application/json") fields = JSON.parse(body) as Record<string, unknown>;
    else if (contentType === "application/x-www-form-urlencoded")
      fields = Object.fromEntries(new URLSearchParams(body));
    const seen: SeenRequest = {
      method: req.method ?? "",
      path: url.pathname,
      userAgent: req.headers["user-agent"],
      contentType,
      query,
      body,
      fields,
    };
    this.seen.push(seen);
    const reply = this.decide(seen);
    if (reply === "hang") {
      this.#hanging.add(res);
      return;
    }
    if (reply === "close") {
      req.socket.destroy();
      return;
    }
    res.writeHead(reply.status, { "content-type": reply.type ?? "application/json" }).end(reply.body ?? "");
  }
}
