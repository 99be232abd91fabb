/**
 * A model of the Pulumi engine for end-to-end tests, on top of the runtime's mocks: each
 * registered Kubernetes object is applied to the simulator (as the Kubernetes provider would), and
 * each dynamic resource is created or updated through its real provider object, with the previous
 * outputs as `olds`. As in the engine, a failed resource stops the update: nothing that depends on
 * it is applied. `destroy` deletes in reverse registration order.
 */
import * as pulumi from "@pulumi/pulumi";
import { PROTOCOL, provider } from "../../sdk/rollout/entry";
import type { Sim } from "../sim";
import { reveal, settled } from "./mocks";

const guardProvider = provider("guard", PROTOCOL) as unknown as pulumi.dynamic.ResourceProvider;
const watcherProvider = provider("watcher", PROTOCOL) as unknown as pulumi.dynamic.ResourceProvider;

const PLURAL: Record<string, string> = {
  "kubernetes:core/v1:Service": "services",
  "kubernetes:core/v1:ConfigMap": "configmaps",
  "kubernetes:apps/v1:StatefulSet": "statefulsets",
  "kubernetes:policy/v1:PodDisruptionBudget": "poddisruptionbudgets",
};

interface StateEntry {
  type: string;
  name: string;
  id: string;
  outputs: Record<string, any>;
  order: number;
}

export class Engine {
  readonly state = new Map<string, StateEntry>();
  private order = 0;
  errors: Error[] = [];
  /** Lines the providers printed during the last update. */
  log: string[] = [];

  constructor(readonly sim: Sim) {}

  /** One `pulumi up`: runs `program` under mocks and waits until every registration settled. */
  async up(program: () => unknown, config: Record<string, string> = {}): Promise<void> {
    this.errors = [];
    this.log = [];
    let failed = false;
    const origLog = console.log;
    console.log = (...a: unknown[]) => this.log.push(a.join(" "));
    try {
      await pulumi.runtime.setMocks(
        {
          newResource: async (args) => {
            const key = `${args.type}::${args.name}`;
            const inputs = reveal(args.inputs);
            if (failed) return { id: `${args.name}-skipped`, state: inputs };
            try {
              const plural = PLURAL[args.type];
              if (plural) {
                const ns = inputs.metadata.namespace ?? "default";
                this.sim.apply(plural, ns, {
                  metadata: inputs.metadata,
                  spec: inputs.spec,
                  data: inputs.data,
                });
                this.record(key, args.type, args.name, inputs.metadata.name, inputs);
                return { id: inputs.metadata.name, state: inputs };
              }
              if (args.type === "pulumi-nodejs:dynamic:Resource") {
                const provider = inputs.role === "guard" ? guardProvider : watcherProvider;
                const prev = this.state.get(key);
                let id: string;
                let outs: Record<string, any>;
                if (!prev)
                  ({ id, outs } = (await provider.create!(inputs)) as {
                    id: string;
                    outs: Record<string, any>;
                  });
                else {
                  id = prev.id;
                  const diff = await provider.diff!(prev.id, prev.outputs, inputs);
                  outs = diff.changes
                    ? ((await provider.update!(prev.id, prev.outputs, inputs)).outs ?? {})
                    : prev.outputs;
                }
                this.record(key, args.type, args.name, id, outs);
                return { id, state: outs };
              }
              return { id: `${args.name}-id`, state: inputs };
            } catch (err) {
              failed = true;
              this.errors.push(err as Error);
              return { id: `${args.name}-failed`, state: inputs };
            }
          },
          call: (args) => args.inputs,
        },
        "pulumi-stateful",
        "e2e",
        false,
      );
      for (const [k, v] of Object.entries(config)) pulumi.runtime.setConfig(`pulumi-stateful:${k}`, v);
      await program();
      await settled();
    } finally {
      console.log = origLog;
    }
  }

  private record(key: string, type: string, name: string, id: string, outputs: Record<string, any>): void {
    const prev = this.state.get(key);
    this.state.set(key, { type, name, id, outputs, order: prev?.order ?? this.order++ });
  }

  /** `pulumi destroy`: reverse registration order; dynamic resources through their providers. */
  async destroy(): Promise<void> {
    this.log = [];
    const origLog = console.log;
    console.log = (...a: unknown[]) => this.log.push(a.join(" "));
    try {
      for (const e of [...this.state.values()].sort((a, b) => b.order - a.order)) {
        const plural = PLURAL[e.type];
        if (plural) {
          const ns = e.outputs.metadata.namespace ?? "default";
          if (this.sim.store.get(plural, ns, e.id)) this.sim.store.markDeleted(this.sim.rt(plural), ns, e.id);
        } else if (e.type === "pulumi-nodejs:dynamic:Resource") {
          const provider = e.outputs.role === "guard" ? guardProvider : watcherProvider;
          await provider.delete!(e.id, e.outputs);
        }
        this.state.delete(`${e.type}::${e.name}`);
      }
    } finally {
      console.log = origLog;
    }
  }
}
