import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const appRoot = fileURLToPath(new URL("./app", import.meta.url));
const outDir = fileURLToPath(new URL("./dist/app", import.meta.url));
// `pnpm dev` proxies the API to an admin listener (default the admin's default bind).
const adminUrl = process.env.AMQTT_ADMIN_URL ?? "http://127.0.0.1:9090";

export default defineConfig({
  root: appRoot,
  // Relative asset URLs: the admin listener may serve the dashboard under any prefix.
  base: "./",
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: { outDir, emptyOutDir: true, sourcemap: true, target: "es2022" },
  server: {
    host: "127.0.0.1",
    proxy: {
      "/api": { target: adminUrl, ws: true, changeOrigin: true },
      "/healthz": adminUrl,
      "/readyz": adminUrl,
      "/metrics": adminUrl,
    },
  },
});
