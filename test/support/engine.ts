/**
 * A model of the Pulumi engine for tests, built on what is real here: the Pulumi SDK (the program
 * registers resources exactly as under `pulumi up`), Pulumi's dynamic-provider host in its own
 * process over gRPC (host.ts), and a model of pulumi-kubernetes on the simulator over HTTP
 * (k8s-provider-model.ts). It installs a resource monitor that sees each whole
 * RegisterResourceRequest and answers only when the resource's step is done, so the SDK orders
 * dependents as it does against the engine, and independent steps run concurrently as they do.
 *
 * Every rule cites its source in pulumi/pulumi (commit 1b594989, 2026-08-21; the same code at
 * v3.248.0 where it matters, see docs/engine-facts.md). What it does not model is listed there too.
 *
 *   const engine = new Engine(sim);
 *   await engine.up(() => new StatefulApp("web", { image: "nginx" }), { config: { replicas: "3" } });
 *   engine.steps;  // [{ op: "create", urn: ... }, ...]
 *   await engine.destroy();
 *   await engine.stop();
 */
import * as grpc from "@grpc/grpc-js";
import * as pulumi from "@pulumi/pulumi";
import * as provproto from "@pulumi/pulumi/proto/provider_pb";
import * as resproto from "@pulumi/pulumi/proto/resource_pb";
import * as emptyproto from "google-protobuf/google/protobuf/empty_pb";
import type { Sim } from "../sim";
import {
  type DiffResult,
  DynamicProviderHost,
  fromStruct,
  type HostOptions,
  isSecret,
  makeSecret,
  type PropertyMap,
  ProviderError,
  type ProviderPlugin,
  reveal,
  timeoutSeconds,
  toStruct,
  UNKNOWN,
  type Value,
} from "./host";
import { type KubernetesModelOptions, KubernetesProvider } from "./k8s-provider-model";
import { settled } from "./mocks";

// ---------------------------------------------------------------------------------------------
// What the engine records
// ---------------------------------------------------------------------------------------------

/** Everything a RegisterResourceRequest carries that the engine acts on. */
export interface Registration {
  urn: string;
  type: string;
  name: string;
  parent: string;
  custom: boolean;
  remote: boolean;
  inputs: PropertyMap;
  /** All direct dependencies: `dependsOn` plus every resource an input came from. */
  dependencies: string[];
  /** Input name -> resources its value came from. */
  propertyDependencies: Record<string, string[]>;
  protect?: boolean;
  retainOnDelete?: boolean;
  deletedWith: string;
  deleteBeforeReplace?: boolean;
  aliases: AliasSpec[];
  ignoreChanges: string[];
  replaceOnChanges: string[];
  additionalSecretOutputs: string[];
  provider: string;
  customTimeouts: { create: string; update: string; delete: string };
  importId: string;
  /** The options the engine took from the parent's registration (source_eval.go, inheritFromParent). */
  inherited: Array<"protect" | "retainOnDelete" | "deletedWith">;
}

export interface AliasSpec {
  urn?: string;
  name?: string;
  type?: string;
  stack?: string;
  project?: string;
  parentUrn?: string;
  noParent?: boolean;
}

/** One resource in the checkpoint (pulumi/pulumi sdk/go/common/resource/resource_state.go, State). */
export interface ResourceState {
  urn: string;
  type: string;
  custom: boolean;
  id: string;
  parent: string;
  inputs: PropertyMap;
  outputs: PropertyMap;
  dependencies: string[];
  propertyDependencies: Record<string, string[]>;
  protect: boolean;
  retainOnDelete: boolean;
  deletedWith: string;
  /** The old copy of a create-before-delete replacement, deleted at the end of a later successful update. */
  delete: boolean;
  /** Reasons of a partial failure: the next `up` updates the resource even without a diff. */
  initErrors: string[];
  ignoreChanges: string[];
  replaceOnChanges: string[];
  additionalSecretOutputs: string[];
  customTimeouts: { create: string; update: string; delete: string };
}

export type StepOp =
  | "same"
  | "create"
  | "update"
  | "replace"
  | "create-replacement"
  | "delete-replaced"
  | "delete"
  | "refresh"
  | "skipped-create";

export interface Step {
  op: StepOp;
  urn: string;
  /** Property paths that force the replacement (replace steps). */
  replaces?: string[];
  /** For replacements: whether the old copy went first. */
  deleteBeforeReplace?: boolean;
  /** Why a delete did not call the provider. */
  skipped?: "retainOnDelete" | "deletedWith" | "preview";
  /** Set when the step failed. */
  error?: string;
}

export interface UpOptions {
  /** Stack configuration; keys without a namespace get the project's. */
  config?: Record<string, string>;
  /** `--target`: URNs (see `urnOf`). */
  target?: string[];
  /** `--target-dependents`. */
  targetDependents?: boolean;
  /** `--refresh`: refresh every resource before the update. */
  refresh?: boolean;
}

export interface EngineOptions {
  project?: string;
  stack?: string;
  /** How the dynamic-provider host is started (cwd, env). One host process per operation. */
  host?: HostOptions;
  /** Provider configuration for the Kubernetes model. */
  kubernetes?: Omit<KubernetesModelOptions, "server">;
  /** Providers by package name, replacing the defaults (`kubernetes`, `pulumi-nodejs`). */
  providers?: Record<string, ProviderPlugin>;
}

const DYNAMIC_PACKAGE = "pulumi-nodejs";

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

const clone = <T>(v: T): T => structuredClone(v);
const isObj = (v: unknown): v is Record<string, Value> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

function stableJson(v: unknown): string {
  const sort = (x: unknown): unknown =>
    Array.isArray(x)
      ? x.map(sort)
      : isObj(x)
        ? Object.fromEntries(
            Object.keys(x)
              .sort()
              .map((k) => [k, sort(x[k])]),
          )
        : x;
  return JSON.stringify(sort(v));
}

/** `a.b[0].c` -> ["a", "b", 0, "c"] (resource.ParsePropertyPath, simplified: no quoted keys). */
function parsePath(path: string): (string | number)[] {
  const out: (string | number)[] = [];
  for (const m of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) out.push(m[2] !== undefined ? Number(m[2]) : m[1]!);
  return out;
}

