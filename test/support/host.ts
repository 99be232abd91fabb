/**
 * Pulumi's real dynamic-provider host (`@pulumi/pulumi/cmd/dynamic-provider`), started as the
 * engine starts it and called over gRPC as the engine calls it. Two layers:
 *
 * - the property helpers and the `ProviderPlugin` interface the engine model (engine.ts) drives
 *   every provider through (this host, and the Kubernetes model in k8s-provider-model.ts);
 * - `DynamicProviderHost`, which plays the engine's side of the wire: the provider-plugin client of
 *   pulumi/pulumi `sdk/go/common/resource/plugin/provider_plugin.go` (Configure, Check, Diff,
 *   Create, Read, Update, Delete, and how their errors are parsed).
 *
 * Values are "property maps" in the form the Pulumi runtime serializes them to (the form a resource
 * monitor receives): secrets are `{ [SECRET_SIG_KEY]: SECRET_SIG, value }`, unknowns the
 * `UNKNOWN` string. Nothing in here knows about the rollout provider: any dynamic resource works.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import * as grpc from "@grpc/grpc-js";
import * as provrpc from "@pulumi/pulumi/proto/provider_grpc_pb";
import * as provproto from "@pulumi/pulumi/proto/provider_pb";
import * as statusproto from "@pulumi/pulumi/proto/status_pb";
import * as emptyproto from "google-protobuf/google/protobuf/empty_pb";
import * as structproto from "google-protobuf/google/protobuf/struct_pb";

const rpc = require("@pulumi/pulumi/runtime/rpc") as {
  specialSigKey: string;
  specialSecretSig: string;
  specialResourceSig: string;
  unknownValue: string;
};

// ---------------------------------------------------------------------------------------------
// Property values
// ---------------------------------------------------------------------------------------------

export type Value = null | boolean | number | string | Value[] | { [key: string]: Value };
export type PropertyMap = { [key: string]: Value };

/** The key the runtime marks special objects with (secrets, resource references). */
export const SIG_KEY = rpc.specialSigKey;
/** `obj[SIG_KEY] === SECRET_SIG` marks `{ value }` as a secret. */
export const SECRET_SIG = rpc.specialSecretSig;
/** The value of a property that is not known yet (preview). */
export const UNKNOWN = rpc.unknownValue;
const RESOURCE_SIG = rpc.specialResourceSig;

type Obj = { [key: string]: Value };
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

export function isSecret(v: unknown): v is Obj & { value: Value } {
  return isObj(v) && v[SIG_KEY] === SECRET_SIG;
}

export function makeSecret(v: Value): Value {
  return isSecret(v) ? v : { [SIG_KEY]: SECRET_SIG, value: v };
}

/** The value with every secret envelope removed, as a provider that does not accept secrets sees it. */
export function reveal<T extends Value | undefined>(v: T): T {
  if (Array.isArray(v)) return v.map((x) => reveal(x)) as T;
  if (isSecret(v)) return reveal(v.value) as T;
  if (isObj(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, reveal(x)])) as T;
  return v;
}

export function containsSecrets(v: Value | undefined): boolean {
  if (isSecret(v)) return true;
  if (Array.isArray(v)) return v.some(containsSecrets);
  if (isObj(v)) return Object.values(v).some(containsSecrets);
  return false;
}

export function containsUnknowns(v: Value | undefined): boolean {
  if (v === UNKNOWN) return true;
  if (Array.isArray(v)) return v.some(containsUnknowns);
  if (isObj(v)) return Object.values(v).some(containsUnknowns);
  return false;
}

/**
 * Copies secretness from `ins` onto same-named `outs`, recursing where both are objects, as the
 * engine does for providers that do not accept secrets (pulumi/pulumi
 * sdk/go/common/resource/plugin/provider_plugin.go, annotateSecrets). Returns a new map.
 */
