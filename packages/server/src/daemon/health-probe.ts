import { request } from "node:http";
import { UnavailableError } from "@statehouse/core";

/** What `GET /v1/health` answers. */
export interface HealthReport {
  status: string;
  version: string;
  pid: number;
  store: string;
  [key: string]: unknown;
}

/**
 * `GET /v1/health` over a unix socket with node:http alone (the CLI asks this before forwarding,
 * so it must not load the client or the framework). Throws E_UNAVAILABLE when nothing answers
 * within `timeoutMs` (default 2000) or the answer is not a health report.
 */
export function probeHealth(socket: string, timeoutMs = 2000): Promise<HealthReport> {
  return new Promise((resolve, reject) => {
    const fail = (why: string, cause?: unknown) =>
      reject(new UnavailableError(`the statehouse daemon at ${socket} is not answering: ${why}`, { cause, details: { socket } }));
    const req = request(
      { socketPath: socket, path: "/v1/health", method: "GET", headers: { accept: "application/json" }, agent: false },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => {
          body += d;
          if (body.length > 65536) req.destroy(new Error("health answer too large"));
        });
        res.on("end", () => {
          try {
            const h = JSON.parse(body) as HealthReport;
            if (res.statusCode !== 200 || typeof h.version !== "string" || typeof h.pid !== "number")
              return fail(`health answered ${res.statusCode}`);
            resolve(h);
          } catch (err) {
            fail("health is not JSON", err);
          }
        });
        res.on("error", (err) => fail(err.message, err));
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on("error", (err) => fail(err.message, err));
    req.end();
  });
}
