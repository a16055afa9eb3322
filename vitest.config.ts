import { configDefaults, defineConfig } from "vitest/config";

const POSTGRES_TESTS = "packages/adapter-postgres/test/**/*.test.ts";

// One root config for the workspace. Tests import the built packages (dist), exactly as users
// and the multi-process children do, so `pnpm test` builds first.
export default defineConfig({
  test: {
    // Native engines (better-sqlite3, lmdb) and process-level tests (kill -9, mounts, setpriv)
    // are safest in forked workers.
    pool: "forks",
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: process.env.CI ? ["default"] : ["default"],
    projects: [
      {
        extends: true,
        test: {
          name: "statehouse",
          include: ["packages/*/test/**/*.test.ts", "benchmarks/test/**/*.test.ts"],
          exclude: [...configDefaults.exclude, POSTGRES_TESTS],
        },
      },
      {
        // The PostgreSQL adapter's tests share one throwaway server, which the global setup
        // starts only when one of these files is queued (vitest skips a project's globalSetup
        // otherwise), so other test runs never pay for it.
        extends: true,
        test: {
          name: "postgres",
          include: [POSTGRES_TESTS],
          globalSetup: ["packages/adapter-postgres/test/global-setup.ts"],
        },
      },
    ],
  },
});
