import type { BrokerStats } from "@amqtt/broker";

/** Zeroed broker counters. */
export function emptyStats(): BrokerStats {
  return {
    startedAt: 0,
    bytesReceived: 0,
    bytesSent: 0,
    messagesReceived: 0,
    messagesSent: 0,
    publishReceived: 0,
    publishSent: 0,
    clientsConnected: 0,
    clientsDisconnected: 0,
    clientsMaximum: 0,
    clientsTotal: 0,
    inflightIn: 0,
    inflightOut: 0,
    storedMessages: 0,
    retainedCount: 0,
    retainedRefused: 0,
    subscriptionsCount: 0,
    messagesDropped: 0,
    publisherPauses: 0,
    publisherPausedMs: 0,
    ackTimeoutDisconnects: 0,
    publishThrottled: 0,
    rateLimitDisconnects: 0,
    connectionsRateLimited: 0,
    clientsRefusedBusy: 0,
    memoryBudgetDrops: 0,
    messageMemory: 0,
  };
}
