import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { runChild, tempDir as kitTempDir } from "@statehouse/conformance/testing";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";

const here = dirname(fileURLToPath(import.meta.url));
/** The built CLI, as a user runs it. */
export const BIN = join(here, "..", "..", "cli", "bin", "statehouse.js");
export const FIXTURES = join(here, "fixtures");

/** A fresh private directory `statehouse-mcp-XXXXXX` from the test kit; remove it with the kit's removeDir. */
export function tempDir(): string {
  return kitTempDir("mcp").dir;
}

/** A client connected to a new `statehouse --store URL mcp` process over stdio. */
export async function connect(storeUrl: string, extraArgs: readonly string[] = []): Promise<{ client: Client; stderr: () => string }> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [BIN, "--store", storeUrl, ...extraArgs, "mcp"],
    stderr: "pipe",
    env: { PATH: process.env.PATH ?? "" },
  });
  let stderr = "";
  transport.stderr?.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
  const client = new Client({ name: "statehouse-mcp-test", version: "0" });
  await client.connect(transport);
  return { client, stderr: () => stderr };
}

/** Calls a tool; returns the parsed JSON of a success, or throws with the error text. */
export async function call(client: Client, name: string, args: Record<string, unknown> = {}): Promise<any> {
  const r = (await client.callTool({ name, arguments: args }, undefined, { timeout: 60_000 })) as CallToolResult;
  const text = (r.content[0] as { text: string }).text;
  if (r.isError) throw new Error(`${name} failed: ${text}`);
  return JSON.parse(text);
}

/** Calls a tool that must fail; returns the error's code, message and text. */
export async function callError(
  client: Client,
  name: string,
  args: Record<string, unknown> = {},
): Promise<{ code: string; text: string; error: any }> {
  const r = (await client.callTool({ name, arguments: args }, undefined, { timeout: 60_000 })) as CallToolResult;
  const text = (r.content[0] as { text: string }).text;
  if (r.isError !== true) throw new Error(`${name} succeeded, expected an error: ${text}`);
  const code = /^(E_[A-Z_]+):/.exec(text)?.[1] ?? "(none)";
  return { code, text, error: (r.structuredContent as { error?: unknown } | undefined)?.error };
}

export interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI once, as another process writing the store directly. */
export async function cli(args: readonly string[], input = ""): Promise<Result> {
  const r = await runChild(BIN, args, { env: { PATH: process.env.PATH ?? "" }, input }).done;
  return { code: r.code, stdout: r.stdout, stderr: r.stderr };
}

/** A `statehouse mcp` process spoken to in raw JSON-RPC lines: for messages the SDK's client will not send. */
export interface RawSession {
  request(method: string, params: unknown): Promise<any>;
  /** The response to a request sent with sendLine, by its id. */
  response(id: number): Promise<any>;
  /** Sends text as one line, as is. */
  sendLine(text: string): void;
  close(): Promise<void>;
  stderr(): string;
}

export async function rawSession(storeUrl: string): Promise<RawSession> {
  const child = spawn(process.execPath, [BIN, "--store", storeUrl, "mcp"], {
    stdio: ["pipe", "pipe", "pipe"],
    env: { PATH: process.env.PATH ?? "" },
  });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const waiting = new Map<number, (m: any) => void>();
  let buffered = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => {
    buffered += d;
    for (let nl = buffered.indexOf("\n"); nl !== -1; nl = buffered.indexOf("\n")) {
      const m = JSON.parse(buffered.slice(0, nl));
      buffered = buffered.slice(nl + 1);
      if (typeof m.id === "number") waiting.get(m.id)?.(m);
    }
  });
  let next = 1;
  const sendLine = (text: string) => void child.stdin.write(`${text}\n`);
  const request = (method: string, params: unknown) =>
    new Promise<any>((resolve) => {
      const id = next++;
      waiting.set(id, resolve);
      sendLine(JSON.stringify({ jsonrpc: "2.0", id, method, params }));
    });
  await request("initialize", { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "0" } });
  sendLine(JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }));
  return {
    request,
    sendLine,
    response: (id) => new Promise((resolve) => waiting.set(id, resolve)),
    stderr: () => stderr,
    close: () =>
      new Promise((resolve) => {
        child.once("close", () => resolve());
        child.stdin.end();
      }),
  };
}
