import type { Awaiting, TurnResult } from "../../src/domain/types.ts";

/** Phrases that start a guided flow; the first one the service answers with `awaiting` is used. */
export const FLOW_TRIGGERS = ["我要办居住登记", "我要申报居住登记", "我要办居住证签注", "我要注销居住登记"];

/** A valid 18-digit resident ID number (GB 11643 check digit), made up for the load. */
export function syntheticIdNumber(n: number): string {
  const body = `330212${19800101 + (n % 28)}${String(100 + (n % 900)).padStart(3, "0")}`;
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...body].reduce((s, d, i) => s + Number(d) * weights[i]!, 0);
  return body + "10X98765432"[sum % 11];
}

function today(): string {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

/** A plausible valid answer to the step the flow waits for. */
export function answerFor(awaiting: Awaiting, n: number): string {
  const first = awaiting.choices?.[0];
  switch (awaiting.type) {
    case "consent":
      return first ?? "同意";
    case "name":
      return "王小明";
    case "id_number":
      return syntheticIdNumber(n);
    case "phone":
      return `138${String(5740000 + (n % 10000)).padStart(8, "0")}`;
    case "date":
      return today();
    case "district":
      return first ?? "鄞州区";
    case "address":
      return "鄞州区天童南路588号3幢201室";
    case "choice":
    case "confirm":
      return first ?? "确认";
    default:
      return first ?? "无";
  }
}

/**
 * Keeps each resident inside a guided flow: every message answers the step the previous reply
 * asked for; a resident whose flow has ended starts it again, and one stuck on the same step
 * three times cancels. So every request is a flow turn (a start, a step, or the submission).
 */
export class FlowDriver {
  private readonly state = new Map<string, { awaiting?: Awaiting; repeats: number; n: number }>();
  private readonly sent = new Map<string, number>();

  constructor(private readonly trigger: string) {}

  next(userId: string): string {
    const s = this.state.get(userId) ?? { repeats: 0, n: this.state.size };
    this.state.set(userId, s);
    if (!s.awaiting) return this.count("start", this.trigger);
    if (s.repeats >= 3) {
      s.awaiting = undefined;
      s.repeats = 0;
      return this.count("cancel (stuck)", "取消");
    }
    return this.count(`${s.awaiting.type} answer`, answerFor(s.awaiting, s.n));
  }

  /** What the load consisted of, e.g. "1,000 start, 1,000 consent answer, …". */
  describe(): string {
    return [...this.sent].map(([kind, n]) => `${n.toLocaleString("en-US")} ${kind}`).join(", ");
  }

  private count(kind: string, text: string): string {
    this.sent.set(kind, (this.sent.get(kind) ?? 0) + 1);
    return text;
  }

  record(userId: string, status: number, body: string): void {
    const s = this.state.get(userId);
    if (!s || status !== 200) return;
    const awaiting = (JSON.parse(body) as TurnResult).awaiting;
    s.repeats = awaiting && s.awaiting && awaiting.slot === s.awaiting.slot ? s.repeats + 1 : 0;
    s.awaiting = awaiting;
  }
}