function getPath(v: Value | undefined, path: (string | number)[]): Value | undefined {
  let cur: Value | undefined = v;
  for (const p of path) {
    if (isSecret(cur)) cur = cur.value;
    if (typeof p === "number") cur = Array.isArray(cur) ? cur[p] : undefined;
    else cur = isObj(cur) ? cur[p] : undefined;
    if (cur === undefined) return undefined;
  }
  return cur;
}

function setPath(root: PropertyMap, path: (string | number)[], value: Value | undefined): void {
  let cur: Value = root;
  for (let i = 0; i < path.length - 1; i++) {
    const p = path[i]!;
    const next: Value | undefined = (cur as Record<string | number, Value>)[p];
    if (next === undefined || next === null || typeof next !== "object") return;
    cur = isSecret(next) ? next.value : next;
  }
  const last = path[path.length - 1]!;
  const container = cur as Record<string | number, Value>;
  if (value === undefined) {
    if (Array.isArray(container)) return;
    delete container[last];
  } else container[last] = value;
}

/**
 * Ignored properties keep their old values (pulumi/pulumi pkg/resource/deploy/step_generator.go,
 * processIgnoreChanges; applied before Check).
 */
function processIgnoreChanges(news: PropertyMap, olds: PropertyMap, ignore: string[]): PropertyMap {
  if (ignore.length === 0) return news;
  const out = clone(news);
  for (const p of ignore) {
    const path = parsePath(p);
    setPath(out, path, getPath(olds, path));
  }
  return out;
}

function urnOf(stack: string, project: string, parent: string, type: string, name: string): string {
  const qualified = parent ? `${parent.split("::")[2]!}$${type}` : type;
  return `urn:pulumi:${stack}::${project}::${qualified}::${name}`;
}
const nameOf = (urn: string) => urn.split("::").slice(3).join("::");

/** Dependencies a state records, by kind (resource_state.go, GetAllDependencies). */
function allDependencies(s: ResourceState, includeParent: boolean): string[] {
  return [
    ...(includeParent && s.parent ? [s.parent] : []),
    ...s.dependencies,
    ...Object.values(s.propertyDependencies).flat(),
    ...(s.deletedWith ? [s.deletedWith] : []),
  ];
}

/** A delete, replace or check failure the engine reports; `protect` deletes are special-cased. */
export class EngineError extends Error {
  constructor(
    message: string,
    readonly urn: string,
    readonly kind: "step" | "protect" | "check" | "target" | "program" = "step",
  ) {
    super(message);
    this.name = "EngineError";
  }
}

function unavailable(): grpc.ServiceError {
  const e = new Error("resource monitor shut down while waiting on step's done channel") as grpc.ServiceError;
  e.code = grpc.status.UNAVAILABLE;
  e.details = e.message;
  e.metadata = new grpc.Metadata();
  return e;
}

// ---------------------------------------------------------------------------------------------
// The dependency graph (pulumi/pulumi pkg/resource/graph/dependency_graph.go)
// ---------------------------------------------------------------------------------------------

class DependencyGraph {
  private readonly index = new Map<ResourceState, number>();

  constructor(readonly resources: ResourceState[]) {
    resources.forEach((r, i) => {
      this.index.set(r, i);
    });
  }

  contains(r: ResourceState): boolean {
    return this.index.has(r);
  }

  /**
   * What `res` depends on directly, among the resources before it: dependencies, property
   * dependencies, deletedWith, the parent, and the children of a component it depends on
   * (DependencyGraph.DependenciesOf).
   */
  dependenciesOf(res: ResourceState): Set<ResourceState> {
    const set = new Set<ResourceState>();
    const urns = new Set(allDependencies(res, false));
    const at = this.index.get(res) ?? this.resources.length;
    for (let i = at - 1; i >= 0; i--) {
      const c = this.resources[i]!;
      if (urns.has(c.urn)) {
        set.add(c);
        if (!c.custom)
          for (let j = 0; j < at; j++)
            if (this.isDescendant(this.resources[j]!, c.urn)) set.add(this.resources[j]!);
      }
      if (c.urn === res.parent) set.add(c);
    }
    return set;
  }

  private isDescendant(r: ResourceState, ancestor: string): boolean {
    for (let p = r.parent; p; p = this.resources.find((x) => x.urn === p)?.parent ?? "")
      if (p === ancestor) return true;
    return false;
  }

  /** Transitive dependents after `res`, in order (DependencyGraph.DependingOn). */
  dependingOn(res: ResourceState, ignore: Set<string>, includeChildren: boolean): ResourceState[] {
    const out: ResourceState[] = [];
    const dependents = new Set([res.urn]);
    const at = this.index.get(res)!;
    for (let i = at + 1; i < this.resources.length; i++) {
      const c = this.resources[i]!;
      if (ignore.has(c.urn)) continue;
      const deps = allDependencies(c, false);
      if (deps.some((d) => dependents.has(d)) || (includeChildren && dependents.has(c.parent))) {
        out.push(c);
        dependents.add(c.urn);
      }
    }
    return out;
  }

  /** Everything `res` depends on, transitively, parents included (DependencyGraph.TransitiveDependenciesOf). */
  transitiveDependenciesOf(res: ResourceState): Set<ResourceState> {
    const out = new Set<ResourceState>();
    const visit = (r: ResourceState) => {
      for (const d of this.dependenciesOf(r))
        if (!out.has(d)) {
          out.add(d);
          visit(d);
        }
    };
    visit(res);
    return out;
  }
}

/**
 * Antichains of deletes, dependents first (pulumi/pulumi step_generator.go, ScheduleDeletes):
 * repeatedly take the condemned resources none of whose dependencies are still condemned, then
 * reverse the list.
 */
function scheduleDeletes(graph: DependencyGraph, condemned: ResourceState[]): ResourceState[][] {
  const left = new Set(condemned);
  const chains: ResourceState[][] = [];
  while (left.size > 0) {
    const chain = [...left].filter((r) => ![...graph.dependenciesOf(r)].some((d) => left.has(d)));
    if (chain.length === 0) throw new Error("cycle in the dependency graph");
    for (const r of chain) left.delete(r);
    chains.push(chain);
  }
  return chains.reverse();
}

// ---------------------------------------------------------------------------------------------
// One operation
// ---------------------------------------------------------------------------------------------

type Mode = "update" | "preview" | "destroy" | "refresh";

interface StepResult {
  state: ResourceState;
}

