import { defineConfig } from "vitest/config";

// One root config for the workspace. Tests import the built packages (dist), exactly as users
// and the multi-process children do, so `pnpm test` builds first.
export default defineConfig({
  test: {
    include: ["packages/*/test/**/*.test.ts", "benchmarks/test/**/*.test.ts"],
    // Native engines (better-sqlite3, lmdb) and process-level tests (kill -9, mounts, setpriv)
    // are safest in forked workers.
    pool: "forks",
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: process.env.CI ? ["default"] : ["default"],
  },
});
