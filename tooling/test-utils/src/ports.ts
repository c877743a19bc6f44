import { connect, createServer } from "node:net";

/** A free loopback port: listen on 0, read the port, close. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Whether something accepts a TCP connection on loopback `port` right now. */
export function accepts(port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/**
 * Wait until loopback `port` accepts connections (a process we spawned is up).
 * Throws after `attempts` tries, with `log()` (the process's output) in the message.
 */
export async function waitForPort(port: number, log: () => string = () => "", attempts = 200): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (await accepts(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`nothing listened on 127.0.0.1:${port}: ${log()}`);
}