class Deployment {
  readonly prev: ResourceState[];
  readonly graph: DependencyGraph;
  /** Old states by URN, pending deletes excluded (deployment.go, olds). */
  readonly olds = new Map<string, ResourceState>();
  /** New states in the order their steps completed. */
  readonly news: ResourceState[] = [];
  /** Old states a step replaced or deleted: they leave the snapshot. */
  readonly done = new Set<ResourceState>();
  readonly goals = new Map<string, Registration>();
  /** URNs registered (or claimed through an alias) this operation (step_generator.go, isOperatedOn). */
  readonly operated = new Set<string>();
  readonly deletes = new Set<string>();
  readonly replaces = new Set<string>();
  readonly pendingDeletes = new Set<ResourceState>();
  readonly skippedCreates = new Set<string>();
  readonly steps: Step[] = [];
  readonly errors: Error[] = [];
  readonly registrations: Registration[] = [];
  failure?: Error;
  private inflight = 0;
  private release!: () => void;
  readonly released = new Promise<void>((r) => {
    this.release = r;
  });
  private hostStarting?: Promise<DynamicProviderHost>;
  host?: DynamicProviderHost;

  constructor(
    readonly engine: Engine,
    readonly mode: Mode,
    readonly targets: string[] | undefined,
    readonly targetDependents: boolean,
  ) {
    this.prev = engine.resources.slice();
    this.graph = new DependencyGraph(this.prev);
    for (const r of this.prev) if (!r.delete) this.olds.set(r.urn, r);
  }

  get preview(): boolean {
    return this.mode === "preview";
  }

  // ---- providers ----

  async provider(type: string): Promise<ProviderPlugin> {
    const pkg = type.split(":")[0]!;
    const configured = this.engine.options.providers?.[pkg];
    if (configured) return configured;
    if (pkg === "kubernetes") return this.engine.kubernetes;
    if (pkg === DYNAMIC_PACKAGE) {
      this.hostStarting ??= DynamicProviderHost.start(this.engine.options.host ?? {}).then((h) => {
        this.host = h;
        return h;
      });
      return this.hostStarting;
    }
    if (type.startsWith("pulumi:providers:")) return PROVIDER_RESOURCES;
    throw new Error(`no resource plugin '${pkg}' found in the model (type ${type})`);
  }

  // ---- failure handling (step_executor.go, cancelDueToError; deployment_executor.go, Execute) ----

  fail(err: Error): void {
    this.errors.push(err);
    this.failure ??= err;
    this.maybeRelease();
  }

  private maybeRelease(): void {
    if (this.failure && this.inflight === 0) this.release();
  }

  record(step: Step): void {
    this.steps.push(step);
  }

  // ---- registrations ----

  /** ResourceMonitor.RegisterResource (pkg/resource/deploy/source_eval.go). */
  async register(req: resproto.RegisterResourceRequest): Promise<resproto.RegisterResourceResponse> {
    const reg = this.decode(req);
    this.registrations.push(reg);
    // After a failed step the engine stops taking registrations; the monitor answers them
    // UNAVAILABLE once the running steps finished (deployment_executor.go, Execute: ctx.Done()).
    if (this.failure) {
      await this.released;
      throw unavailable();
    }
    this.inflight++;
    let result: StepResult | undefined;
    try {
      result = await this.stepsFor(reg);
    } catch (e) {
      this.inflight--;
      this.fail(e as Error);
      await this.released;
      throw unavailable();
    }
    this.inflight--;
    this.maybeRelease();
    this.goals.set(reg.urn, reg);
    const res = new resproto.RegisterResourceResponse();
    res.setUrn(reg.urn);
    res.setId(result.state.id);
    // Components answer with no outputs (source_eval.go, RegisterResource: "Local ComponentResources").
    res.setObject(toStruct(reg.custom ? result.state.outputs : {}));
    res.setResult(resproto.Result.SUCCESS);
    return res;
  }

  private decode(req: resproto.RegisterResourceRequest): Registration {
    const type = req.getType();
    const name = req.getName();
    const parent = req.getParent();
    const propertyDependencies: Record<string, string[]> = {};
    for (const [k, v] of req.getPropertydependenciesMap().entries())
      propertyDependencies[k] = v.getUrnsList();
    const timeouts = req.getCustomtimeouts();
    const reg: Registration = {
      urn: urnOf(this.engine.stack, this.engine.project, parent, type, name),
      type,
      name,
      parent,
      custom: req.getCustom(),
      remote: req.getRemote(),
      inputs: fromStruct(req.getObject()),
      dependencies: req.getDependenciesList(),
      propertyDependencies,
      protect: req.hasProtect() ? req.getProtect() : undefined,
      retainOnDelete: req.hasRetainondelete() ? req.getRetainondelete() : undefined,
      deletedWith: req.getDeletedwith(),
      deleteBeforeReplace: req.getDeletebeforereplacedefined() ? req.getDeletebeforereplace() : undefined,
      aliases: [
        ...req.getAliasurnsList().map((urn) => ({ urn })),
        ...req.getAliasesList().map((a): AliasSpec => {
          if (a.hasUrn()) return { urn: a.getUrn() };
          const s = a.getSpec()!;
          return {
            name: s.getName() || undefined,
            type: s.getType() || undefined,
            stack: s.getStack() || undefined,
            project: s.getProject() || undefined,
            parentUrn: s.hasParenturn() ? s.getParenturn() : undefined,
            noParent: s.hasNoparent() ? s.getNoparent() : undefined,
          };
        }),
      ],
      ignoreChanges: req.getIgnorechangesList(),
      replaceOnChanges: req.getReplaceonchangesList(),
      additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
      provider: req.getProvider(),
      customTimeouts: {
        create: timeouts?.getCreate() ?? "",
        update: timeouts?.getUpdate() ?? "",
        delete: timeouts?.getDelete() ?? "",
      },
      importId: req.getImportid(),
      inherited: [],
    };
    // The engine fills unset options from the parent's registration: deletedWith, protect,
    // retainOnDelete (pkg/resource/deploy/source_eval.go, inheritFromParent).
    const parentGoal = parent ? this.goals.get(parent) : undefined;
    if (parentGoal) {
      if (!reg.deletedWith && parentGoal.deletedWith) {
        reg.deletedWith = parentGoal.deletedWith;
        reg.inherited.push("deletedWith");
      }
      if (reg.protect === undefined && parentGoal.protect !== undefined) {
        reg.protect = parentGoal.protect;
        reg.inherited.push("protect");
      }
      if (reg.retainOnDelete === undefined && parentGoal.retainOnDelete !== undefined) {
        reg.retainOnDelete = parentGoal.retainOnDelete;
        reg.inherited.push("retainOnDelete");
      }
    }
    return reg;
  }