export function annotateSecrets(outs: PropertyMap, ins: PropertyMap | undefined): PropertyMap {
  if (!ins) return outs;
  const result: PropertyMap = { ...outs };
  for (const [k, inValue] of Object.entries(ins)) {
    if (!(k in result)) continue;
    const out = result[k]!;
    const inPlain = isSecret(inValue) ? inValue.value : inValue;
    if (isObj(out) && !isSecret(out) && isObj(inPlain) && !isSecret(inValue))
      result[k] = annotateSecrets(out, inPlain);
    else if (!isSecret(out) && containsSecrets(inValue)) result[k] = makeSecret(out);
  }
  return result;
}

interface MarshalOptions {
  keepSecrets: boolean;
  keepUnknowns: boolean;
  keepResources: boolean;
}

/**
 * A property map as the engine puts it on the wire for a provider (pulumi/pulumi
 * sdk/go/common/resource/plugin/rpc.go, MarshalProperties): secrets unwrapped unless the provider
 * accepts them, unknowns dropped unless allowed, resource references reduced to their id (custom)
 * or URN (component) unless the provider accepts them.
 */
export function marshal(props: PropertyMap | undefined, o: MarshalOptions): PropertyMap {
  const one = (v: Value): Value | undefined => {
    if (v === UNKNOWN) return o.keepUnknowns ? v : undefined;
    if (isSecret(v)) {
      const inner = one(v.value);
      return inner === undefined ? undefined : o.keepSecrets ? makeSecret(inner) : inner;
    }
    if (Array.isArray(v)) return v.map((x) => one(x) ?? null);
    if (isObj(v)) {
      if (v[SIG_KEY] === RESOURCE_SIG && !o.keepResources) {
        const id = v.id;
        return typeof id === "string" && id !== "" ? id : (v.urn ?? null);
      }
      const out: Obj = {};
      for (const [k, x] of Object.entries(v)) {
        const m = one(x);
        if (m !== undefined) out[k] = m;
      }
      return out;
    }
    return v;
  };
  return (one(props ?? {}) ?? {}) as PropertyMap;
}

/** A JavaScript value as a protobuf Struct (`undefined` members dropped, as the runtime does). */
export function toStruct(props: PropertyMap | undefined): structproto.Struct {
  const clean = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map((x) => (x === undefined ? null : clean(x)));
    if (isObj(v))
      return Object.fromEntries(
        Object.entries(v)
          .filter(([, x]) => x !== undefined)
          .map(([k, x]) => [k, clean(x)]),
      );
    return v;
  };
  return structproto.Struct.fromJavaScript(clean(props ?? {}) as Record<string, structproto.JavaScriptValue>);
}

export function fromStruct(s: structproto.Struct | undefined): PropertyMap {
  return (s?.toJavaScript() ?? {}) as PropertyMap;
}

// ---------------------------------------------------------------------------------------------
// The provider interface the engine model drives
// ---------------------------------------------------------------------------------------------

export interface ResourceRef {
  urn: string;
  /** The resource's name (the URN's last part). */
  name: string;
  /** The type token, e.g. `pulumi-nodejs:dynamic:Resource`. */
  type: string;
}

export interface CheckFailure {
  property: string;
  reason: string;
}

export type PropertyDiffKind =
  | "add"
  | "add-replace"
  | "delete"
  | "delete-replace"
  | "update"
  | "update-replace";

export interface DiffResult {
  changes: "unknown" | "none" | "some";
  replaces: string[];
  stables: string[];
  diffs: string[];
  deleteBeforeReplace: boolean;
  detailedDiff?: Record<string, PropertyDiffKind>;
}

/** What an operation left behind when it failed half-way (pulumirpc.ErrorResourceInitFailed). */
export interface PartialState {
  id: string;
  properties: PropertyMap;
  inputs?: PropertyMap;
}

/**
 * A failed provider call. `message` is what the engine reports: for a partial failure the reasons
 * (pulumi/pulumi provider_plugin.go, parseError -> InitError), "resource init failed" when there
 * are none; otherwise the provider's own message. `providerMessage` is the provider's message.
 */
