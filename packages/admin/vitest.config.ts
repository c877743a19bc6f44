import { definePackageConfig } from "@amqtt/vitest-preset";

export default definePackageConfig();