  /** Old state by URN, then by aliases (step_generator.go, getOldResource / generateAliases). */
  private findOld(reg: Registration): ResourceState | undefined {
    const direct = this.olds.get(reg.urn);
    if (direct) return direct;
    const candidates: string[] = [];
    const collapse = (a: AliasSpec): string =>
      a.urn ??
      `urn:pulumi:${a.stack ?? this.engine.stack}::${a.project ?? this.engine.project}::${
        (a.noParent ? "" : (a.parentUrn ?? reg.parent))
          ? `${(a.parentUrn ?? reg.parent).split("::")[2]}$${a.type ?? reg.type}`
          : (a.type ?? reg.type)
      }::${a.name ?? reg.name}`;
    for (const a of reg.aliases) candidates.push(collapse(a));
    // A child of an aliased parent is aliased too, its name's parent prefix renamed (inheritedChildAlias).
    const parentAlias = reg.parent ? this.aliasOf.get(reg.parent) : undefined;
    if (parentAlias) {
      const parentName = nameOf(reg.parent);
      const childName = reg.name.startsWith(parentName)
        ? nameOf(parentAlias) + reg.name.slice(parentName.length)
        : reg.name;
      candidates.push(
        `urn:pulumi:${this.engine.stack}::${this.engine.project}::${parentAlias.split("::")[2]}$${reg.type}::${childName}`,
      );
    }
    for (const c of candidates) {
      const old = this.olds.get(c);
      if (old) {
        this.aliasOf.set(reg.urn, c);
        this.operated.add(c);
        return old;
      }
    }
    return undefined;
  }
  private readonly aliasOf = new Map<string, string>();

  /** `--target` (step_generator.go, isTargetedForUpdate): listed, or a dependent with --target-dependents. */
  private targetsActual = new Set<string>();
  isTargeted(urn: string, deps: string[]): boolean {
    if (!this.targets) return true;
    if (this.targets.includes(urn)) return true;
    if (!this.targetDependents) return false;
    return deps.some((d) => this.targetsActual.has(d));
  }

  private newState(reg: Registration, inputs: PropertyMap): ResourceState {
    return {
      urn: reg.urn,
      type: reg.type,
      custom: reg.custom,
      id: "",
      parent: reg.parent,
      inputs,
      outputs: {},
      dependencies: reg.dependencies,
      propertyDependencies: reg.propertyDependencies,
      protect: reg.protect ?? false,
      retainOnDelete: reg.retainOnDelete ?? false,
      deletedWith: reg.deletedWith,
      delete: false,
      initErrors: [],
      ignoreChanges: reg.ignoreChanges,
      replaceOnChanges: reg.replaceOnChanges,
      additionalSecretOutputs: reg.additionalSecretOutputs,
      customTimeouts: reg.customTimeouts,
    };
  }

  /**
   * The step executor's finishing touches on a new state (step_executor.go, continueExecuteStep):
   * additionalSecretOutputs become secrets, and an output named like a secret input becomes one.
   */
  private add(state: ResourceState): ResourceState {
    const outs = { ...state.outputs };
    for (const k of state.additionalSecretOutputs)
      if (k in outs && k !== "id") outs[k] = makeSecret(outs[k]!);
    for (const [k, v] of Object.entries(outs))
      if (!isSecret(v) && isSecret(state.inputs[k])) outs[k] = makeSecret(v);
    state.outputs = outs;
    this.news.push(state);
    return state;
  }

  /**
   * Steps for one registration (step_generator.go, generateResourceSteps ->
   * continueStepsFromImport -> generateStepsFromDiff / continueStepsFromDiff), executed as the
   * step executor does, one chain per registration.
   */
  private async stepsFor(reg: Registration): Promise<StepResult> {
    const old = this.findOld(reg);
    this.operated.add(reg.urn);
    const deps = [reg.parent, ...reg.dependencies, ...Object.values(reg.propertyDependencies).flat()].filter(
      Boolean,
    );
    const targeted = this.isTargeted(reg.urn, deps);
    if (targeted && this.targets) this.targetsActual.add(reg.urn);

    if (!targeted) {
      if (old) {
        // An untargeted resource keeps its old state, inputs included (NewUntargetedSameStep).
        this.record({ op: "same", urn: reg.urn });
        this.done.add(old);
        return { state: this.add({ ...clone(old), urn: reg.urn }) };
      }
      // A new untargeted resource is not created (NewSkippedCreateStep).
      this.skippedCreates.add(reg.urn);
      this.record({ op: "skipped-create", urn: reg.urn });
      return { state: this.newState(reg, reg.inputs) };
    }
    // A targeted step may not depend on a skipped create (step_generator.go, validateSteps).
    const skipped = deps.find((d) => this.skippedCreates.has(d));
    if (skipped)
      throw new EngineError(
        `Resource '${reg.urn}' depends on '${skipped}' which was was not specified in --target list.`,
        reg.urn,
        "target",
      );

    if (!reg.custom) return this.component(reg, old);

    const provider = await this.provider(reg.type);
    const recreating = old !== undefined && this.deletes.has(reg.urn);
    const goalInputs = old ? processIgnoreChanges(reg.inputs, old.inputs, reg.ignoreChanges) : reg.inputs;
    const checked = await provider.check({
      urn: reg.urn,
      name: reg.name,
      type: reg.type,
      olds: old && !recreating ? old.inputs : undefined,
      news: goalInputs,
      allowUnknowns: this.preview,
    });
    if (checked.failures.length > 0)
      throw new EngineError(
        `resource ${reg.urn} is invalid: ${checked.failures.map((f) => `${f.property}: ${f.reason}`).join("; ")}`,
        reg.urn,
        "check",
      );
    const news = this.newState(reg, checked.inputs);

    if (!old) return this.create(provider, reg, news, "create");
    if (recreating) {
      // Deleted earlier as a dependent of a delete-before-replace: now it is re-created (Case 1).
      this.deletes.delete(reg.urn);
      this.replaces.add(reg.urn);
      this.record({ op: "replace", urn: reg.urn, deleteBeforeReplace: true });
      return this.create(provider, reg, news, "create-replacement");
    }

    // (Unreleased at pulumi/pulumi HEAD, 5cd93859: a resource is also replaced when its deletedWith
    // target is. No release up to v3.259.0 does it; neither does the model.)
    const diff = applyReplaceOnChanges(
      await this.diffResource(provider, reg.urn, old, news.inputs, reg.ignoreChanges, this.preview),
      reg.replaceOnChanges,
    );
    const hasInitErrors = old.initErrors.length > 0;

    if (diff.changes === "some" && diff.replaces.length > 0)
      return this.replace(provider, reg, old, news, diff);
    if (diff.changes === "some" || hasInitErrors) return this.update(provider, reg, old, news);
    // Same: the old id and outputs carry over (step.go, SameStep.Apply).
    this.record({ op: "same", urn: reg.urn });
    this.done.add(old);
    return { state: this.add({ ...news, id: old.id, outputs: old.outputs }) };
  }

