import { readdirSync, readFileSync } from "node:fs";
import { basename, dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import type { z } from "zod";
import { DEFAULT_RETENTION, type RetentionPolicy, retentionPlaceholders } from "../domain/retention.ts";
import { prefillSlots } from "./prefill.ts";
import { type Condition, type FlowFile, type FlowStep, flowFileSchema } from "./schema.ts";
import type { MentionKind } from "./mentions.ts";
import { getValidator, type Validator } from "./validators.ts";

export const defaultIntentsDir = join(dirname(fileURLToPath(import.meta.url)), "../../intents");

/** A step with its validator resolved and options parsed. */
export interface LoadedStep extends Omit<FlowStep, "validation"> {
  validatorName: string;
  validator: Validator<Record<string, unknown>>;
  options: Record<string, unknown>;
  /** The fixed answers (plus "跳过" for an optional step), if any. */
  choices: string[] | undefined;
  /** Kinds of values in a longer message this step takes (see mentions.ts). */
  mentions: readonly MentionKind[];
}

export interface LoadedFlow extends Omit<FlowFile, "steps"> {
  file: string;
  steps: LoadedStep[];
  /** Every field the application's data may hold, with the label staff see. */
  fieldLabels: Record<string, string>;
}

/** A broken flow file: start-up stops and names the file and the field. */
export class FlowFileError extends Error {
  constructor(
    readonly file: string,
    readonly field: string,
    problem: string,
  ) {
    super(`${file}: ${field ? `${field}: ` : ""}${problem}`);
    this.name = "FlowFileError";
  }
}

function fieldPath(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : `${i ? "." : ""}${String(p)}`)).join("");
}

function firstIssue(file: string, error: z.ZodError, prefix: string): FlowFileError {
  const issue = error.issues[0];
  const field = [prefix, fieldPath(issue?.path ?? [])].filter(Boolean).join(".");
  return new FlowFileError(file, field, issue?.message ?? "invalid");
}

const conditionSlots = (when: Record<string, Condition> | undefined) => Object.keys(when ?? {});

/**
 * The consent notice's retention statement with the configured periods filled in. Both
 * placeholders are required and no other is allowed: what residents are told is what the
 * retention job does, whatever RETENTION_* says.
 */
function fillRetention(file: string, statement: string, policy: RetentionPolicy): string {
  const values = retentionPlaceholders(policy);
  for (const name of statement.match(/\{[^{}]*\}/g) ?? []) {
    if (!(name.slice(1, -1) in values))
      throw new FlowFileError(file, "consent.retention", `unknown placeholder ${name} (use {transcripts} and {applications})`);
  }
  for (const name of Object.keys(values)) {
    if (!statement.includes(`{${name}}`))
      throw new FlowFileError(file, "consent.retention", `must state the period with {${name}} (filled in from configuration)`);
  }
  return statement.replace(/\{(\w+)\}/g, (_, name: string) => values[name] as string);
}