export class ProviderError extends Error {
  constructor(
    message: string,
    readonly method: string,
    readonly providerMessage: string,
    readonly partial?: PartialState,
    readonly reasons: string[] = [],
    readonly code?: number,
  ) {
    super(message);
    this.name = "ProviderError";
  }
}

/** Every call carries the resource's URN, name and type, as pulumirpc requests do. */
export interface ProviderPlugin {
  /** Shown in messages. */
  readonly label: string;
  check(r: ResourceRef & { olds?: PropertyMap; news: PropertyMap; allowUnknowns: boolean }): Promise<{
    inputs: PropertyMap;
    failures: CheckFailure[];
  }>;
  diff(
    r: ResourceRef & {
      id: string;
      oldInputs: PropertyMap;
      oldOutputs: PropertyMap;
      newInputs: PropertyMap;
      ignoreChanges: string[];
      allowUnknowns: boolean;
    },
  ): Promise<DiffResult>;
  create(
    r: ResourceRef & { properties: PropertyMap; timeout?: number; preview: boolean },
  ): Promise<{ id: string; properties: PropertyMap }>;
  read(
    r: ResourceRef & { id: string; inputs: PropertyMap; properties: PropertyMap },
  ): Promise<{ id: string; properties: PropertyMap; inputs?: PropertyMap }>;
  update(
    r: ResourceRef & {
      id: string;
      oldInputs: PropertyMap;
      oldOutputs: PropertyMap;
      newInputs: PropertyMap;
      timeout?: number;
      ignoreChanges: string[];
      preview: boolean;
    },
  ): Promise<{ properties: PropertyMap }>;
  delete(
    r: ResourceRef & { id: string; inputs: PropertyMap; outputs: PropertyMap; timeout?: number },
  ): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// The dynamic-provider host
// ---------------------------------------------------------------------------------------------

export interface HostOptions {
  /**
   * Working directory of the host process. The engine spawns plugins in the project's directory
   * (or `main`'s): pulumi/pulumi pkg/engine/project.go getPwdMain, plugin.go ExecPlugin (cmd.Dir).
   * @default process.cwd()
   */
  cwd?: string;
  /** Environment of the host process. @default process.env */
  env?: NodeJS.ProcessEnv;
  /**
   * The host's entry point. @default - `@pulumi/pulumi/cmd/dynamic-provider` resolved from `cwd`,
   * as the CLI's `pulumi-resource-pulumi-nodejs` script does (`require.resolve` run in the cwd)
   */
  script?: string;
  /** The engine address argument the host requires (it never dials it). @default "127.0.0.1:0" */
  engineAddress?: string;
  /** Called with every line the host prints after its port (provider progress goes to stdout). */
  onLine?: (stream: "stdout" | "stderr", line: string) => void;
}

/** Resolves the host script from `cwd` as the CLI's `pulumi-resource-pulumi-nodejs` does. */
export function resolveHostScript(cwd: string): string {
  try {
    return require.resolve("@pulumi/pulumi/cmd/dynamic-provider", { paths: [cwd] });
  } catch {
    throw new Error(
      `@pulumi/pulumi/cmd/dynamic-provider cannot be resolved from ${cwd}: the CLI's pulumi-resource-pulumi-nodejs script would start nothing there`,
    );
  }
}

type Unary<Req, Res> = (req: Req, cb: (err: grpc.ServiceError | null, res: Res) => void) => unknown;

/** A provider text whose `check` prints a marker on both streams: everything printed before it has arrived. */
const FLUSH_PROVIDER =
  "exports.handler = function () { return { check: async function (olds, news) { console.log(news.marker); console.error(news.marker); return { inputs: news }; } }; };";

const SECONDS: Record<string, number> = { ns: 1e-9, us: 1e-6, µs: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };

/** A Go duration ("10m", "1h30m") in seconds, as the engine converts customTimeouts: 0 when unset. */
export function timeoutSeconds(duration: string | undefined): number {
  if (!duration) return 0;
  let total = 0;
  for (const m of duration.matchAll(/([\d.]+)(ns|us|µs|ms|s|m|h)/g)) total += Number(m[1]) * SECONDS[m[2]!]!;
  return total;
}

/**
 * The real dynamic-provider host in a child process. One process serves every dynamic resource of
 * an operation, as the engine starts one plugin per provider per deployment; the host caches each
 * deserialized provider (and calls its `configure`) once per `__provider` text per process
 * (cmd/dynamic-provider/index.js, getProvider).
 */
export class DynamicProviderHost implements ProviderPlugin {
  readonly label = "pulumi-nodejs (dynamic-provider host)";
  /** Lines the host printed on stdout after its port: dynamic providers' console.log output. */
  readonly stdout: string[] = [];
  /** Lines the host printed on stderr: its own error reports and providers' console.error output. */
  readonly stderr: string[] = [];
  /** What `configure` negotiated; the engine configures a provider before any other call. */
  protocol?: { acceptSecrets: boolean; acceptResources: boolean; supportsPreview: boolean };
  private configuring?: Promise<void>;
  private flushes = 0;
  private readonly waiters: Array<(stream: "stdout" | "stderr", line: string) => boolean> = [];
  private readonly closed: Promise<void>;
  private exitCode: number | null = null;