  /** A component: no provider; a diff is a comparison of inputs (step_generator.go, diff: prov == nil). */
  private component(reg: Registration, old: ResourceState | undefined): StepResult {
    const news = this.newState(reg, reg.inputs);
    if (!old) {
      this.record({ op: "create", urn: reg.urn });
      return { state: this.add(news) };
    }
    this.done.add(old);
    this.record({ op: stableJson(old.inputs) === stableJson(reg.inputs) ? "same" : "update", urn: reg.urn });
    return { state: this.add({ ...news, outputs: old.outputs }) };
  }

  /** Diff through the provider; an "unknown" answer is a comparison of inputs (step_generator.go, diffResource). */
  async diffResource(
    provider: ProviderPlugin,
    urn: string,
    old: ResourceState,
    newInputs: PropertyMap,
    ignoreChanges: string[],
    allowUnknowns: boolean,
  ): Promise<DiffResult> {
    const diff = await provider.diff({
      urn,
      name: nameOf(urn),
      type: old.type,
      id: old.id,
      oldInputs: old.inputs,
      oldOutputs: old.outputs,
      newInputs,
      ignoreChanges,
      allowUnknowns,
    });
    if (diff.changes !== "unknown") return diff;
    const news = processIgnoreChanges(newInputs, old.inputs, ignoreChanges);
    const changed = stableJson(reveal(old.inputs)) !== stableJson(reveal(news));
    return { ...diff, changes: changed ? "some" : "none" };
  }

  private async create(
    provider: ProviderPlugin,
    reg: Registration,
    news: ResourceState,
    op: "create" | "create-replacement",
  ): Promise<StepResult> {
    try {
      const res = await provider.create({
        urn: reg.urn,
        name: reg.name,
        type: reg.type,
        properties: news.inputs,
        timeout: timeoutSeconds(reg.customTimeouts.create),
        preview: this.preview,
      });
      this.record({ op, urn: reg.urn });
      return { state: this.add({ ...news, id: res.id, outputs: res.properties }) };
    } catch (e) {
      // A partial failure is recorded with its id, outputs and reasons (step.go, CreateStep.Apply;
      // pkg/engine/update.go, OnResourceStepPost).
      if (e instanceof ProviderError && e.partial)
        this.add({ ...news, id: e.partial.id, outputs: e.partial.properties, initErrors: e.reasons });
      this.record({ op, urn: reg.urn, error: (e as Error).message });
      throw e;
    }
  }

  private async update(
    provider: ProviderPlugin,
    reg: Registration,
    old: ResourceState,
    news: ResourceState,
  ): Promise<StepResult> {
    try {
      const res = await provider.update({
        urn: reg.urn,
        name: reg.name,
        type: reg.type,
        id: old.id,
        oldInputs: old.inputs,
        oldOutputs: old.outputs,
        newInputs: news.inputs,
        timeout: timeoutSeconds(reg.customTimeouts.update),
        ignoreChanges: reg.ignoreChanges,
        preview: this.preview,
      });
      this.done.add(old);
      this.record({ op: "update", urn: reg.urn });
      return { state: this.add({ ...news, id: old.id, outputs: res.properties }) };
    } catch (e) {
      // A partially failed update keeps the new outputs with the OLD inputs (update.go, OnResourceStepPost).
      if (e instanceof ProviderError && e.partial) {
        this.done.add(old);
        this.add({
          ...news,
          id: old.id,
          inputs: old.inputs,
          outputs: e.partial.properties,
          initErrors: e.reasons,
        });
      }
      this.record({ op: "update", urn: reg.urn, error: (e as Error).message });
      throw e;
    }
  }

  /** Replacement (step_generator.go, continueStepsFromDiff). */
  private async replace(
    provider: ProviderPlugin,
    reg: Registration,
    old: ResourceState,
    news: ResourceState,
    diff: DiffResult,
  ): Promise<StepResult> {
    // A resource protected before and after cannot be replaced.
    if (news.protect && old.protect)
      throw new EngineError(
        `unable to replace resource "${reg.urn}"\nas it is currently marked for protection. To unprotect the resource, remove the \`protect\` flag from the resource in your Pulumi program and run \`pulumi up\``,
        reg.urn,
        "protect",
      );
    this.replaces.add(reg.urn);
    // The replacement is checked again without old inputs.
    const rechecked = await provider.check({
      urn: reg.urn,
      name: reg.name,
      type: reg.type,
      news: reg.inputs,
      allowUnknowns: this.preview,
    });
    news.inputs = rechecked.inputs;
    // The provider decides; the deleteBeforeReplace option overrides it.
    const dbr = reg.deleteBeforeReplace ?? diff.deleteBeforeReplace;
    if (dbr) {
      // Dependents that would be replaced go first, dependents first; then the old copy.
      const dependents = this.graph.contains(old) ? await this.dependentReplacements(old) : [];
      for (const dep of [...dependents].reverse()) {
        if (this.pendingDeletes.has(dep)) continue;
        if (dep.protect)
          throw new EngineError(
            `unable to replace resource "${dep.urn}" as part of replacing "${reg.urn}" as it is currently marked for protection.`,
            reg.urn,
            "protect",
          );
        this.deletes.add(dep.urn);
        this.pendingDeletes.add(dep);
        await this.deleteOne(dep, "delete-replaced", true);
      }
      this.deletes.add(old.urn);
      await this.deleteOne(old, "delete-replaced", true);
      this.record({ op: "replace", urn: reg.urn, replaces: diff.replaces, deleteBeforeReplace: true });
      return this.create(provider, reg, news, "create-replacement");
    }
    // Create-before-delete: the new copy now, the old one marked and deleted at the end of the update.
    const created = await this.create(provider, reg, news, "create-replacement");
    if (!this.preview) old.delete = true;
    this.record({ op: "replace", urn: reg.urn, replaces: diff.replaces, deleteBeforeReplace: false });
    return created;
  }

