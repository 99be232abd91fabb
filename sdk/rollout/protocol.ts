/** The shape of the state the rollout resources write; bump it on an incompatible change (docs/rollout.md). */
export const PROTOCOL = 2;
/** Protocols this version can serve (read, update and delete state written by). */
export const SUPPORTED_PROTOCOLS: readonly number[] = [2];
/**
 * The StatefulSet carries this annotation, valued with the rollout's owner id, only while a
 * rollout manages it: a watcher deleted after the program turned the rollout off (or renamed the
 * component) finds it gone or different and leaves the set alone.
 */
export const ROLLOUT_ANNOTATION = "stateful.pulumi.com/rollout";
