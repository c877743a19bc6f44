import type { UserConfig } from "vitest/config";
/** Build a package's vitest config from the shared preset plus `overrides`. */
export declare function definePackageConfig(overrides?: UserConfig): UserConfig;
