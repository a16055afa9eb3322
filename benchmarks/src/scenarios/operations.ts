import type { BenchStore } from "../bench-store.js";
import { documentOfSize, failedItems, projectConfig, sessionFixture } from "../fixtures.js";
import { measure } from "../measure.js";
import { openBenchStore } from "../open-store.js";
import { type Scenario, type ScenarioContext, failedResult, floorFor, okResult } from "../scenario.js";
import type { BenchResult } from "../types.js";

interface OperationSpec {
  readonly name: string;
  readonly title: string;
  readonly writes: boolean;
  /** Which floor the operation is compared with. */
  readonly floor: "read" | "write";
  /** Fills the store; returns the measured function and a check of its answer. */
  prepare(
    store: BenchStore,
    ctx: ScenarioContext,
  ): Promise<{ fn: () => Promise<unknown>; check?: () => Promise<{ expected: number; actual: number }> }>;
}

async function populateSessions(store: BenchStore, n: number): Promise<string[]> {
  const list = Array.from({ length: n }, (_, i) => sessionFixture(i));
  await store.createSessions(list);
  const ids: string[] = [];
  for (let i = 0; i < 10; i++) ids.push(await store.createSession(sessionFixture(n + i)));
  return ids;
}

const SPECS: OperationSpec[] = [
  {
    name: "state-query",
    title: "State query (simple)",
    writes: false,
    floor: "read",
    async prepare(store) {
      await store.setDocument("global", documentOfSize(1024));
      return {
        fn: () => store.queryValue("global", "/project/name"),
        check: async () => ({ expected: 1, actual: (await store.queryValue("global", "/project/name")) === "statehouse" ? 1 : 0 }),
      };
    },
  },
  {
    name: "state-update",
    title: "State update",
    writes: true,
    floor: "write",
    async prepare(store) {
      await store.setDocument("global", documentOfSize(1024));
      let i = 0;
      return {
        fn: () => store.setValue("global", "/counters/tokens", ++i),
        check: async () => ({ expected: i, actual: Number(await store.queryValue("global", "/counters/tokens")) }),
      };
    },
  },
  {
    // A whole 1 KB document read and replaced: the work the library peers (keyv, lowdb) do, so
    // their rows have a statehouse row of the same shape on every adapter (library-peers.ts).
    name: "doc-get",
    title: "Document get (whole 1 KB document)",
    writes: false,
    floor: "read",
    async prepare(store) {
      const doc = documentOfSize(1024);
      await store.setDocument("global", doc);
      return {
        fn: () => store.getDocument("global"),
        check: async () => ({ expected: 1, actual: JSON.stringify(await store.getDocument("global")) === JSON.stringify(doc) ? 1 : 0 }),
      };
    },
  },
  {
    name: "doc-set",
    title: "Document set (whole 1 KB document replaced)",
    writes: true,
    floor: "write",
    async prepare(store) {
      const doc = documentOfSize(1024);
      let i = 0;
      return {
        fn: () => store.setDocument("global", { ...doc, i: ++i }),
        check: async () => ({ expected: i, actual: Number(((await store.getDocument("global")) as { i?: unknown }).i) }),
      };
    },
  },
  {
    name: "session-create",
    title: "Session creation",
    writes: true,
    floor: "write",
    async prepare(store) {
      let i = 0;
      return { fn: () => store.createSession(sessionFixture(i++)) };
    },
  },
  {
    name: "session-list",
    title: "Session listing (first page of 50 active)",
    writes: false,
    floor: "read",
    async prepare(store, ctx) {
      await populateSessions(store, ctx.job.settings.listingSessions);
      return {
        fn: () => store.listSessions(50, "active"),
        check: async () => ({ expected: 50, actual: await store.listSessions(50, "active") }),
      };
    },
  },
  {
    name: "config-get",
    title: "Project config retrieval (validated)",
    writes: false,
    floor: "read",
    async prepare(store) {
      await store.setConfig("statehouse", projectConfig("statehouse"));
      return {
        fn: () => store.getConfig("statehouse"),
        check: async () => ({
          expected: 1,
          actual: ((await store.getConfig("statehouse")) as { name?: string }).name === "statehouse" ? 1 : 0,
        }),
      };
    },
  },
  {
    name: "dashboard",
    title: "Dashboard snapshot",
    writes: false,
    floor: "read",
    async prepare(store, ctx) {
      const n = ctx.job.settings.listingSessions;
      const ids = await populateSessions(store, n);
      // Half the agents are running (active in both layers), half completed (active in neither).
      for (let i = 0; i < 20; i++) await store.addAgent(ids[i % ids.length]!, i % 2 === 0 ? "running" : "completed");
      return {
        fn: () => store.dashboard(),
        check: async () => {
          const d = await store.dashboard();
          const total = Object.values(d.sessionsByStatus).reduce((a, b) => a + b, 0);
          return { expected: n + 10 + 10, actual: total + d.activeAgents };
        },
      };
    },
  },
  {
    name: "batch-100",
    title: "Atomic batch of 100 operations",
    writes: true,
    floor: "write",
    async prepare(store) {
      await store.setDocument("batch", { k: {} });
      let i = 0;
      return {
        fn: () => {
          i++;
          return store.batch(
            "batch",
            Array.from({ length: 100 }, (_, j) => ({ pointer: `/k/f${j}`, value: i })),
          );
        },
        check: async () => ({ expected: i, actual: Number(await store.queryValue("batch", "/k/f99")) }),
      };
    },
  },
  {
    name: "filter-1mb",
    title: "Filter query on a 1 MB document",
    writes: false,
    floor: "read",
    async prepare(store) {
      const doc = documentOfSize(1 << 20);
      await store.setDocument("big", doc);
      return {
        fn: () => store.filterFailed("big"),
        check: async () => ({ expected: failedItems(doc), actual: await store.filterFailed("big") }),
      };
    },
  },
];

function operationScenario(spec: OperationSpec): Scenario {
  return {
    name: spec.name,
    group: "operation",
    title: spec.title,
    perAdapter: true,
    writes: spec.writes,
    ops: () => [spec.name],
    async run(ctx): Promise<BenchResult[]> {
      let store: BenchStore | undefined;
      try {
        store = await openBenchStore(ctx.url, { durability: ctx.job.durability });
        const { fn, check } = await spec.prepare(store, ctx);
        const slow = spec.name === "filter-1mb" || spec.name === "batch-100";
        const m = await measure(spec.name, fn, { timeMs: ctx.job.settings.timeMs, iterations: slow ? 5 : 10 });
        const c = check === undefined ? undefined : await check();
        const floorBytes = spec.name === "filter-1mb" ? 1 << 20 : 1024;
        return [
          okResult(ctx.job, spec.name, m, {
            floor: floorFor(ctx.job, spec.floor, floorBytes),
            check: c === undefined ? undefined : { ...c, ok: c.expected === c.actual },
            note: `api: ${store.api}`,
          }),
        ];
      } catch (err) {
        return [failedResult(ctx.job, spec.name, err)];
      } finally {
        await store?.close().catch(() => {});
      }
    },
  };
}

export const operationScenarios: Scenario[] = SPECS.map(operationScenario);