  private constructor(
    private readonly child: ChildProcess,
    private readonly client: provrpc.ResourceProviderClient,
    streamsClosed: Promise<void>,
    private readonly onLine?: HostOptions["onLine"],
  ) {
    this.closed = streamsClosed;
    child.on("exit", (code) => {
      this.exitCode = code ?? -1;
    });
  }

  /** Starts the host and waits for the port it prints. */
  static async start(options: HostOptions = {}): Promise<DynamicProviderHost> {
    const cwd = options.cwd ?? process.cwd();
    const script = options.script ?? resolveHostScript(cwd);
    const child = spawn(process.execPath, [script, options.engineAddress ?? "127.0.0.1:0"], {
      cwd,
      env: options.env ?? process.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let host: DynamicProviderHost | undefined;
    const early: Array<["stdout" | "stderr", string]> = [];
    const deliver = (stream: "stdout" | "stderr", line: string) => {
      if (host) host.line(stream, line);
      else early.push([stream, line]);
    };
    const out = createInterface({ input: child.stdout! });
    const err = createInterface({ input: child.stderr! });
    const streamsClosed = Promise.all([
      new Promise<void>((r) => out.once("close", () => r())),
      new Promise<void>((r) => err.once("close", () => r())),
    ]).then(() => undefined);
    const port = await new Promise<number>((resolve, reject) => {
      let gotPort = false;
      out.on("line", (line) => {
        if (!gotPort) {
          gotPort = true;
          const p = Number(line.trim());
          if (Number.isInteger(p) && p > 0) resolve(p);
          else
            reject(
              new Error(`the dynamic-provider host printed ${JSON.stringify(line)} instead of its port`),
            );
          return;
        }
        deliver("stdout", line);
      });
      err.on("line", (line) => deliver("stderr", line));
      child.once("error", reject);
      child.once("exit", (code) =>
        reject(
          new Error(
            `the dynamic-provider host exited (${code}) before printing its port:\n${early.map(([, l]) => l).join("\n")}`,
          ),
        ),
      );
    });
    const client = new provrpc.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    host = new DynamicProviderHost(child, client, streamsClosed, options.onLine);
    for (const [stream, line] of early) host.line(stream, line);
    return host;
  }

  private line(stream: "stdout" | "stderr", line: string): void {
    for (let i = this.waiters.length - 1; i >= 0; i--)
      if (this.waiters[i]!(stream, line)) {
        this.waiters.splice(i, 1);
        return;
      }
    (stream === "stdout" ? this.stdout : this.stderr).push(line);
    this.onLine?.(stream, line);
  }

  private call<Req, Res>(method: string, req: Req): Promise<Res> {
    const fn = (this.client as unknown as Record<string, Unary<Req, Res>>)[method]!.bind(this.client);
    return new Promise<Res>((resolve, reject) => {
      fn(req, (err, res) => (err ? reject(parseError(method, err)) : resolve(res)));
    });
  }

  /**
   * Configure, as the engine sends it for the default `pulumi-nodejs` provider: the package's
   * stack configuration as args (none here), accepting secrets and resources (provider_plugin.go,
   * Configure). The host answers acceptSecrets=false and no preview support, which decides how
   * every later call is marshalled.
   */
  async configure(args: PropertyMap = {}): Promise<NonNullable<DynamicProviderHost["protocol"]>> {
    this.configuring ??= (async () => {
      const req = new provproto.ConfigureRequest();
      req.setArgs(toStruct(args));
      req.setAcceptsecrets(true);
      req.setAcceptresources(true);
      req.setSendsOldInputs(true);
      req.setSendsOldInputsToDelete(true);
      const res = await this.call<provproto.ConfigureRequest, provproto.ConfigureResponse>("configure", req);
      this.protocol = {
        acceptSecrets: res.getAcceptsecrets(),
        acceptResources: res.getAcceptresources(),
        supportsPreview: res.getSupportspreview(),
      };
    })();
    await this.configuring;
    return this.protocol!;
  }

  private async opts(keepUnknowns: boolean): Promise<MarshalOptions> {
    const p = await this.configure();
    return { keepSecrets: p.acceptSecrets, keepUnknowns, keepResources: p.acceptResources };
  }

  /** Returned properties as the engine reads them: unknowns only in previews; secretness re-applied. */
  private unmarshal(
    s: structproto.Struct | undefined,
    ins: PropertyMap | undefined,
    allowUnknowns: boolean,
  ): PropertyMap {
    const props = fromStruct(s);
    if (!allowUnknowns && containsUnknowns(props))
      throw new Error("the provider returned an unknown value outside a preview");
    return this.protocol?.acceptSecrets ? props : annotateSecrets(props, ins);
  }

  /** Check (provider_plugin.go, Check): olds are the old inputs, `{}` for a create. */
  async check(r: ResourceRef & { olds?: PropertyMap; news: PropertyMap; allowUnknowns: boolean }) {
    const o = await this.opts(r.allowUnknowns);
    const req = new provproto.CheckRequest();
    req.setUrn(r.urn);
    req.setName(r.name);
    req.setType(r.type);
    req.setOlds(toStruct(marshal(r.olds ?? {}, o)));
    req.setNews(toStruct(marshal(r.news, o)));
    const res = await this.call<provproto.CheckRequest, provproto.CheckResponse>("check", req);
    return {
      inputs: this.unmarshal(res.getInputs(), r.news, r.allowUnknowns),
      failures: res.getFailuresList().map((f) => ({ property: f.getProperty(), reason: f.getReason() })),
    };
  }

  /** Diff (provider_plugin.go, Diff): `olds` on the wire are the old *outputs*; old inputs go separately. */
  async diff(
    r: ResourceRef & {
      id: string;
      oldInputs: PropertyMap;
      oldOutputs: PropertyMap;
      newInputs: PropertyMap;
      ignoreChanges: string[];
      allowUnknowns: boolean;
    },
  ): Promise<DiffResult> {
    const o = await this.opts(r.allowUnknowns);
    const req = new provproto.DiffRequest();
    req.setId(r.id);
    req.setUrn(r.urn);
    req.setName(r.name);
    req.setType(r.type);
    req.setOldInputs(toStruct(marshal(r.oldInputs, o)));
    req.setOlds(toStruct(marshal(r.oldOutputs, o)));
    req.setNews(toStruct(marshal(r.newInputs, o)));
    req.setIgnorechangesList(r.ignoreChanges);
    const res = await this.call<provproto.DiffRequest, provproto.DiffResponse>("diff", req);
    const changes = res.getChanges();
    return {
      changes:
        changes === provproto.DiffResponse.DiffChanges.DIFF_SOME
          ? "some"
          : changes === provproto.DiffResponse.DiffChanges.DIFF_NONE
            ? "none"
            : "unknown",
      replaces: res.getReplacesList(),
      stables: res.getStablesList(),
      diffs: res.getDiffsList(),
      deleteBeforeReplace: res.getDeletebeforereplace(),
    };
  }

  /**
   * Create (provider_plugin.go, Create). In a preview, a provider that does not support previews
   * (the host does not) is not called: its inputs stand in for its outputs.
   */
  async create(r: ResourceRef & { properties: PropertyMap; timeout?: number; preview: boolean }) {
    const p = await this.configure();
    if (r.preview && !p.supportsPreview) return { id: "", properties: r.properties };
    const o = await this.opts(r.preview);
    const req = new provproto.CreateRequest();
    req.setUrn(r.urn);
    req.setName(r.name);
    req.setType(r.type);
    req.setProperties(toStruct(marshal(r.properties, o)));
    req.setTimeout(r.timeout ?? 0);
    req.setPreview(r.preview);
    const res = await this.call<provproto.CreateRequest, provproto.CreateResponse>("create", req).catch(
      (e: unknown) => {
        throw withSecrets(e, r.properties, p.acceptSecrets);
      },
    );
    if (res.getId() === "" && !r.preview)
      throw new Error(`plugin returned empty resource.ID from create '${r.urn}'`);
    return { id: res.getId(), properties: this.unmarshal(res.getProperties(), r.properties, r.preview) };
  }

  /** Read (provider_plugin.go, Read): `properties` are the state (outputs); an empty id means "gone". */
  async read(r: ResourceRef & { id: string; inputs: PropertyMap; properties: PropertyMap }) {
    const o = await this.opts(false);
    const req = new provproto.ReadRequest();
    req.setId(r.id);
    req.setUrn(r.urn);
    req.setName(r.name);
    req.setType(r.type);
    req.setProperties(toStruct(marshal(r.properties, o)));
    req.setInputs(toStruct(marshal(r.inputs, o)));
    const res = await this.call<provproto.ReadRequest, provproto.ReadResponse>("read", req);
    return {
      id: res.getId(),
      properties: this.unmarshal(res.getProperties(), r.properties, false),
      inputs: res.hasInputs() ? this.unmarshal(res.getInputs(), r.inputs, false) : undefined,
    };
  }

  /** Update (provider_plugin.go, Update): as for create, a preview returns the new inputs uncalled. */
  async update(
    r: ResourceRef & {
      id: string;
      oldInputs: PropertyMap;
      oldOutputs: PropertyMap;
      newInputs: PropertyMap;
      timeout?: number;
      ignoreChanges: string[];
      preview: boolean;
    },
  ) {
    const p = await this.configure();
    if (r.preview && !p.supportsPreview) return { properties: r.newInputs };
    const o = await this.opts(r.preview);
    const req = new provproto.UpdateRequest();
    req.setId(r.id);
    req.setUrn(r.urn);
    req.setName(r.name);
    req.setType(r.type);
    req.setOldInputs(toStruct(marshal(r.oldInputs, o)));
    req.setOlds(toStruct(marshal(r.oldOutputs, o)));
    req.setNews(toStruct(marshal(r.newInputs, o)));
    req.setTimeout(r.timeout ?? 0);
    req.setIgnorechangesList(r.ignoreChanges);
    req.setPreview(r.preview);
    const res = await this.call<provproto.UpdateRequest, provproto.UpdateResponse>("update", req).catch(
      (e: unknown) => {
        throw withSecrets(e, r.newInputs, p.acceptSecrets);
      },
    );
    return { properties: this.unmarshal(res.getProperties(), r.newInputs, r.preview) };
  }

  /** Delete (provider_plugin.go, Delete): `properties` are the outputs in state, old inputs alongside. */
  async delete(r: ResourceRef & { id: string; inputs: PropertyMap; outputs: PropertyMap; timeout?: number }) {
    const o = await this.opts(false);
    const req = new provproto.DeleteRequest();
    req.setId(r.id);
    req.setUrn(r.urn);
    req.setName(r.name);
    req.setType(r.type);
    req.setProperties(toStruct(marshal(r.outputs, o)));
    req.setOldInputs(toStruct(marshal(r.inputs, o)));
    req.setTimeout(r.timeout ?? 0);
    await this.call<provproto.DeleteRequest, emptyproto.Empty>("delete", req);
  }

  /** The host's version (GetPluginInfo): the SDK version it comes from. */
  async version(): Promise<string> {
    const res = await this.call<emptyproto.Empty, { getVersion(): string }>(
      "getPluginInfo",
      new emptyproto.Empty(),
    );
    return res.getVersion();
  }

  /**
   * Resolves once every line the host printed so far has arrived. A test aid, not engine
   * behaviour: it calls `check` with a one-line provider that prints a marker on both streams, and
   * waits for the markers (each stream is ordered, the two pipes and the gRPC socket are not).
   */
  async flush(): Promise<void> {
    const marker = `@@flush-${++this.flushes}@@`;
    const seen = Promise.all(
      (["stdout", "stderr"] as const).map(
        (stream) =>
          new Promise<void>((resolve) =>
            this.waiters.push((s, line) => {
              if (s !== stream || line !== marker) return false;
              resolve();
              return true;
            }),
          ),
      ),
    );
    const req = new provproto.CheckRequest();
    req.setUrn("urn:pulumi:flush::flush::pulumi-nodejs:dynamic:Resource::flush");
    req.setOlds(toStruct({}));
    req.setNews(toStruct({ __provider: FLUSH_PROVIDER, marker }));
    await this.call("check", req);
    await seen;
  }

  /** Closes the connection and ends the process (SIGTERM, as a plugin is killed); waits for its output. */
  async stop(): Promise<void> {
    this.client.close();
    if (this.exitCode === null) {
      const exited = new Promise<void>((r) => this.child.once("exit", () => r()));
      this.child.kill("SIGTERM");
      await exited;
    }
    await this.closed;
  }
}

/** Reads the host's error: the partial state packed in `grpc-status-details-bin`, if any. */
function parseError(method: string, err: grpc.ServiceError): ProviderError {
  const providerMessage = err.details ?? err.message;
  const bin = err.metadata?.get("grpc-status-details-bin")?.[0];
  if (bin) {
    const status = statusproto.Status.deserializeBinary(new Uint8Array(bin as Buffer));
    for (const any of status.getDetailsList()) {
      if (any.getTypeName() !== "pulumirpc.ErrorResourceInitFailed") continue;
      const detail = provproto.ErrorResourceInitFailed.deserializeBinary(any.getValue_asU8());
      const reasons = detail.getReasonsList();
      return new ProviderError(
        reasons.length > 0 ? reasons.join("\n") : "resource init failed",
        method,
        providerMessage,
        {
          id: detail.getId(),
          properties: fromStruct(detail.getProperties()),
          inputs: detail.hasInputs() ? fromStruct(detail.getInputs()) : undefined,
        },
        reasons,
        err.code,
      );
    }
  }
  return new ProviderError(providerMessage, method, providerMessage, undefined, [], err.code);
}

/** A partial state's properties get the inputs' secretness back, as the engine applies to outputs. */
function withSecrets(e: unknown, ins: PropertyMap, acceptSecrets: boolean): unknown {
  if (!(e instanceof ProviderError) || !e.partial || acceptSecrets) return e;
  return new ProviderError(
    e.message,
    e.method,
    e.providerMessage,
    { ...e.partial, properties: annotateSecrets(e.partial.properties, ins) },
    e.reasons,
    e.code,
  );
}
