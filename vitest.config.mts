import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Pulumi's mocks are process-global: each test file runs in its own process.
    pool: "forks",
  },
});
