/** Options of {@link bundleForBrowser}. */
export interface BrowserBundleOptions {
  /** Minify (default false). */
  minify?: boolean;
  /** Extra resolve conditions, e.g. `["@amqtt/source"]` to bundle sibling packages from source. */
  conditions?: string[];
}

/** What {@link bundleForBrowser} built. */
export interface BrowserBundle {
  /** The bundled code. */
  code: Uint8Array;
  /** Every input file esbuild read. */
  inputs: string[];
  /** The `node:*` modules among the inputs: empty when the bundle runs in a browser. */
  nodeBuiltins: string[];
}

/** Bundle `entry` for browsers with esbuild, in memory (ESM, platform "browser"). */
export function bundleForBrowser(entry: string, options?: BrowserBundleOptions): Promise<BrowserBundle>;
