import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";

const here = dirname(fileURLToPath(import.meta.url));
/** The built CLI, as a user runs it. */
export const BIN = join(here, "..", "..", "cli", "bin", "statehouse.js");
export const FIXTURES = join(here, "fixtures");

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "statehouse-mcp-"));
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
export async function callError(client: Client, name: string, args: Record<string, unknown> = {}): Promise<{ code: string; text: string; error: any }> {
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
export function cli(args: readonly string[], input = ""): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ["pipe", "pipe", "pipe"], env: { PATH: process.env.PATH ?? "" } });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}