  /**
   * Resources that a delete-before-replace must delete first: transitive dependents whose inputs
   * come from a replaced resource and whose provider says those unknown inputs force a
   * replacement (step_generator.go, calculateDependentReplacements). A `dependsOn` alone never
   * does. (pulumi/pulumi HEAD also takes along what is deletedWith a replaced resource; unreleased.)
   */
  private async dependentReplacements(root: ResourceState): Promise<ResourceState[]> {
    const replaceSet = new Set([root.urn]);
    const out: ResourceState[] = [];
    const ignore = new Set(this.operated);
    for (const d of this.graph.dependingOn(root, ignore, false)) {
      if (!d.custom) continue;
      let touched = false;
      const inputs: PropertyMap = {};
      for (const [k, v] of Object.entries(d.inputs)) {
        const fromReplaced = (d.propertyDependencies[k] ?? []).some((u) => replaceSet.has(u));
        inputs[k] = fromReplaced ? UNKNOWN : v;
        touched ||= fromReplaced;
      }
      if (!touched) continue;
      const provider = await this.provider(d.type);
      const diff = applyReplaceOnChanges(
        await this.diffResource(provider, d.urn, d, inputs, d.ignoreChanges, true),
        d.replaceOnChanges,
      );
      const replace = diff.changes === "some" && diff.replaces.length > 0;
      if (replace) {
        out.push(d);
        replaceSet.add(d.urn);
      }
    }
    return out;
  }

  /**
   * One delete (step.go, DeleteStep.Apply): protect refuses (unless replacing); in a preview
   * nothing runs; retainOnDelete and deletedWith (the other resource deleted in this operation)
   * skip the provider; components have no provider call.
   */
  async deleteOne(res: ResourceState, op: "delete" | "delete-replaced", replacing: boolean): Promise<void> {
    if (!replacing && res.protect)
      throw new EngineError(
        `resource "${res.urn}" cannot be deleted\nbecause it is protected. To unprotect the resource, either remove the \`protect\` flag from the resource in your Pulumi program and run \`pulumi up\`, or use the command:\n\`pulumi state unprotect '${res.urn}'\``,
        res.urn,
        "protect",
      );
    let skipped: Step["skipped"];
    if (this.preview) skipped = "preview";
    else if (res.retainOnDelete) skipped = "retainOnDelete";
    else if (res.deletedWith && this.deletes.has(res.deletedWith)) skipped = "deletedWith";
    else if (res.custom) {
      const provider = await this.provider(res.type);
      try {
        await provider.delete({
          urn: res.urn,
          name: nameOf(res.urn),
          type: res.type,
          id: res.id,
          inputs: res.inputs,
          outputs: res.outputs,
          timeout: timeoutSeconds(res.customTimeouts.delete),
        });
      } catch (e) {
        this.record({ op, urn: res.urn, error: (e as Error).message });
        throw e;
      }
    }
    if (!this.preview) this.done.add(res);
    this.record({ op, urn: res.urn, ...(skipped ? { skipped } : {}) });
  }

  // ---- the end of an update: deletes (deployment_executor.go, performPostSteps) ----

  /** Which old resources to delete (step_generator.go, GenerateDeletes). */
  generateDeletes(): ResourceState[] {
    let allowed: Set<string> | undefined;
    if (this.targets) {
      // Targets and, transitively, everything depending on them, children included
      // (determineAllowedResourcesToDeleteFromTargets, getTargetDependents).
      allowed = new Set();
      for (const r of this.prev)
        if (this.targets.includes(r.urn)) {
          allowed.add(r.urn);
          for (const d of this.graph.dependingOn(r, new Set(), true)) allowed.add(d.urn);
        }
    }
    const condemned: ResourceState[] = [];
    for (const r of this.prev) {
      if (allowed && !allowed.has(r.urn)) continue;
      if (r.delete) {
        if (!this.pendingDeletes.has(r)) condemned.push(r);
      } else if (!this.operated.has(r.urn) && !this.done.has(r)) condemned.push(r);
    }
    for (const r of condemned) this.deletes.add(r.urn);
    if (this.targets && !this.targetDependents) {
      const unlisted = condemned.filter((r) => !this.targets!.includes(r.urn));
      if (unlisted.length > 0)
        throw new EngineError(
          unlisted
            .map(
              (r) =>
                `Resource '${r.urn}' will be destroyed but was not specified in --target list.\nEither include resource in --target list or pass --target-dependents to proceed.`,
            )
            .join("\n"),
          unlisted[0]!.urn,
          "target",
        );
    }
    return condemned;
  }

  /**
   * Runs deletes antichain by antichain, each in parallel. A protect error does not stop the
   * others, but what the protected resource depends on is kept; any other error stops the
   * following antichains (deployment_executor.go, performPostSteps; step_executor.go,
   * cancelDueToError).
   */
  async runDeletes(condemned: ResourceState[]): Promise<void> {
    const chains = scheduleDeletes(this.graph, condemned);
    const keep = new Set<ResourceState>();
    for (const chain of chains) {
      const results = await Promise.allSettled(
        chain
          .filter((r) => !keep.has(r))
          .map((r) => this.deleteOne(r, r.delete ? "delete-replaced" : "delete", false).then(() => r)),
      );
      let stop = false;
      results.forEach((res, i) => {
        if (res.status === "fulfilled") return;
        const err = res.reason as Error;
        this.errors.push(err);
        this.failure ??= err;
        if (err instanceof EngineError && err.kind === "protect")
          for (const d of this.graph.transitiveDependenciesOf(chain[i]!)) keep.add(d);
        else stop = true;
      });
      if (stop) return;
    }
  }

  /** The checkpoint after this operation: new states, then old ones nothing replaced (pkg/backend/snapshot.go, snap). */
  snapshot(): ResourceState[] {
    const newUrns = new Set(this.news.map((r) => r.urn));
    return [
      ...this.news,
      ...this.prev.filter((r) => !this.done.has(r) && !(newUrns.has(r.urn) && !r.delete)),
    ];
  }

