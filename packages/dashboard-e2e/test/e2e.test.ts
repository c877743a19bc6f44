// The dashboard end to end: a broker with the admin listener (@amqtt/admin serving
// this package's built assets), MQTT.js clients, and Debian's Chromium doing what a
// person does. Screenshots of each page go to test-artifacts/; with
// AMQTT_UPDATE_SCREENSHOT=1 the overview is also written to docs/dashboard.png.
import { copyFileSync } from "node:fs";
import { join } from "node:path";
import { ReasonCode } from "@amqtt/codec";
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AdminBroker, startAdminBroker } from "./admin-broker.ts";
import {
  type Browser,
  horizontalOverflow,
  launchBrowser,
  screenshot,
  seriesPixelsPerChart,
} from "./browser.ts";

const password = "dashboard-e2e-secret";
let broker: AdminBroker;
let browser: Browser;
const clients: MqttClient[] = [];

beforeAll(async () => {
  broker = await startAdminBroker({ users: [{ username: "ops", password, role: "admin" }] });
  browser = await launchBrowser();
});

afterAll(async () => {
  for (const c of clients) c.end(true);
  await browser?.close();
  await broker?.stop();
});

/** A screenshot to test-artifacts/, and the page fits 1280 px wide (no horizontal scrolling). */
async function shoot(page: Browser["page"], name: string): Promise<string> {
  const path = await screenshot(page, name);
  expect(await horizontalOverflow(page), `${name} is wider than the viewport`).toBe(0);
  return path;
}

/** An MQTT.js 5.0 client on the broker's TCP listener, connected, never reconnecting. */
async function connectClient(clientId: string, options: IClientOptions = {}): Promise<MqttClient> {
  const client = mqtt.connect(broker.mqttUrl, {
    clientId,
    protocolVersion: 5,
    reconnectPeriod: 0,
    connectTimeout: 5000,
    ...options,
  });
  clients.push(client);
  await new Promise<void>((resolve, reject) => {
    client.once("connect", () => resolve());
    client.once("error", reject);
  });
  return client;
}

