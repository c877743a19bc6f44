import { readFileSync } from "node:fs";
import Ajv2020 from "ajv/dist/2020.js";
import { parse } from "yaml";
import { OPENAPI_FILE } from "../src/index.js";

type Doc = {
  paths: Record<
    string,
    Record<string, { responses?: Record<string, { $ref?: string; content?: Record<string, unknown> }> }>
  >;
  components: { responses: Record<string, { content?: Record<string, unknown> }> };
};

/** The API's OpenAPI document. */
export const doc = parse(readFileSync(OPENAPI_FILE, "utf8")) as Doc;

// The whole document as one schema resource, so `#/components/schemas/...` refs resolve.
// Not strict: OpenAPI keys (paths, info) are not JSON Schema keywords.
const ajv = new (Ajv2020 as unknown as typeof Ajv2020.default)({
  strict: false,
  allErrors: true,
  validateFormats: false,
});
ajv.addSchema(doc as object, "openapi");

/** Operations a test saw answered, as `METHOD template status`. */
export const covered = new Set<string>();

const templates = Object.keys(doc.paths).map((template) => ({
  template,
  // A topic may be sent with its slashes unencoded; other parameters are one segment.
  pattern: new RegExp(`^${template.replace("{topic}", ".+").replace(/\{[^}]+\}/g, "[^/]+")}$`),
  params: (template.match(/\{/g) ?? []).length,
}));

/** The path template of the document that `path` (no query) is an instance of; exact paths win over templated ones. */
export function templateOf(path: string): string | undefined {
  const matching = templates.filter((t) => t.pattern.test(path)).sort((a, b) => a.params - b.params);
  return matching[0]?.template;
}

const pointer = (...parts: string[]) =>
  parts.map((p) => p.replace(/~/g, "~0").replace(/\//g, "~1")).join("/");

/**
 * Check one answer against the document: the operation must exist, list the
 * status, and (for JSON) the body must match the schema. Throws with the
 * validator's errors otherwise.
 */
export function checkResponse(
  method: string,
  path: string,
  status: number,
  contentType: string,
  body: unknown,
): void {
  const template = templateOf(path);
  if (template === undefined) throw new Error(`${path} is not in openapi.yaml`);
  const op = doc.paths[template]?.[method.toLowerCase()];
  if (op === undefined) throw new Error(`${method} ${template} is not in openapi.yaml`);
  let response = op.responses?.[String(status)];
  if (response === undefined) throw new Error(`${method} ${template} does not document status ${status}`);
  let ref = `#/paths/${pointer(template, method.toLowerCase(), "responses", String(status))}`;
  if (response.$ref !== undefined) {
    ref = response.$ref;
    response = doc.components.responses[response.$ref.split("/").pop()!]!;
  }
  covered.add(`${method} ${template} ${status}`);
  if (response.content === undefined) return;
  const type = Object.keys(response.content)[0]!;
  if (!contentType.startsWith(type))
    throw new Error(`${method} ${template} ${status}: content type ${contentType}, documented ${type}`);
  if (type !== "application/json") return;
  const validate = ajv.getSchema(`openapi${ref}/content/application~1json/schema`);
  if (validate === undefined) throw new Error(`no schema at ${ref}`);
  if (!validate(body))
    throw new Error(
      `${method} ${path} ${status} does not match openapi.yaml: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(body).slice(0, 500)}`,
    );
}

/** Every `METHOD template` of the document. */
export function operations(): string[] {
  const out: string[] = [];
  for (const [template, ops] of Object.entries(doc.paths))
    for (const method of Object.keys(ops))
      if (method !== "parameters") out.push(`${method.toUpperCase()} ${template}`);
  return out;
}