  async closeHost(): Promise<string[]> {
    const host =
      this.host ?? (this.hostStarting ? await this.hostStarting.catch(() => undefined) : undefined);
    if (!host) return [];
    await host.flush().catch(() => undefined);
    await host.stop();
    this.engine.stderr.push(...host.stderr);
    return host.stdout;
  }
}

/** replaceOnChanges turns changes under the listed paths into replacements (step_generator.go, applyReplaceOnChanges). */
function applyReplaceOnChanges(diff: DiffResult, replaceOnChanges: string[]): DiffResult {
  if (diff.changes !== "some" || replaceOnChanges.length === 0) return diff;
  const under = (k: string) =>
    replaceOnChanges.some((p) => p === "*" || k === p || k.startsWith(`${p}.`) || k.startsWith(`${p}[`));
  const changed = diff.detailedDiff ? Object.keys(diff.detailedDiff) : diff.diffs;
  const extra = changed.filter((k) => under(k) && !diff.replaces.includes(k));
  return extra.length > 0 ? { ...diff, replaces: [...diff.replaces, ...extra] } : diff;
}

/** Explicit provider resources (`pulumi:providers:*`) are recorded; the model routes by package. */
const PROVIDER_RESOURCES: ProviderPlugin = {
  label: "provider resources",
  check: async (r) => ({ inputs: r.news, failures: [] }),
  diff: async () => ({
    changes: "unknown",
    replaces: [],
    stables: [],
    diffs: [],
    deleteBeforeReplace: false,
  }),
  create: async (r) => ({ id: r.preview ? "" : `${r.name}-provider`, properties: r.properties }),
  read: async (r) => ({ id: r.id, properties: r.properties, inputs: r.inputs }),
  update: async (r) => ({ properties: r.newInputs }),
  delete: async () => {},
};

// ---------------------------------------------------------------------------------------------
// The resource monitor the SDK talks to
// ---------------------------------------------------------------------------------------------

type Callback<T> = (err: grpc.ServiceError | Error | null, res?: T) => void;

class Monitor {
  constructor(private readonly d: Deployment) {}

  registerResource(req: resproto.RegisterResourceRequest, cb: Callback<resproto.RegisterResourceResponse>) {
    this.d.register(req).then(
      (res) => cb(null, res),
      (err) => cb(err),
    );
  }

  /** Component outputs land in the new state (step_executor.go, executeRegisterResourceOutputs). */
  registerResourceOutputs(req: resproto.RegisterResourceOutputsRequest, cb: Callback<emptyproto.Empty>) {
    const s = this.d.news.find((r) => r.urn === req.getUrn());
    if (s) s.outputs = fromStruct(req.getOutputs());
    cb(null, new emptyproto.Empty());
  }

  /** Only `pulumi:pulumi:getResource`, which resource references need. */
  invoke(req: resproto.ResourceInvokeRequest, cb: Callback<provproto.InvokeResponse>) {
    const args = fromStruct(req.getArgs());
    if (req.getTok() !== "pulumi:pulumi:getResource") {
      cb(new Error(`the engine model does not serve invoke ${req.getTok()}`));
      return;
    }
    const s = this.d.news.find((r) => r.urn === args.urn) ?? this.d.olds.get(String(args.urn));
    if (!s) {
      cb(new Error(`unknown resource ${String(args.urn)}`));
      return;
    }
    const res = new provproto.InvokeResponse();
    res.setReturn(toStruct({ urn: s.urn, id: s.id, state: s.outputs }));
    cb(null, res);
  }

  readResource(_req: unknown, cb: Callback<never>) {
    cb(new Error("the engine model does not serve ReadResource (resource.get)"));
  }

  call(_req: unknown, cb: Callback<never>) {
    cb(new Error("the engine model does not serve Call"));
  }

  supportsFeature(req: resproto.SupportsFeatureRequest, cb: Callback<resproto.SupportsFeatureResponse>) {
    const res = new resproto.SupportsFeatureResponse();
    res.setHassupport(SUPPORTED.has(req.getId()));
    cb(null, res);
  }

  registerPackage(_req: unknown, cb: Callback<resproto.RegisterPackageResponse>) {
    const res = new resproto.RegisterPackageResponse();
    res.setRef("model-package");
    cb(null, res);
  }

  close() {}
}

/**
 * Monitor features. `outputValues` is off, so input values arrive plain with their dependencies in
 * the property-dependency map (the engine unwraps output values into the same thing); transforms
 * and hooks need the SDK's callback server, which the model does not run.
 */
const SUPPORTED = new Set([
  "secrets",
  "resourceReferences",
  "deletedWith",
  "replaceWith",
  "aliasSpecs",
  "parameterization",
]);

// ---------------------------------------------------------------------------------------------
// The engine
// ---------------------------------------------------------------------------------------------

export class Engine {
  readonly project: string;
  readonly stack: string;
  readonly kubernetes: ProviderPlugin;
  private snapshot: ResourceState[] = [];
  /** Errors of the last operation: failed steps, refused deletes, check failures, the program's own. */
  errors: Error[] = [];
  /** What the dynamic providers printed (their console.log lines) during the last operation. */
  log: string[] = [];
  /** What the dynamic-provider host printed on stderr, all operations. */
  readonly stderr: string[] = [];
  /** Steps of the last operation, in the order they finished. */
  steps: Step[] = [];
  /** Every registration of the last `up` or `preview`, as the monitor received it. */
  registrations: Registration[] = [];

  constructor(
    readonly sim: Sim,
    readonly options: EngineOptions = {},
  ) {
    this.project = options.project ?? "pulumi-stateful";
    this.stack = options.stack ?? "e2e";
    this.kubernetes =
      options.providers?.kubernetes ?? new KubernetesProvider({ server: sim.url, ...options.kubernetes });
  }

  /** The checkpoint, in snapshot order, pending deletes included. */
  get resources(): readonly ResourceState[] {
    return this.snapshot;
  }

  /** The checkpoint by URN (pending deletes left out). */
  get state(): Map<string, ResourceState> {
    return new Map(this.snapshot.filter((r) => !r.delete).map((r) => [r.urn, r]));
  }

  /** The URN of the resource named `name` (of `type`, when names repeat) in state or the last program. */
  urnOf(name: string, type?: string): string {
    const urns = new Set(
      [...this.snapshot, ...this.registrations]
        .filter((r) => nameOf(r.urn) === name && (!type || r.type === type))
        .map((r) => r.urn),
    );
    if (urns.size !== 1)
      throw new Error(`${urns.size} resources named ${name}${type ? ` of type ${type}` : ""}`);
    return [...urns][0]!;
  }

