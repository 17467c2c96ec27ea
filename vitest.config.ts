import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["controlplane/**/*.test.ts", "sdk-ts/**/*.test.ts", "examples/**/*.test.ts", "deploy/**/*.test.ts", "dashboard/test/**/*.test.ts"],
    globalSetup: ["controlplane/test/harness/global-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration files each start a control plane; two cores run two at a time comfortably.
    maxWorkers: 2,
  },
});
