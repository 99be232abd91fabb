/**
 * One error type for every bad input: each problem names the field path, shows the value given
 * and says what is allowed. All problems found in one call are reported together.
 */

/** One thing wrong with the arguments of one component. */
export interface Problem {
  /** Dotted field path, e.g. `volumes[0].size`. */
  readonly field: string;
  /** The value the user gave (rendered with `formatValue`). */
  readonly value: unknown;
  /** What is allowed or how to fix it, lower-case, no trailing period. */
  readonly fix: string;
}

/** Renders a value the way messages show it: strings quoted, objects as JSON. */
export function formatValue(value: unknown): string {
  if (value === undefined) return "undefined";
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean" || value === null) return String(value);
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

/** `<field> (<value>) <fix>`: the text of one problem. */
export function formatProblem(p: Problem): string {
  return `${p.field} (${formatValue(p.value)}) ${p.fix}`;
}

/**
 * Thrown at construction time, before anything is registered with Pulumi or sent to a cluster.
 * `message` is `<Kind> "<name>": <problem>` for one problem, and one problem a line for several.
 */
export class StatefulArgsError extends Error {
  constructor(
    readonly component: string,
    readonly problems: readonly Problem[],
  ) {
    super(
      problems.length === 1
        ? `${component}: ${formatProblem(problems[0]!)}`
        : `${component}: ${problems.length} problems:\n${problems.map((p) => `  - ${formatProblem(p)}`).join("\n")}`,
    );
    this.name = "StatefulArgsError";
  }
}

/** Collects problems while arguments are checked, then throws them all at once. */
export class Problems {
  private readonly list: Problem[] = [];

  constructor(readonly component: string) {}

  add(field: string, value: unknown, fix: string): void {
    this.list.push({ field, value, fix });
  }

  /** Adds the problem unless `ok`; returns `ok` so callers can skip dependent checks. */
  check(ok: boolean, field: string, value: unknown, fix: string): boolean {
    if (!ok) this.add(field, value, fix);
    return ok;
  }

  /** Whether a problem was reported for `field` or anything under it (`field.x`, `field[0]`). */
  reported(field: string): boolean {
    return this.list.some(
      (p) => p.field === field || p.field.startsWith(`${field}.`) || p.field.startsWith(`${field}[`),
    );
  }

  get count(): number {
    return this.list.length;
  }

  throwIfAny(): void {
    if (this.list.length > 0) throw new StatefulArgsError(this.component, [...this.list]);
  }
}
