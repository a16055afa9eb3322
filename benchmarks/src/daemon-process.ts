import { type ChildProcess, spawn } from "node:child_process";
import { type Durability, IoError } from "@statehouse/core";

/** A daemon (`statehouse serve`) or a trivial floor server started by a benchmark scenario. */
export interface BenchServer {
  readonly socket: string;
  readonly pid: number;
  stop(): Promise<void>;
}

function waitForLine(child: ChildProcess, what: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = "";
    let err = "";
    const timer = setTimeout(() => reject(new IoError(`${what} did not start within ${timeoutMs} ms: ${err.trim()}`)), timeoutMs);
    child.stderr?.setEncoding("utf8").on("data", (d: string) => (err = (err + d).slice(-2000)));
    child.stdout?.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      const nl = out.indexOf("\n");
      if (nl >= 0) {
        clearTimeout(timer);
        resolve(out.slice(0, nl));
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new IoError(`${what} exited (${code}) before it started: ${err.trim()}`));
    });
  });
}

function stopper(child: ChildProcess): () => Promise<void> {
  return () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
    });
}

/** Starts `statehouse --store URL serve` with its socket at `socket` (in the durability mode given); resolves once it serves. */
export async function startBenchDaemon(bin: string, url: string, socket: string, durability?: Durability): Promise<BenchServer> {
  const mode = durability === undefined ? [] : ["--durability", durability];
  const child = spawn(process.execPath, [bin, "--json", "--store", url, ...mode, "serve"], {
    env: { ...process.env, STATEHOUSE_SOCKET: socket },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const line = await waitForLine(child, "statehouse serve", 30_000);
  const info = JSON.parse(line) as { socket: string; pid: number };
  return { socket: info.socket, pid: info.pid, stop: stopper(child) };
}

/**
 * The curl floor: a node:http server answering `{}` to everything on a unix socket. Idle
 * keep-alive connections are kept a minute, not node's 5 s: 50 warmed-up clients may wait longer
 * than that for the common start signal on a loaded machine, and this bare client, unlike the
 * remote client, does not retry a request that meets a connection the server closed while idle.
 */
export async function startFloorServer(socket: string): Promise<BenchServer> {
  const code = `const s=require("node:http").createServer((q,r)=>{q.resume();q.on("end",()=>{r.setHeader("content-type","application/json");r.end("{}")})});s.keepAliveTimeout=60000;s.listen(process.argv[1],()=>console.log("ready"))`;
  const child = spawn(process.execPath, ["-e", code, socket], { stdio: ["ignore", "pipe", "pipe"] });
  await waitForLine(child, "the floor server", 30_000);
  return { socket, pid: child.pid!, stop: stopper(child) };
}
