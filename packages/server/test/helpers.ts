import { request } from "node:http";
import { join } from "node:path";
import { tempDir, removeDir } from "@statehouse/conformance/testing";
import { type Store, open } from "@statehouse/core";
import { type App, type AppOptions, createApp } from "@statehouse/server";

export interface Served {
  readonly dir: string;
  readonly socket: string;
  readonly store: Store;
  readonly app: App;
  close(): Promise<void>;
}

/** A real app on a real unix socket in a fresh directory, over a store at `url(dir)`. */
export async function serve(url: (dir: string) => string = () => "memory:", options: Partial<AppOptions> = {}): Promise<Served> {
  const dir = tempDir("server-test").dir;
  const storeUrl = url(dir);
  const store = await open(storeUrl);
  const app = await createApp({ store, storeUrl, ...options });
  const socket = join(dir, "s.sock");
  await app.listen({ path: socket });
  return {
    dir,
    socket,
    store,
    app,
    async close() {
      await app.close();
      await store.close();
      removeDir(dir);
    },
  };
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: any;
}

/** One HTTP request over the socket; `body` is sent as is when a string, else as JSON. */
export function call(socket: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body);
    const req = request(
      {
        socketPath: socket,
        method,
        path,
        // With a length, as clients send it: Node sends a DELETE's body unframed otherwise.
        headers: {
          ...(payload !== undefined && { "content-type": "application/json", "content-length": String(Buffer.byteLength(payload)) }),
          ...headers,
        },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c) => {
          text += c;
        });
        res.on("end", () => {
          let json: unknown;
          try {
            json = text === "" ? undefined : JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    req.on("error", reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}
