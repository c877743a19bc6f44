// Kept only for backpressure.test.ts (its rewrite is another change): the TCP helpers live in e2e/tcp.ts.
export * from "../e2e/tcp.js";