/** Parses and checks one flow file's text; `retention` fills in the consent notice's periods. */
export function parseFlowFile(file: string, text: string, retention: RetentionPolicy = DEFAULT_RETENTION): LoadedFlow | null {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (err) {
    throw new FlowFileError(file, "", `not valid YAML: ${(err as Error).message.split("\n")[0]}`);
  }
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) throw new FlowFileError(file, "", "must be a YAML mapping");
  const kind = (raw as { kind?: unknown }).kind;
  if (kind === undefined) throw new FlowFileError(file, "kind", 'is required ("flow" for a guided flow)');
  // Other kinds of intent files (if any) belong to other loaders.
  if (kind !== "flow") return null;

  const parsed = flowFileSchema.safeParse(raw);
  if (!parsed.success) throw firstIssue(file, parsed.error, "");
  const flow = {
    ...parsed.data,
    consent: { ...parsed.data.consent, retention: fillRetention(file, parsed.data.consent.retention, retention) },
  };

  const expectedName = flow.id.replaceAll("_", "-");
  const name = basename(file).replace(/\.ya?ml$/, "");
  if (name !== expectedName) throw new FlowFileError(file, "id", `"${flow.id}" must live in ${expectedName}.yml`);

  const known = new Set<string>(flow.prefill ? prefillSlots[flow.prefill] : []);
  const steps: LoadedStep[] = flow.steps.map((step, i) => {
    const at = `steps[${i}]`;
    if (known.has(step.slot)) throw new FlowFileError(file, `${at}.slot`, `"${step.slot}" is used twice`);
    if (step.slot.startsWith("_"))
      throw new FlowFileError(file, `${at}.slot`, 'names starting with "_" are reserved for prefilled slots');
    const validator = getValidator(step.validation.validator);
    const options = validator.options.safeParse(step.validation.options);
    if (!options.success) throw firstIssue(file, options.error, `${at}.validation.options`);
    for (const slot of conditionSlots(step.when)) {
      if (!known.has(slot))
        throw new FlowFileError(file, `${at}.when.${slot}`, "conditions may only name earlier (or prefilled) slots");
    }
    const fixed = validator.choices?.(options.data);
    if ((step.type === "choice" || step.type === "district") && !fixed) {
      throw new FlowFileError(file, `${at}.validation.validator`, `a "${step.type}" step needs a validator with fixed choices`);
    }
    for (const [answer, mapping] of Object.entries(step.copy ?? {})) {
      if (!fixed?.includes(answer)) throw new FlowFileError(file, `${at}.copy.${answer}`, "must be one of the step's choices");
      for (const [target, source] of Object.entries(mapping)) {
        if (!known.has(source))
          throw new FlowFileError(file, `${at}.copy.${answer}.${target}`, `"${source}" is not an earlier slot`);
      }
    }
    known.add(step.slot);
    const { validation: _v, ...rest } = step;
    const choices = fixed ? [...fixed, ...(step.optional ? ["跳过"] : [])] : step.optional ? ["跳过"] : undefined;
    const opts = options.data as Record<string, unknown>;
    return {
      ...rest,
      validatorName: step.validation.validator,
      validator,
      options: opts,
      choices,
      mentions: validator.mentions?.(opts) ?? [],
    };
  });
  // Copy targets are filled by the copy, so later steps' conditions may name them too: checked above.
  // Staff must be able to read every field an application of this flow can carry.
  const fieldLabels: Record<string, string> = {};
  for (const step of steps) fieldLabels[step.slot] = step.label;
  steps.forEach((step, i) => {
    const added = [
      ...(step.validator.dataKeys?.(step.options) ?? []),
      ...Object.values(step.copy ?? {}).flatMap((mapping) => Object.keys(mapping)),
    ];
    for (const key of added) {
      const label = flow.staff.fields[key] ?? fieldLabels[key];
      if (!label) throw new FlowFileError(file, "staff.fields", `needs a label for "${key}" (added by steps[${i}])`);
      fieldLabels[key] = label;
    }
  });
  for (const [key, label] of Object.entries(flow.staff.fields)) fieldLabels[key] = label;
  const { steps: _s, ...rest } = flow;
  return { ...rest, file, steps, fieldLabels };
}

/** Loads every flow in a directory; throws FlowFileError on the first broken file. */
export function loadFlows(
  dir: string = defaultIntentsDir,
  retention: RetentionPolicy = DEFAULT_RETENTION,
): Map<string, LoadedFlow> {
  const flows = new Map<string, LoadedFlow>();
  const files = readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort();
  for (const name of files) {
    const path = join(dir, name);
    const file = relative(process.cwd(), path) || name;
    const flow = parseFlowFile(file, readFileSync(path, "utf8"), retention);
    if (!flow) continue;
    if (flows.has(flow.id)) throw new FlowFileError(file, "id", `"${flow.id}" is defined twice`);
    flows.set(flow.id, flow);
  }
  return flows;
}

let cached: Map<string, LoadedFlow> | undefined;

/** The flows in intents/, loaded once (for helpers used outside the flows skill). */
export function defaultFlows(): Map<string, LoadedFlow> {
  cached ??= loadFlows(defaultIntentsDir);
  return cached;
}
