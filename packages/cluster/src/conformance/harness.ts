import type {
  ClusterBus,
  ClusterEnvelope,
  ClusterEvents,
  ClusterNode,
  ClusterOptions,
  EngineStatus,
} from "../contract.js";

/** What an engine gives the conformance suite: buses on one shared engine, and the faults to inject. */
export interface ClusterHarness {
  /** A new, unstarted bus for `options.nodeId` on the shared engine. */
  createBus(options: ClusterOptions): ClusterBus;
  /**
   * `bus` stops as if its process died: no leave, no more renewals, no more
   * reading or acking. Resolves once its lease has lapsed in the engine
   * (the other nodes may not have noticed yet).
   */
  crash(bus: ClusterBus): Promise<void>;
  /** Make the engine unreachable (`false`: stalled, not answering) or reachable again. */
  setEngineAvailable(available: boolean): Promise<void>;
  /** Options merged into every bus the suite creates (short leases for a real engine). */
  readonly options?: Omit<ClusterOptions, "nodeId">;
  /** Erase what the tests left (buses are stopped before). */
  close(): Promise<void>;
}

/** Makes a fresh harness (a fresh, empty cluster) for one test. */
export type CreateClusterHarness = () => Promise<ClusterHarness>;

/** One received envelope and its ack. */
export interface Received {
  readonly envelope: ClusterEnvelope;
  readonly ack: () => void;
}

/** Records what a bus raised, for assertions. */
export class Recorder implements ClusterEvents {
  readonly envelopes: Received[] = [];
  readonly ups: ClusterNode[] = [];
  readonly downs: string[] = [];
  readonly statuses: EngineStatus[] = [];
  /** Ack every envelope as it arrives. */
  autoAck = false;

  envelope(envelope: ClusterEnvelope, ack: () => void): void {
    this.envelopes.push({ envelope, ack });
    if (this.autoAck) ack();
  }
  nodeUp(node: ClusterNode): void {
    this.ups.push(node);
  }
  nodeDown(nodeId: string): void {
    this.downs.push(nodeId);
  }
  engineStatus(status: EngineStatus): void {
    this.statuses.push(status);
  }
}

/** A started bus and what it raised. */
export interface TestNode {
  readonly bus: ClusterBus;
  readonly events: Recorder;
}

/** The ids of the nodes `bus` lists, sorted. */
export const nodeIds = (bus: ClusterBus): string[] =>
  bus
    .nodes()
    .map((n) => n.nodeId)
    .sort();

/** Whether `bus` lists node `nodeId`. */
export const lists = (bus: ClusterBus, nodeId: string): boolean =>
  bus.nodes().some((n) => n.nodeId === nodeId);

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `condition` until true; fails with `what` after `timeoutMs`. */
export async function waitFor(what: string, condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

/** What each test gets: nodes on one harness, stopped and erased after the test. */
export interface SuiteContext {
  /** The harness of the current test (created on first use). */
  harness(): Promise<ClusterHarness>;
  /** Creates and starts a node on the current harness. */
  node(nodeId: string, options?: Omit<ClusterOptions, "nodeId">): Promise<TestNode>;
  /** Creates, without starting, a bus on the current harness (stopped after the test). */
  bus(nodeId: string, options?: Omit<ClusterOptions, "nodeId">): Promise<ClusterBus>;
  /** The lease of the suite's buses (harness options or the default). */
  leaseMs(): Promise<number>;
  /** The request timeout of the suite's buses. */
  requestTimeoutMs(): Promise<number>;
}

/** Builds the per-test context and its cleanup. */
export function createSuiteContext(create: CreateClusterHarness): {
  context: SuiteContext;
  cleanup: () => Promise<void>;
} {
  let current: ClusterHarness | undefined;
  let buses: ClusterBus[] = [];
  const harness = async () => {
    current ??= await create();
    return current;
  };
  const bus = async (nodeId: string, options: Omit<ClusterOptions, "nodeId"> = {}) => {
    const h = await harness();
    const b = h.createBus({ ...h.options, ...options, nodeId });
    buses.push(b);
    return b;
  };
  const context: SuiteContext = {
    harness,
    bus,
    node: async (nodeId, options) => {
      const b = await bus(nodeId, options);
      const events = new Recorder();
      await b.start(events);
      return { bus: b, events };
    },
    leaseMs: async () => (await harness()).options?.leaseMs ?? 10_000,
    requestTimeoutMs: async () => (await harness()).options?.requestTimeoutMs ?? 2_000,
  };
  const cleanup = async () => {
    const h = current;
    current = undefined;
    if (h === undefined) return;
    await h.setEngineAvailable(true);
    const all = buses;
    buses = [];
    const failures: unknown[] = [];
    for (const b of all)
      await b.stop().catch((error: unknown) => {
        failures.push(error);
      });
    await h.close();
    if (failures.length > 0) throw new AggregateError(failures, "stopping the buses failed");
  };
  return { context, cleanup };
}

/** Bytes of a short text. */
export const bytes = (text: string) => new TextEncoder().encode(text);
/** The text of bytes. */
export const text = (body: Uint8Array) => new TextDecoder().decode(body);
