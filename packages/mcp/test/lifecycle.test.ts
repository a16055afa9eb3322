import { spawn } from "node:child_process";
import { join } from "node:path";
import { removeDir } from "@statehouse/conformance/testing";
import { afterAll, expect, it } from "vitest";
import { BIN, cli, tempDir } from "./helpers.js";

const dir = tempDir();
const url = `sqlite:${join(dir, "state.db")}`;
afterAll(() => removeDir(dir));

function start() {
  const child = spawn(process.execPath, [BIN, "--store", url, "mcp"], {
    stdio: ["pipe", "pipe", "pipe"],
    env: { PATH: process.env.PATH ?? "" },
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("close", (code, signal) => resolve({ code, signal })),
  );
  /** Sends a ping and waits for its answer: the server is serving. */
  const serving = async () => {
    child.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" })}\n`);
    const t0 = Date.now();
    while (!stdout.includes("\n")) {
      if (Date.now() - t0 > 20_000) throw new Error(`no answer to ping; stderr: ${stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return { child, exited, serving, out: () => stdout, err: () => stderr };
}

it("exits 0 when the client closes stdin, printing nothing on stdout but protocol", async () => {
  const p = start();
  await p.serving();
  p.child.stdin.end();
  expect(await p.exited).toEqual({ code: 0, signal: null });
  for (const line of p.out().trim().split("\n")) expect(JSON.parse(line).jsonrpc).toBe("2.0");
  expect(p.err()).toBe("");
});

it("exits 0 on SIGTERM with the store closed cleanly (another process then writes at once)", async () => {
  const p = start();
  await p.serving();
  p.child.kill("SIGTERM");
  expect(await p.exited).toEqual({ code: 0, signal: null });
  expect((await cli(["--store", url, "--lock-timeout", "0", "state", "incr", "/n"])).code).toBe(0);
});

it("a bad store URL fails at once with the CLI's E_CONFIG exit status, before serving", async () => {
  const r = await cli(["--store", "nosuch:x", "mcp"]);
  expect(r.code).toBe(13);
  expect(r.stdout).toBe("");
  expect(r.stderr).toContain("E_CONFIG");
});
