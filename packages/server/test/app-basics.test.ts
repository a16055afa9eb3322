import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Served, call, serve } from "./helpers.js";

describe("the app over a unix socket: health and increment", () => {
  let s: Served;
  beforeAll(async () => {
    s = await serve();
  });
  afterAll(async () => s.close());

  it("GET /v1/health answers status, version, pid and the store URL", async () => {
    const r = await call(s.socket, "GET", "/v1/health");
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ status: "ok", version: expect.stringMatching(/^\d+\.\d+\.\d+/), pid: process.pid, store: "memory:" });
  });

  it("POST /v1/state/global/increment as curl -d sends it (form-encoded JSON) counts atomically", async () => {
    const body = JSON.stringify({ pointer: "/toolCalls" });
    const form = { "content-type": "application/x-www-form-urlencoded" };
    const answers = await Promise.all(Array.from({ length: 20 }, () => call(s.socket, "POST", "/v1/state/global/increment", body, form)));
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
    expect(answers.map((a) => a.json.value).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const last = answers.find((a) => a.json.value === 20)!;
    expect(last.headers.etag).toBe(`"${last.json.revision}"`);
    expect(await s.store.state().get("/toolCalls")).toBe(20);
  });
});
