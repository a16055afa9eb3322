import { connect } from "node:net";
import { describe, expect, it } from "vitest";
import { call, serve } from "./helpers.js";

describe("closing the app, and a store that goes away under it", () => {
  it("close() lets in-flight requests finish and cuts a stuck one after drainMs", async () => {
    const s = await serve(() => "memory:", { limits: { drainMs: 800, requestTimeoutMs: 60_000, headersTimeoutMs: 60_000 } });
    try {
      // A request stuck half-way: headers sent, 1 of 10 body bytes.
      const stuck = connect(s.socket);
      stuck.on("error", () => undefined);
      let stuckClosed = false;
      stuck.on("close", () => {
        stuckClosed = true;
      });
      stuck.write("PUT /v1/state/global?pointer=/x HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n1");
      const ok = call(s.socket, "POST", "/v1/state/global/increment", { pointer: "/n" });
      await new Promise((r) => setTimeout(r, 300));
      const t0 = performance.now();
      await s.app.close();
      const took = performance.now() - t0;
      expect((await ok).status).toBe(200);
      expect(took).toBeGreaterThanOrEqual(700);
      expect(took).toBeLessThan(5_000);
      const t1 = Date.now();
      while (!stuckClosed && Date.now() - t1 < 5_000) await new Promise((r) => setTimeout(r, 20));
      expect(stuckClosed).toBe(true);
      expect(await s.store.state().get()).toEqual({ n: 1 });
    } finally {
      await s.store.close();
    }
  });

  it("a closed store answers 503 E_CLOSED with Retry-After, and the app keeps answering", async () => {
    const s = await serve(() => "memory:");
    await s.store.close();
    const r = await call(s.socket, "GET", "/v1/state/global");
    expect([r.status, r.json.code, r.json.retryable, r.headers["retry-after"]]).toEqual([503, "E_CLOSED", true, "1"]);
    expect((await call(s.socket, "GET", "/v1/health")).status).toBe(200);
    await s.close();
  });
});
