import { type ChildProcess, fork } from "node:child_process";

/** A TypeScript module run in its own Node process (through tsx), spoken to over IPC. */
export interface Child {
  process: ChildProcess;
  /** Sends a message and waits for the first reply of the given type. */
  ask<T>(message: { type: string }, replyType: string, timeoutMs?: number): Promise<T>;
  /** Waits for the child's next message of one of these types. */
  wait<T>(types: string[], timeoutMs: number): Promise<T>;
  /** Asks the child to close and waits for it to exit (killed after the timeout). */
  stop(timeoutMs?: number): Promise<void>;
  /** What the child wrote on stderr, for error messages. */
  stderr(): string;
}

export interface StartOptions {
  env?: Record<string, string>;
  args?: string[];
  execArgv?: string[];
  /** How long to wait for the child's "ready" message. */
  readyTimeoutMs?: number;
  /** Message types that count as "ready" (a one-shot job reports its result instead). */
  readyTypes?: string[];
}

/** Forks `module` under tsx and waits until it sends `{ type: "ready", … }`; returns the child and that message. */
export async function startChild<R extends { type: string }>(
  module: string,
  opts: StartOptions = {},
): Promise<{ child: Child; ready: R }> {
  const proc = fork(module, opts.args ?? [], {
    execArgv: ["--import", "tsx", ...(opts.execArgv ?? [])],
    env: { ...process.env, ...opts.env },
    stdio: ["ignore", "ignore", "pipe", "ipc"],
  });
  let err = "";
  proc.stderr?.on("data", (d: Buffer) => {
    err = (err + d.toString()).slice(-4000);
  });

  const waitFor = <T>(types: string[], timeoutMs: number): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`${module}: no "${types.join('" or "')}" message within ${timeoutMs} ms\n${err}`));
      }, timeoutMs);
      const onMessage = (msg: { type?: string }) => {
        if (msg?.type && types.includes(msg.type)) {
          cleanup();
          resolve(msg as T);
        } else if (msg?.type === "error") {
          cleanup();
          reject(new Error(`${module}: ${(msg as { message?: string }).message ?? "failed"}\n${err}`));
        }
      };
      const onExit = (code: number | null) => {
        cleanup();
        reject(new Error(`${module} exited (code ${code}) before sending "${types.join('" or "')}"\n${err}`));
      };
      const cleanup = () => {
        clearTimeout(timer);
        proc.off("message", onMessage);
        proc.off("exit", onExit);
      };
      proc.on("message", onMessage);
      proc.on("exit", onExit);
    });

  const child: Child = {
    process: proc,
    wait: (types, timeoutMs) => waitFor(types, timeoutMs),
    ask(message, replyType, timeoutMs = 10_000) {
      const reply = waitFor<never>([replyType], timeoutMs);
      proc.send(message);
      return reply;
    },
    async stop(timeoutMs = 10_000) {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
      if (proc.connected) proc.send({ type: "close" });
      const timer = setTimeout(() => proc.kill("SIGKILL"), timeoutMs);
      await exited;
      clearTimeout(timer);
    },
    stderr: () => err,
  };
  try {
    const ready = await waitFor<R>(opts.readyTypes ?? ["ready"], opts.readyTimeoutMs ?? 60_000);
    return { child, ready };
  } catch (e) {
    proc.kill("SIGKILL");
    throw e;
  }
}
