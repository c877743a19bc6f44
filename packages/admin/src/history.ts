import { monitorEventLoopDelay } from "node:perf_hooks";
import type { BrokerStats } from "@amqtt/broker";

/** One point of the stats history; rates are per second over the interval before `t`. */
export interface HistorySample {
  /** ms since the epoch. */
  t: number;
  connections: number;
  messagesIn: number;
  messagesOut: number;
  bytesIn: number;
  bytesOut: number;
  dropped: number;
  rss: number;
  heapUsed: number;
  cpuPercent: number;
  eventLoopLagMs: number;
}

/** Samples kept by default (10 minutes at one per second). */
export const DEFAULT_HISTORY_SAMPLES = 600;
/** Default sampling interval, ms. */
export const DEFAULT_HISTORY_INTERVAL_MS = 1000;

/**
 * The stats history for the dashboard's charts: a ring buffer of the last
 * `capacity` samples, one per `intervalMs`, made by a timer that does not keep
 * the process alive. Also the process figures of `/api/v1/stats`.
 */
export class StatsHistory {
  private readonly ring: (HistorySample | undefined)[];
  private next = 0;
  private filled = 0;
  private timer: NodeJS.Timeout | undefined;
  private last: { at: number; stats: BrokerStats; cpu: NodeJS.CpuUsage } | undefined;
  private readonly lag = monitorEventLoopDelay({ resolution: 20 });
  private lastLagMs = 0;

  constructor(
    private readonly stats: () => BrokerStats,
    readonly capacity = DEFAULT_HISTORY_SAMPLES,
    readonly intervalMs = DEFAULT_HISTORY_INTERVAL_MS,
  ) {
    this.ring = new Array(capacity);
  }

  /** Start sampling. */
  start(): void {
    if (this.timer !== undefined) return;
    this.lag.enable();
    this.last = { at: Date.now(), stats: this.stats(), cpu: process.cpuUsage() };
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
  }

  /** Stop sampling (the samples stay). */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.lag.disable();
  }

  /** The mean event-loop delay over the last interval, ms. */
  get eventLoopLagMs(): number {
    return this.lastLagMs;
  }

  /** Take one sample now (the timer calls this; tests may too). */
  sample(now = Date.now()): HistorySample {
    const stats = this.stats();
    const cpu = process.cpuUsage();
    const last = this.last ?? { at: now - this.intervalMs, stats, cpu };
    const seconds = Math.max((now - last.at) / 1000, 0.001);
    const rate = (a: number, b: number) => Math.max(0, (a - b) / seconds);
    const cpuMicros = cpu.user - last.cpu.user + (cpu.system - last.cpu.system);
    const mean = this.lag.mean;
    // The histogram reports NaN before its first measurement; 0 then.
    this.lastLagMs = Number.isFinite(mean) ? Math.max(0, mean / 1e6 - 20) : 0;
    this.lag.reset();
    const memory = process.memoryUsage();
    const sample: HistorySample = {
      t: now,
      connections: stats.clientsConnected,
      messagesIn: rate(stats.publishReceived, last.stats.publishReceived),
      messagesOut: rate(stats.publishSent, last.stats.publishSent),
      bytesIn: rate(stats.bytesReceived, last.stats.bytesReceived),
      bytesOut: rate(stats.bytesSent, last.stats.bytesSent),
      dropped: rate(stats.messagesDropped, last.stats.messagesDropped),
      rss: memory.rss,
      heapUsed: memory.heapUsed,
      cpuPercent: (cpuMicros / 1e6 / seconds) * 100,
      eventLoopLagMs: this.lastLagMs,
    };
    this.last = { at: now, stats, cpu };
    this.ring[this.next] = sample;
    this.next = (this.next + 1) % this.capacity;
    this.filled = Math.min(this.filled + 1, this.capacity);
    return sample;
  }

  /** The samples, oldest first (at most `capacity`). */
  samples(): HistorySample[] {
    const out: HistorySample[] = [];
    const start = (this.next - this.filled + this.capacity) % this.capacity;
    for (let i = 0; i < this.filled; i++) out.push(this.ring[(start + i) % this.capacity]!);
    return out;
  }
}
