import { describe, expect, it } from "vitest";
import { ALERTS, type AlertData, Alerts, open } from "../dist/index.js";
import { DOMAIN_COLLECTIONS } from "../dist/spi.js";

function episode(kpi: string, state: AlertData["state"]): AlertData {
  const at = new Date().toISOString();
  return {
    id: Alerts.newId(),
    kpi,
    state,
    value: 2,
    threshold: 1,
    comparison: ">",
    unit: "%",
    windowSeconds: 60,
    message: "m",
    startedAt: at,
    updatedAt: at,
  };
}

describe("store.alerts", () => {
  it("saves on a revision, lists active ones or all newest first, prunes the oldest resolved ones", async () => {
    const store = await open("memory:");
    const a = await store.alerts.save(episode("cpu", "pending"), 0);
    expect(a.revision).toBe(1);
    await expect(store.alerts.save({ ...a, state: "firing" }, 0)).rejects.toMatchObject({ code: "E_CONFLICT" });
    await store.alerts.save({ ...episode("cpu", "firing"), id: a.id }, 1);
    const resolved = [];
    for (let i = 0; i < 5; i++) resolved.push(await store.alerts.save(episode("memory", "resolved"), 0));
    expect((await store.alerts.list()).map((x) => x.id)).toEqual([a.id]);
    const all = await store.alerts.list({ all: true });
    expect(all.map((x) => x.id)).toEqual([...resolved.map((x) => x.id).reverse(), a.id]);
    expect(await store.alerts.prune(2)).toBe(3);
    expect((await store.alerts.list({ all: true })).map((x) => x.id)).toEqual([resolved[4]!.id, resolved[3]!.id, a.id]);
    expect(DOMAIN_COLLECTIONS).toContain(ALERTS);
    await store.close();
  });

  it("refuses a bad alert or limit with E_VALIDATION, writing nothing", async () => {
    const store = await open("memory:");
    for (const bad of [{ kpi: "Bad KPI" }, { state: "exploded" }, { value: Number.NaN }, { comparison: "=" }]) {
      await expect(store.alerts.save({ ...episode("cpu", "pending"), ...bad } as AlertData, 0)).rejects.toMatchObject({
        code: "E_VALIDATION",
      });
    }
    await expect(store.alerts.save({ ...episode("cpu", "pending"), id: "../x" }, 0)).rejects.toMatchObject({ code: "E_INVALID_PATH" });
    for (const limit of [0, 1001, 2.5]) await expect(store.alerts.list({ limit })).rejects.toMatchObject({ code: "E_VALIDATION" });
    expect(await store.sequence()).toBe(0);
    await store.close();
  });
});
