import { ReasonCode, reasonCodeName, utf8Length } from "@amqtt/codec";
import type { AuthRequestAction, ConnectRequestAction } from "@amqtt/session";
import type { ResolvedBrokerConfig } from "../config/resolve.js";
import { type AuthDecision, isPromiseLike, type PluginHost } from "../core/plugin-host.js";
import type { BrokerConnection } from "../core/session-state.js";
import type { Clock } from "../core/timers.js";
import { generateClientId } from "./client-id.js";
import { willRefusal } from "./connack.js";

/** What authentication needs from the broker. */
export interface ConnectAuthHost {
  readonly config: ResolvedBrokerConfig;
  readonly plugins: PluginHost;
  readonly clock: Clock;
  /** The client is authenticated: attach it to its session and send the CONNACK. */
  admit(
    conn: BrokerConnection,
    clientId: string,
    action: ConnectRequestAction,
    authenticationData?: Uint8Array,
  ): void;
  warn(message: string, error: unknown): void;
  /** Authentication refused a CONNECT (counted for `/metrics`). */
  authFailed?(): void;
}

/** A 5.0 enhanced authentication exchange in progress: the plugin's state and the CONNECT it is for. */
interface Exchange {
  conversation: Map<string, unknown>;
  connect?: { clientId: string; action: ConnectRequestAction };
}

/**
 * The CONNECT checks before admission: the client id (assigned when empty,
 * bounded in length), the will against the capabilities, and authentication,
 * plain (the plugins' combined answer) or 5.0 enhanced (an AUTH exchange run
 * by the plugin host's authenticator of the method), also for re-authentication.
 */
export class ConnectAuth {
  private readonly exchanges = new WeakMap<BrokerConnection, Exchange>();

  constructor(private readonly host: ConnectAuthHost) {}

  /** A CONNECT arrived: check it, authenticate, then admit or refuse. */
  connectRequest(conn: BrokerConnection, action: ConnectRequestAction): void {
    const { config, clock } = this.host;
    const packet = action.packet;
    const clientId = action.needsClientId ? generateClientId() : packet.clientId;
    if (utf8Length(clientId) > config.limits.maxClientIdLength) {
      conn.apply(conn.session.refuse(ReasonCode.CLIENT_IDENTIFIER_NOT_VALID, clock.now()));
      return;
    }
    conn.info.clientId = clientId;
    if (packet.bridge === true) conn.info.bridge = true;
    const refusal = willRefusal(config, packet);
    if (refusal !== undefined) {
      conn.apply(conn.session.refuse(refusal, clock.now(), { reasonString: reasonCodeName(refusal) }));
      return;
    }
    if (action.authentication !== undefined) {
      // 5.0 enhanced authentication (section 4.12): the method's plugin runs the exchange.
      this.exchanges.set(conn, { conversation: new Map(), connect: { clientId, action } });
      this.step(conn, action.authentication.method, action.authentication.data, "connect", true);
      return;
    }
    const decided = (decision: AuthDecision): void => {
      if (conn.session.state !== "awaitingAccept") return; // closed while plugins thought
      if (!decision.accepted) {
        // A Reason String, and for 0x9C/0x9D the Server Reference of a redirection (section 4.11).
        const properties: { reasonString?: string; serverReference?: string } = {};
        if (decision.reasonString !== undefined) properties.reasonString = decision.reasonString;
        if (decision.serverReference !== undefined) properties.serverReference = decision.serverReference;
        const some = Object.keys(properties).length > 0 ? properties : undefined;
        this.host.authFailed?.();
        conn.apply(conn.session.refuse(decision.reasonCode ?? ReasonCode.NOT_AUTHORIZED, clock.now(), some));
        return;
      }
      this.host.admit(conn, clientId, action);
    };
    const decision = this.host.plugins.authenticate(conn.info);
    if (isPromiseLike(decision)) {
      decision.then(decided, (error) => {
        this.host.warn("authentication failed", error);
        decided({ accepted: false, reasonCode: ReasonCode.UNSPECIFIED_ERROR });
      });
    } else decided(decision);
  }

  /** An AUTH arrived: Re-authenticate starts a re-authentication, Continue authentication goes on with the exchange. */
  authRequest(conn: BrokerConnection, action: AuthRequestAction): void {
    const first = action.phase === "reauth" && action.reasonCode === ReasonCode.RE_AUTHENTICATE;
    if (first || !this.exchanges.has(conn)) this.exchanges.set(conn, { conversation: new Map() });
    this.step(conn, action.method, action.data, action.phase, first);
  }

  /** Run one step of an enhanced authentication exchange through the authenticator of `method`. */
  private step(
    conn: BrokerConnection,
    method: string,
    data: Uint8Array | undefined,
    phase: "connect" | "reauth",
    first: boolean,
  ): void {
    const clock = this.host.clock;
    const fail = (code: number, reasonString?: string): void => {
      this.exchanges.delete(conn);
      this.host.authFailed?.();
      if (phase === "connect") {
        if (conn.session.state === "awaitingAccept")
          conn.apply(
            conn.session.refuse(code, clock.now(), reasonString === undefined ? undefined : { reasonString }),
          );
      } else conn.disconnect(code);
    };
    const authenticator = this.host.plugins.enhancedAuthenticator?.(method);
    const exchange = this.exchanges.get(conn);
    if (authenticator === undefined || exchange === undefined) {
      fail(ReasonCode.BAD_AUTHENTICATION_METHOD);
      return;
    }
    Promise.resolve()
      .then(() =>
        authenticator(conn.info, { method, data, phase, first, conversation: exchange.conversation }),
      )
      .then(
        (answer) => {
          if (conn.closed || this.exchanges.get(conn) !== exchange) return;
          if ("continue" in answer) {
            conn.apply(conn.session.authContinue(answer.continue, clock.now()));
          } else if ("success" in answer) {
            if (answer.username !== undefined) conn.info.username = answer.username;
            this.exchanges.delete(conn);
            if (phase === "reauth") conn.apply(conn.session.authSucceed(answer.data, clock.now()));
            else if (exchange.connect !== undefined && conn.session.state === "awaitingAccept")
              this.host.admit(conn, exchange.connect.clientId, exchange.connect.action, answer.data);
          } else fail(answer.fail, answer.reasonString);
        },
        (error) => {
          this.host.warn(`enhanced authentication (${method}) failed`, error);
          if (!conn.closed && this.exchanges.get(conn) === exchange) fail(ReasonCode.UNSPECIFIED_ERROR);
        },
      );
  }
}