describe("the dashboard in Chromium", () => {
  it("logs in with the admin credentials and keeps the token in sessionStorage only", async () => {
    const { page } = browser;
    await page.goto(broker.adminUrl);
    await page.getByLabel("User name").fill("ops");
    await page.getByLabel("Password").fill("wrong password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => page.getByRole("alert").textContent()).toContain("Wrong user name or password");
    await shoot(page, "login");
    await page.getByLabel("Password").fill(password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Overview" }).waitFor();
    const stored = await page.evaluate(() => ({
      session: sessionStorage.length,
      local: localStorage.length,
    }));
    expect(stored).toEqual({ session: 1, local: 0 });
  });

  it("shows a connected client appear, and kicks it (5.0: DISCONNECT AdministrativeAction)", async () => {
    const { page } = browser;
    await page.getByRole("link", { name: "Clients" }).click();
    await page.getByRole("heading", { name: "Clients" }).waitFor();
    const sensor = await connectClient("e2e-sensor");
    const row = page.getByRole("row").filter({ hasText: "e2e-sensor" });
    await row.waitFor();
    await expect.poll(() => row.getByRole("cell").nth(3).textContent()).toBe("5.0");
    await shoot(page, "clients");

    const disconnected = new Promise<number | undefined>((resolve) =>
      sensor.once("disconnect", (packet) => resolve(packet.reasonCode)),
    );
    const closed = new Promise<void>((resolve) => sensor.once("close", () => resolve()));
    await row.getByRole("button", { name: "Kick e2e-sensor" }).click();
    await page.getByRole("button", { name: "Confirm kick e2e-sensor" }).click();
    // MQTT 5.0 reason code AdministrativeAction (the name the API was given), [MQTT-3.14.2-1].
    expect(await disconnected).toBe(ReasonCode.ADMINISTRATIVE_ACTION);
    await closed;
    await expect.poll(() => page.getByRole("status").textContent()).toContain("Disconnected e2e-sensor");
    await row.waitFor({ state: "detached" });
  });

  it("watches a published message arrive in the live topic viewer", async () => {
    const { page } = browser;
    await page.getByRole("link", { name: "Live topics" }).click();
    await page.getByLabel("Topic filter").fill("e2e/#");
    await page.getByRole("button", { name: "Subscribe" }).click();
    await expect.poll(() => page.getByRole("status").textContent()).toContain("Watching e2e/#");
    const publisher = await connectClient("e2e-publisher");
    await publisher.publishAsync("e2e/hello", "hello from MQTT.js", { qos: 1 });
    await publisher.publishAsync("other/topic", "not for this filter", { qos: 1 });
    const row = page.getByRole("row").filter({ hasText: "e2e/hello" });
    await row.waitFor();
    expect(await row.textContent()).toContain("hello from MQTT.js");
    await publisher.publishAsync("e2e/second", "two", { qos: 0 });
    await page.getByRole("row").filter({ hasText: "e2e/second" }).waitFor();
    expect(await page.getByRole("row").filter({ hasText: "other/topic" }).count()).toBe(0);
    await shoot(page, "live");
  });

  it("publishes a retained message from the form, browses it and deletes it", async () => {
    const { page } = browser;
    await page.getByRole("link", { name: "Publish" }).click();
    await page.getByLabel("Topic", { exact: true }).fill("e2e/retained/temp");
    await page.getByLabel("Payload", { exact: true }).fill("21.5 °C");
    await page.getByLabel("QoS").selectOption("1");
    await page.getByLabel("Retain").check();
    await shoot(page, "publish");
    await page.getByRole("button", { name: "Publish" }).click();
    await expect
      .poll(() => page.getByRole("status").textContent())
      .toContain("Published to e2e/retained/temp");

    await page.getByRole("link", { name: "Retained" }).click();
    const row = page.getByRole("row").filter({ hasText: "e2e/retained/temp" });
    await row.waitFor();
    await row.getByRole("button", { name: "e2e/retained/temp", exact: true }).click();
    const view = page.getByRole("complementary");
    await expect.poll(() => view.textContent()).toContain("21.5 °C");
    await shoot(page, "retained");
    await row.getByRole("button", { name: "Delete e2e/retained/temp" }).click();
    await row.waitFor({ state: "detached" });
    // The broker no longer has it: a new subscriber gets the retained marker set
    // beside it, and nothing else (both would be sent on subscribe).
    const viewer = await connectClient("e2e-retained-check");
    await viewer.publishAsync("e2e/retained/marker", "still here", { qos: 1, retain: true });
    const got: string[] = [];
    const marker = new Promise<void>((resolve) =>
      viewer.on("message", (topic) => {
        got.push(topic);
        if (topic === "e2e/retained/marker") resolve();
      }),
    );
    await viewer.subscribeAsync("e2e/retained/#", { qos: 1 });
    await marker;
    expect(got).toEqual(["e2e/retained/marker"]);
    await viewer.publishAsync("e2e/retained/marker", "", { qos: 1, retain: true });
  });

  it("lists subscriptions and sessions, and deletes an offline session", async () => {
    const { page } = browser;
    const holder = await connectClient("e2e-subscriber");
    await holder.subscribeAsync("e2e/subs/+/state", { qos: 2 });
    await page.getByRole("link", { name: "Subscriptions" }).click();
    const subRow = page.getByRole("row").filter({ hasText: "e2e/subs/+/state" });
    await subRow.waitFor();
    expect(await subRow.textContent()).toContain("e2e-subscriber");
    await shoot(page, "subscriptions");

    // A persistent 5.0 session (expiry one hour) left behind by a client that disconnects.
    const leaver = await connectClient("e2e-offline", {
      clean: false,
      properties: { sessionExpiryInterval: 3600 },
    });
    await leaver.subscribeAsync("e2e/offline/#", { qos: 1 });
    await leaver.endAsync();
    await page.getByRole("link", { name: "Sessions" }).click();
    const online = page.getByRole("row").filter({ hasText: "e2e-subscriber" });
    await online.waitFor();
    expect(await online.textContent()).toContain("online");
    const offline = page.getByRole("row").filter({ hasText: "e2e-offline" });
    await expect.poll(() => offline.textContent()).toContain("offline");
    expect(await offline.textContent()).toContain("1h 0m");
    expect(await online.getByRole("button", { name: /Delete/ }).count()).toBe(0); // online: 409 anyway
    await shoot(page, "sessions");
    await offline.getByRole("button", { name: "Delete session e2e-offline" }).click();
    await offline.waitFor({ state: "detached" });
    expect(broker.broker.context.session("e2e-offline")).toBeUndefined(); // gone from the broker, not only the table
  });

  it("draws every chart of the overview from the stats history", async () => {
    const { page, pageErrors } = browser;
    const publisher = await connectClient("e2e-load");
    // A little traffic over a few samples, so the rate charts have something to show.
    const load = setInterval(() => {
      for (let i = 0; i < 20; i++) publisher.publish(`e2e/load/${i % 5}`, `m${i}`, { qos: 0 });
    }, 200);
    await page.getByRole("link", { name: "Overview" }).click();
    await page.getByRole("heading", { name: "Overview" }).waitFor();
    const charts = [
      "Connections",
      "Messages per second",
      "Bytes per second",
      "Dropped messages per second",
      "Memory",
      "CPU",
      "Event-loop lag",
    ];
    // Lines need two samples at least; the history has one a second.
    await expect
      .poll(async () => (await seriesPixelsPerChart(page)).filter((c) => c.pixels > 0).map((c) => c.title), {
        timeout: 20_000,
        interval: 500,
      })
      .toEqual(charts);
    await new Promise((r) => setTimeout(r, 3000));
    clearInterval(load);
    await expect.poll(() => page.getByRole("definition").first().textContent()).not.toBe("…");
    const path = await shoot(page, "overview");
    if (process.env.AMQTT_UPDATE_SCREENSHOT === "1") {
      copyFileSync(path, join(import.meta.dirname, "..", "..", "..", "docs", "dashboard.png"));
    }
    expect(pageErrors).toEqual([]);
  });

  it("follows a dark colour scheme (prefers-color-scheme)", async () => {
    const { page } = browser;
    const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    const seriesColour = () =>
      page.evaluate(() => {
        const marker = document.querySelector(".u-series:not(:first-child) .u-marker");
        return marker === null ? "" : getComputedStyle(marker).borderColor;
      });
    const light = { background: await background(), series: await seriesColour() };
    await page.emulateMedia({ colorScheme: "dark" });
    await expect.poll(background).not.toBe(light.background);
    // The charts are drawn again in the dark scheme's colours, and drawn at all.
    await expect.poll(seriesColour).not.toBe(light.series);
    await expect
      .poll(async () => (await seriesPixelsPerChart(page)).every((c) => c.pixels > 0), { timeout: 10_000 })
      .toBe(true);
    await shoot(page, "overview-dark");
    await page.emulateMedia({ colorScheme: "light" });
  });
});

describe("a viewer in Chromium", () => {
  let viewerBroker: AdminBroker;
  let viewerBrowser: Browser;
  beforeAll(async () => {
    viewerBroker = await startAdminBroker({ users: [{ username: "watcher", password, role: "viewer" }] });
    viewerBrowser = await launchBrowser();
  });
  afterAll(async () => {
    await viewerBrowser?.close();
    await viewerBroker?.stop();
  });

  it("sees clients but gets no button that changes anything", async () => {
    const { page } = viewerBrowser;
    await page.goto(viewerBroker.adminUrl);
    await page.getByLabel("User name").fill("watcher");
    await page.getByLabel("Password").fill(password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => page.getByRole("banner").textContent()).toContain("watcher (viewer)");
    const client = mqtt.connect(viewerBroker.mqttUrl, {
      clientId: "e2e-watched",
      protocolVersion: 4,
      reconnectPeriod: 0,
    });
    clients.push(client);
    await page.getByRole("link", { name: "Clients" }).click();
    const row = page.getByRole("row").filter({ hasText: "e2e-watched" });
    await row.waitFor();
    expect(await row.textContent()).toContain("3.1.1");
    expect(await page.getByRole("button", { name: /Kick/ }).count()).toBe(0);
    await page.getByRole("link", { name: "Publish" }).click();
    await expect
      .poll(() => page.getByRole("main").textContent())
      .toContain("Publishing needs the admin role");
  });
});

describe("open mode (no admin credentials, loopback only)", () => {
  it("goes straight to the overview and says it is open", async () => {
    const open = await startAdminBroker();
    const b = await launchBrowser();
    try {
      await b.page.goto(open.adminUrl);
      await b.page.getByRole("heading", { name: "Overview" }).waitFor();
      expect(await b.page.getByRole("banner").textContent()).toContain("open mode");
      expect(await b.page.getByLabel("Password").count()).toBe(0);
    } finally {
      await b.close();
      await open.stop();
    }
  });
});
