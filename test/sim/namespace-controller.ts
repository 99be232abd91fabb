/**
 * The namespace controller (pkg/controller/namespace/deletion/namespaced_resources_deleter.go): a namespace being
 * deleted (Terminating, with the `kubernetes` finalizer in spec.finalizers) has all its content deleted; once
 * nothing is left, the finalizer is removed (PUT .../finalize) and the namespace goes. Simplified: the status
 * conditions upstream reports while deleting (NamespaceContentRemaining, ...) are not written.
 */
import { type Obj, RESOURCES, type Store } from "./store";

const FINALIZER = "kubernetes";

export class NamespaceController {
  private readonly unsubscribe: () => void;
  private readonly terminating = new Set<string>();
  private pending = false;
  private stopped = false;
  private retry?: NodeJS.Timeout;

  constructor(private readonly store: Store) {
    for (const ns of store.scan("namespaces") as Obj[]) this.watch(ns);
    this.unsubscribe = store.subscribe((e) => {
      if (e.resource === "namespaces") {
        if (e.type === "DELETED") this.terminating.delete(e.object.metadata.name);
        else this.watch(e.object);
      } else if (e.object.metadata.namespace && this.terminating.has(e.object.metadata.namespace))
        this.schedule();
    });
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe();
    clearTimeout(this.retry);
  }

  private watch(ns: Obj): void {
    if (ns.metadata.deletionTimestamp && (ns.spec?.finalizers ?? []).includes(FINALIZER)) {
      this.terminating.add(ns.metadata.name);
      this.schedule();
    }
  }

  private schedule(): void {
    if (this.pending || this.stopped) return;
    this.pending = true;
    setImmediate(() => {
      this.pending = false;
      if (!this.stopped) for (const ns of [...this.terminating]) this.process(ns);
    });
  }

  private process(ns: string): void {
    let left = 0;
    for (const rt of RESOURCES) {
      if (!rt.namespaced) continue;
      for (const o of this.store.scan(rt.plural, ns) as Obj[]) {
        left++;
        if (o.metadata.deletionTimestamp) continue;
        try {
          this.store.markDeleted(rt, ns, o.metadata.name);
        } catch {
          // gone meanwhile
        }
      }
    }
    if (left > 0) {
      // Upstream requeues with an estimate of the time left; content still going will send events anyway.
      clearTimeout(this.retry);
      this.retry = setTimeout(() => this.schedule(), 200);
      return;
    }
    const current = this.store.get("namespaces", "", ns);
    if (!current) return;
    this.terminating.delete(ns);
    this.store.finalizeNamespace(
      ns,
      (current.spec?.finalizers ?? []).filter((f: string) => f !== FINALIZER),
    );
  }
}