  private begin(d: Deployment): void {
    this.errors = d.errors;
    this.steps = d.steps;
    this.log = [];
  }

  private async end(d: Deployment, persist: boolean): Promise<void> {
    if (persist) this.snapshot = d.snapshot();
    this.log = await d.closeHost();
  }

  /** Runs `program` against a fresh monitor; resolves when every registration was answered. */
  private async run(d: Deployment, program: () => unknown, config: Record<string, string>): Promise<void> {
    const settings = require("@pulumi/pulumi/runtime/settings") as {
      setMockOptions(monitor: unknown, project: string, stack: string, preview: boolean): void;
    };
    const state = require("@pulumi/pulumi/runtime/state") as { getStore(): Record<string, unknown> };
    settings.setMockOptions(new Monitor(d), this.project, this.stack, d.preview);
    Object.assign(state.getStore(), {
      supportsSecrets: true,
      supportsResourceReferences: true,
      supportsOutputValues: false,
      supportsDeletedWith: true,
      supportsReplaceWith: true,
      supportsAliasSpecs: true,
      supportsTransforms: false,
      supportsParameterization: true,
      supportsResourceHooks: false,
      supportsErrorHooks: false,
      // A previous operation's failure made the SDK mark the monitor terminated.
      terminated: false,
    });
    for (const [k, v] of Object.entries(config))
      pulumi.runtime.setConfig(k.includes(":") ? k : `${this.project}:${k}`, v);
    this.registrations = d.registrations;
    const ran = (async () => {
      await program();
      await settled();
    })().catch((e: unknown) => d.fail(new EngineError((e as Error).message, "", "program")));
    // After a failure the program's remaining registrations never resolve (the real program is
    // torn down with the monitor): stop waiting once every running step is done.
    await Promise.race([ran, d.released]);
    if (d.failure) await d.released;
  }

  /**
   * `pulumi up`: runs the program, one step chain per registration; when it finished and nothing
   * failed, deletes what it no longer registers and the old copies of create-before-delete
   * replacements, dependents first. After a failure nothing is deleted
   * (deployment_executor.go, Execute: performPostSteps runs only after the source is exhausted
   * without cancellation).
   */
  async up(program: () => unknown, options: UpOptions = {}): Promise<void> {
    if (options.refresh) {
      await this.refresh({ target: options.target });
      if (this.errors.length > 0) return;
    }
    const d = new Deployment(this, "update", options.target, options.targetDependents ?? false);
    this.begin(d);
    try {
      await this.run(d, program, options.config ?? {});
      if (!d.failure) {
        this.checkTargets(d);
        await d.runDeletes(d.generateDeletes());
      }
    } catch (e) {
      d.errors.push(e as Error);
    } finally {
      await this.end(d, true);
    }
  }

  /**
   * `pulumi preview`: check and diff through the providers, no create/update/delete (the dynamic
   * host is not called for them: it does not support previews), the planned steps in `steps`.
   */
  async preview(program: () => unknown, options: UpOptions = {}): Promise<Step[]> {
    const d = new Deployment(this, "preview", options.target, options.targetDependents ?? false);
    this.begin(d);
    try {
      await this.run(d, program, options.config ?? {});
      if (!d.failure) {
        this.checkTargets(d);
        await d.runDeletes(d.generateDeletes());
      }
    } catch (e) {
      d.errors.push(e as Error);
    } finally {
      await this.end(d, false);
    }
    return d.steps;
  }

  /** `pulumi destroy` (without running the program): every resource, or the targets and their dependents. */
  async destroy(options: { target?: string[]; targetDependents?: boolean } = {}): Promise<void> {
    const d = new Deployment(this, "destroy", options.target, options.targetDependents ?? false);
    this.begin(d);
    try {
      this.checkTargets(d);
      await d.runDeletes(d.generateDeletes());
    } catch (e) {
      d.errors.push(e as Error);
    } finally {
      await this.end(d, true);
    }
  }

  /**
   * `pulumi refresh`: Read for every custom resource, in parallel; outputs (and inputs, when the
   * provider returns them) replace the recorded ones, an empty id drops the resource, a partial
   * failure is a warning (step.go, RefreshStep.Apply). Components are left as they are.
   */
  async refresh(options: { target?: string[] } = {}): Promise<void> {
    const d = new Deployment(this, "refresh", options.target, false);
    this.begin(d);
    const next = new Map<ResourceState, ResourceState | undefined>();
    try {
      await Promise.all(
        this.snapshot.map(async (r) => {
          if (!r.custom || (options.target && !options.target.includes(r.urn))) return;
          const provider = await d.provider(r.type);
          try {
            const res = await provider.read({
              urn: r.urn,
              name: nameOf(r.urn),
              type: r.type,
              id: r.id,
              inputs: r.inputs,
              properties: r.outputs,
            });
            next.set(
              r,
              res.id === ""
                ? undefined
                : {
                    ...r,
                    id: res.id,
                    outputs: res.properties,
                    inputs: res.inputs ?? r.inputs,
                    initErrors: [],
                  },
            );
            d.record({ op: "refresh", urn: r.urn });
          } catch (e) {
            if (e instanceof ProviderError && e.partial) {
              next.set(r, {
                ...r,
                outputs: e.partial.properties,
                inputs: e.partial.inputs ?? r.inputs,
                initErrors: e.reasons,
              });
              d.record({ op: "refresh", urn: r.urn, error: e.message });
              return;
            }
            d.record({ op: "refresh", urn: r.urn, error: (e as Error).message });
            d.errors.push(e as Error);
          }
        }),
      );
      this.snapshot = this.snapshot.flatMap((r) => {
        if (!next.has(r)) return [r];
        const n = next.get(r);
        return n ? [n] : [];
      });
    } finally {
      this.log = await d.closeHost();
    }
  }

  /** Targets that name nothing are an error (deployment_executor.go, checkTargets). */
  private checkTargets(d: Deployment): void {
    if (!d.targets) return;
    const known = new Set([...d.prev.map((r) => r.urn), ...d.registrations.map((r) => r.urn)]);
    const missing = d.targets.filter((t) => !known.has(t));
    if (missing.length > 0)
      throw new EngineError(
        `${missing.map((t) => `Target '${t}' could not be found in the stack.`).join("\n")}\none or more targets could not be found in the stack`,
        missing[0]!,
        "target",
      );
  }
}
