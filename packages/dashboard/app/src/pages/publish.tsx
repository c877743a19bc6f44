// Publish a message through the broker, as the admin API's publisher.
import { useState } from "preact/hooks";
import { ErrorNotice, StatusNotice } from "../components/notice.tsx";
import { useDashboard } from "../context.ts";
import { useAction } from "../lib/hooks.ts";
import type { PayloadEncoding } from "../lib/types.ts";

/** The publish form. */
export function PublishPage() {
  const { api, role } = useDashboard();
  const [topic, setTopic] = useState("");
  const [payload, setPayload] = useState("");
  const [encoding, setEncoding] = useState<PayloadEncoding>("utf8");
  const [qos, setQos] = useState<0 | 1 | 2>(0);
  const [retain, setRetain] = useState(false);
  const publish = useAction();
  if (role !== "admin") {
    return (
      <section aria-labelledby="publish-title">
        <h1 id="publish-title">Publish</h1>
        <p>Publishing needs the admin role.</p>
      </section>
    );
  }
  return (
    <section aria-labelledby="publish-title">
      <h1 id="publish-title">Publish</h1>
      <form
        class="card form-grid"
        onSubmit={(e) => {
          e.preventDefault();
          void publish.run(
            () => api.publish({ topic, payload, encoding, qos, retain }),
            `Published to ${topic}${retain ? " (retained)" : ""}.`,
          );
        }}
      >
        <label for="publish-topic">Topic</label>
        <input id="publish-topic" required value={topic} onInput={(e) => setTopic(e.currentTarget.value)} />
        <label for="publish-payload">Payload</label>
        <textarea
          id="publish-payload"
          rows={6}
          value={payload}
          onInput={(e) => setPayload(e.currentTarget.value)}
        />
        <label for="publish-encoding">Payload encoding</label>
        <select
          id="publish-encoding"
          value={encoding}
          onChange={(e) => setEncoding(e.currentTarget.value as PayloadEncoding)}
        >
          <option value="utf8">UTF-8 text</option>
          <option value="base64">base64 (binary)</option>
        </select>
        <label for="publish-qos">QoS</label>
        <select
          id="publish-qos"
          value={qos}
          onChange={(e) => setQos(Number(e.currentTarget.value) as 0 | 1 | 2)}
        >
          <option value="0">0</option>
          <option value="1">1</option>
          <option value="2">2</option>
        </select>
        <span />
        <label class="check">
          <input type="checkbox" checked={retain} onChange={(e) => setRetain(e.currentTarget.checked)} />
          Retain
        </label>
        <span />
        <button type="submit" disabled={publish.busy}>
          Publish
        </button>
      </form>
      <ErrorNotice error={publish.error} />
      <StatusNotice message={publish.done} />
    </section>
  );
}
