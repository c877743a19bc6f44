// The client's clock is the shells' shared one (`@amqtt/transport`), re-exported for the client's users.
export { type Clock, systemClock, type TimerHandle } from "@amqtt/transport";
