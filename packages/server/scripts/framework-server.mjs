// One framework serving the two benchmark routes on a unix socket: GET /v1/json (a small JSON
// document) and POST /v1/echo (parse a small JSON body, answer a small JSON object).
// Usage: node framework-server.mjs node|fastify|hono SOCKET
import { rmSync } from "node:fs";
import { createServer } from "node:http";

const [framework, socket] = process.argv.slice(2);
rmSync(socket, { force: true });
const DOC = { revision: 12, value: { toolCalls: 41, session: "ses_01", tags: ["a", "b"] } };

async function start() {
  if (framework === "node") {
    const server = createServer((req, res) => {
      if (req.method === "GET" && req.url === "/v1/json") {
        const body = JSON.stringify(DOC);
        res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
        res.end(body);
        return;
      }
      if (req.method === "POST" && req.url === "/v1/echo") {
        let text = "";
        req.setEncoding("utf8");
        req.on("data", (c) => {
          text += c;
        });
        req.on("end", () => {
          const input = JSON.parse(text);
          const body = JSON.stringify({ revision: 13, sequence: 99, value: input.by ?? 1 });
          res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
          res.end(body);
        });
        return;
      }
      res.writeHead(404).end();
    });
    await new Promise((r) => server.listen(socket, r));
  } else if (framework === "fastify") {
    const { default: Fastify } = await import("fastify");
    const app = Fastify();
    app.get("/v1/json", async () => DOC);
    app.post("/v1/echo", async (request) => ({ revision: 13, sequence: 99, value: request.body.by ?? 1 }));
    await app.listen({ path: socket });
  } else if (framework === "hono") {
    const { Hono } = await import("hono");
    const { createAdaptorServer } = await import("@hono/node-server");
    const app = new Hono();
    app.get("/v1/json", (c) => c.json(DOC));
    app.post("/v1/echo", async (c) => {
      const input = await c.req.json();
      return c.json({ revision: 13, sequence: 99, value: input.by ?? 1 });
    });
    const server = createAdaptorServer({ fetch: app.fetch });
    await new Promise((r) => server.listen(socket, r));
  } else throw new Error(`unknown framework ${framework}`);
  process.stdout.write("ready\n");
}
await start();
