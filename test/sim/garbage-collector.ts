/**
 * The garbage collector (pkg/controller/garbagecollector, as the "Garbage Collection" and "Owners and
 * Dependents" concept pages describe it): a dependent whose owners are all gone is deleted (background
 * propagation); one that still has an owner loses its reference to the absent one; an owner deleted in the
 * foreground keeps its `foregroundDeletion` finalizer until its blocking dependents are gone; an owner deleted
 * with `orphan` has its dependents' references to it removed, then its finalizer. Owners are looked up by uid
 * (upstream checks the referenced kind and name, then the uid).
 */
import { type Obj, RESOURCES, type ResourceType, type Store, type StoreEvent } from "./store";

const FOREGROUND = "foregroundDeletion";
const ORPHAN = "orphan";

export class GarbageCollector {
  private readonly unsubscribe: () => void;
  /** The uid of every stored object: whether an owner exists. */
  private readonly uids = new Set<string>();
  private pending = false;
  private stopped = false;
  /** Work for the next pass: owners that went, dependents to check, owners with a GC finalizer. */
  private readonly gone = new Set<string>();
  private readonly check = new Set<string>();
  private readonly finalizing = new Set<string>();

  constructor(private readonly store: Store) {
    for (const { o } of this.allObjects()) this.uids.add(o.metadata.uid!);
    this.unsubscribe = store.subscribe((e) => this.onEvent(e));
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe();
  }

  private allObjects(): { rt: ResourceType; o: Readonly<Obj> }[] {
    return RESOURCES.flatMap((rt) => this.store.scan(rt.plural).map((o) => ({ rt, o })));
  }

  private onEvent(e: StoreEvent): void {
    const o = e.object;
    const uid = o.metadata.uid!;
    if (e.type === "DELETED") {
      this.uids.delete(uid);
      this.gone.add(uid);
      this.finalizing.delete(uid);
    } else {
      this.uids.add(uid);
      // A dependent created (or updated) with a reference to an owner that does not exist.
      if ((o.metadata.ownerReferences ?? []).some((r) => !this.uids.has(r.uid))) this.check.add(uid);
      const finalizers = o.metadata.finalizers ?? [];
      if (o.metadata.deletionTimestamp && (finalizers.includes(FOREGROUND) || finalizers.includes(ORPHAN)))
        this.finalizing.add(uid);
      else this.finalizing.delete(uid);
    }
    // Dependents of an owner being deleted in the foreground: their going may release it.
    if (this.finalizing.size > 0 || this.gone.size > 0 || this.check.size > 0) this.schedule();
  }

  private schedule(): void {
    if (this.pending || this.stopped) return;
    this.pending = true;
    setImmediate(() => {
      this.pending = false;
      if (!this.stopped) this.pass();
    });
  }

  private tryDelete(rt: ResourceType, o: Readonly<Obj>, foreground: boolean): void {
    if (o.metadata.deletionTimestamp) return;
    try {
      this.store.markDeleted(
        rt,
        o.metadata.namespace ?? "",
        o.metadata.name,
        undefined,
        foreground ? [FOREGROUND] : [],
      );
    } catch {
      // already gone
    }
  }

  private writeRefs(rt: ResourceType, o: Readonly<Obj>, keep: (uid: string) => boolean): void {
    const copy = structuredClone(o) as Obj;
    copy.metadata.ownerReferences = (copy.metadata.ownerReferences ?? []).filter((r) => keep(r.uid));
    delete copy.metadata.resourceVersion;
    try {
      this.store.update(rt, o.metadata.namespace ?? "", copy);
    } catch {
      // gone meanwhile
    }
  }

  private pass(): void {
    const gone = new Set(this.gone);
    const check = new Set(this.check);
    this.gone.clear();
    this.check.clear();
    const all = this.allObjects();
    // Dependents of absent owners: deleted when no owner is left, else the dangling references are removed.
    for (const { rt, o } of all) {
      const refs = o.metadata.ownerReferences ?? [];
      if (refs.length === 0) continue;
      if (!check.has(o.metadata.uid!) && !refs.some((r) => gone.has(r.uid))) continue;
      const solid = refs.filter((r) => this.uids.has(r.uid));
      if (solid.length === refs.length) continue;
      if (solid.length === 0) this.tryDelete(rt, o, false);
      else this.writeRefs(rt, o, (uid) => this.uids.has(uid));
    }
    // Owners with a GC finalizer.
    for (const { rt, o } of all) {
      const uid = o.metadata.uid!;
      if (!this.finalizing.has(uid) || !o.metadata.deletionTimestamp) continue;
      const dependents = all.filter(({ o: d }) => d.metadata.ownerReferences?.some((r) => r.uid === uid));
      const finalizers = o.metadata.finalizers ?? [];
      if (finalizers.includes(ORPHAN)) {
        for (const { rt: drt, o: d } of dependents) this.writeRefs(drt, d, (u) => u !== uid);
        this.dropFinalizer(rt, uid, ORPHAN);
      } else if (finalizers.includes(FOREGROUND)) {
        // Dependents go in the foreground too when they have dependents of their own.
        for (const { rt: drt, o: d } of dependents) {
          const hasOwn = all.some(({ o: x }) =>
            x.metadata.ownerReferences?.some((r) => r.uid === d.metadata.uid),
          );
          this.tryDelete(drt, d, hasOwn);
        }
        const blocking = dependents.filter(({ o: d }) =>
          d.metadata.ownerReferences?.some((r) => r.uid === uid && r.blockOwnerDeletion),
        );
        if (blocking.length === 0) this.dropFinalizer(rt, uid, FOREGROUND);
      }
    }
  }

  private dropFinalizer(rt: ResourceType, uid: string, finalizer: string): void {
    const o = (this.store.scan(rt.plural) as Obj[]).find((x) => x.metadata.uid === uid);
    if (!o) return;
    const copy = structuredClone(o);
    copy.metadata.finalizers = (copy.metadata.finalizers ?? []).filter((f) => f !== finalizer);
    delete copy.metadata.resourceVersion;
    this.store.update(rt, o.metadata.namespace ?? "", copy);
  }
}
