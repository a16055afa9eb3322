import type { DomainStore } from "../domain-api.js";
import { requires } from "../requirements.js";
import type { SuiteContext } from "../suite-context.js";
import { thrownKind } from "../util/errors.js";

interface CatalogStore extends DomainStore {
  documents(options?: { limit?: number; cursor?: string }): Promise<{ items: Array<{ name: string; revision: number }>; cursor?: string }>;
  readonly config: DomainStore["config"] & {
    list(options?: {
      limit?: number;
      cursor?: string;
    }): Promise<{ items: Array<{ project: string; revision: number; config: unknown }>; cursor?: string }>;
  };
  readonly agents: DomainStore["agents"] & { delete(id: string, condition?: object): Promise<boolean> };
}

async function openCatalog(store: DomainStore): Promise<CatalogStore> {
  const s = store as Partial<CatalogStore>;
  if (typeof s.documents !== "function" || typeof s.config?.list !== "function" || typeof s.agents?.delete !== "function") {
    throw new Error("this @statehouse/core's Store has no documents(), config.list() or agents.delete()");
  }
  return store as CatalogStore;
}

export function registerDomainCatalog(s: SuiteContext): void {
  s.describeGroup(
    "domain-catalog",
    "listing what a store holds: state documents, project configs; deleting an agent",
    [requires.domain],
    () => {
      s.clause("documents() lists the named state documents (not sessions' own) in name order with revisions, paged", async (scope) => {
        const { expect } = scope;
        const store = await openCatalog(await scope.openStore());
        expect((await store.documents()).items).toEqual([]);
        await store.state().set("/a", 1);
        await store.state("notes").set("/b", 1);
        await store.state("notes").set("/b", 2);
        await store.state("alpha").replace({});
        await store.sessions.create({ id: "s1" });
        await store.sessionState("s1").set("/x", 1);
        const all = await store.documents();
        expect(all.items).toEqual([
          { name: "alpha", revision: 1 },
          { name: "global", revision: 1 },
          { name: "notes", revision: 2 },
        ]);
        const first = await store.documents({ limit: 2 });
        expect(first.items.map((d) => d.name)).toEqual(["alpha", "global"]);
        expect(first.cursor).toBeDefined();
        const second = await store.documents({ limit: 2, cursor: first.cursor! });
        expect(second.items.map((d) => d.name)).toEqual(["notes"]);
        expect(await thrownKind(() => store.documents({ limit: 0 }))).toBe("E_VALIDATION");
      });

      s.clause("config.list() lists every project's config in project order, paged", async (scope) => {
        const { expect } = scope;
        const store = await openCatalog(await scope.openStore());
        await store.config.set("web", { maxConcurrentAgents: 2 });
        await store.config.set("api", { heartbeatTimeoutSeconds: 30 });
        await store.config.set("web", { maxConcurrentAgents: 3 });
        const page = await store.config.list();
        expect(page.items).toEqual([
          { project: "api", revision: 1, config: { heartbeatTimeoutSeconds: 30 } },
          { project: "web", revision: 2, config: { maxConcurrentAgents: 3 } },
        ]);
        const one = await store.config.list({ limit: 1 });
        expect(one.items.map((c) => c.project)).toEqual(["api"]);
        expect((await store.config.list({ limit: 1, cursor: one.cursor! })).items.map((c) => c.project)).toEqual(["web"]);
      });

      s.clause(
        "agents.delete() removes the record (E_NOT_FOUND when absent, conditions honoured) and frees its project slot",
        async (scope) => {
          const { expect } = scope;
          const store = await openCatalog(await scope.openStore());
          await store.config.set("p", { maxConcurrentAgents: 1 });
          await store.sessions.create({ id: "s", project: "p" });
          const a = await store.agents.spawn("s", { id: "a1", role: "worker" });
          expect(await thrownKind(() => store.agents.spawn("s", { id: "a2", role: "worker" })), "the limit holds").toBe("E_CONFLICT");
          expect(await thrownKind(() => store.agents.delete("a1", { ifRevision: a.revision + 1 }))).toBe("E_CONFLICT");
          expect(await store.agents.delete("a1", { ifRevision: a.revision })).toBe(true);
          expect(await store.agents.find("a1")).toBeUndefined();
          expect(await thrownKind(() => store.agents.delete("a1"))).toBe("E_NOT_FOUND");
          expect(await thrownKind(() => store.agents.delete("../a1"))).toBe("E_INVALID_PATH");
          await store.agents.spawn("s", { id: "a2", role: "worker" });
          expect((await store.agents.list({ sessionId: "s" })).items.map((x) => x.id)).toEqual(["a2"]);
          // The session still deletes cleanly after one of its agents was deleted.
          await store.sessions.delete("s");
          expect((await store.agents.list()).items).toEqual([]);
        },
      );
    },
  );
}
