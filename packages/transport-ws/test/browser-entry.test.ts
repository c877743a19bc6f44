import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

/** Every source file the root entry reaches through static relative imports. */
function reachableFrom(entry: URL): Map<string, string> {
  const files = new Map<string, string>();
  const visit = (url: URL): void => {
    if (files.has(url.href)) return;
    const text = readFileSync(url, "utf8");
    files.set(url.href, text);
    for (const match of text.matchAll(/^(?:import|export)[^;]*?from\s+"(\.[^"]+)"/gms)) {
      visit(new URL(match[1]!.replace(/\.js$/, ".ts"), url));
    }
  };
  visit(entry);
  return files;
}

describe("the browser entry (@amqtt/transport-ws)", () => {
  const files = reachableFrom(new URL("../src/index.ts", import.meta.url));

  it("reaches the dialer and the connection but not the Node listener", () => {
    const names = [...files.keys()].map((href) => href.slice(href.lastIndexOf("/") + 1));
    expect(names).toContain("dial.ts");
    expect(names).toContain("websocket-connection.ts");
    expect(names).not.toContain("listen.ts");
  });

  it("imports no Node built-in and loads ws only lazily, for Node without a global WebSocket", () => {
    for (const [file, text] of files) {
      expect(text, file).not.toMatch(/from\s+"node:/);
      expect(text, file).not.toMatch(/from\s+"ws"/);
      expect(text, file).not.toMatch(/\b(?:Buffer|process)\./);
    }
    expect([...files.values()].join("\n")).toMatch(/await import\("ws"\)/);
  });
});
