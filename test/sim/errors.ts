/**
 * API errors as the real API server builds them (staging/src/k8s.io/apimachinery/pkg/api/errors/errors.go)
 * and field errors as validation reports them (staging/src/k8s.io/apimachinery/pkg/util/validation/field/errors.go).
 * The HTTP layer turns an ApiError into a `Status` body.
 */

/** One entry of `details.causes` (metav1.StatusCause; its Type is serialized as `reason`). */
export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  causes?: StatusCause[];
}

export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details: StatusDetails = {},
    readonly retryAfterSeconds = 0,
  ) {
    super(message);
  }
}

/** What a resource is called in errors: plural plus group, e.g. `statefulsets.apps` (schema.GroupResource.String()). */
export interface Named {
  plural: string;
  kind: string;
  group: string;
}

const groupResource = (rt: Named) => `${rt.plural}${rt.group ? `.${rt.group}` : ""}`;
const groupKind = (rt: Named) => `${rt.kind}${rt.group ? `.${rt.group}` : ""}`;

export function notFound(rt: Named, name: string): ApiError {
  return new ApiError(404, "NotFound", `${groupResource(rt)} "${name}" not found`, {
    name,
    group: rt.group,
    kind: rt.plural,
  });
}

export function alreadyExists(rt: Named, name: string): ApiError {
  return new ApiError(409, "AlreadyExists", `${groupResource(rt)} "${name}" already exists`, {
    name,
    group: rt.group,
    kind: rt.plural,
  });
}

export function conflict(rt: Named, name: string): ApiError {
  return new ApiError(
    409,
    "Conflict",
    `Operation cannot be fulfilled on ${groupResource(rt)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    { name, group: rt.group, kind: rt.plural },
  );
}

/** errors.NewForbidden: `<resource> "<name>" is forbidden: <why>` (no name: `<resource> is forbidden: <why>`). */
export function forbidden(rt: Named, name: string, why: string, causes?: StatusCause[]): ApiError {
  return new ApiError(
    403,
    "Forbidden",
    name
      ? `${groupResource(rt)} "${name}" is forbidden: ${why}`
      : `${groupResource(rt)} is forbidden: ${why}`,
    { name, group: rt.group, kind: rt.plural, ...(causes ? { causes } : {}) },
  );
}

export function badRequest(message: string): ApiError {
  return new ApiError(400, "BadRequest", message);
}

/** A validation failure of one field (field.Error). */
export interface FieldError {
  type: "FieldValueInvalid" | "FieldValueForbidden" | "FieldValueRequired";
  field: string;
  detail?: string;
  value?: unknown;
}

/** Go's %#v-ish rendering of a bad value, as field.Error does for strings and numbers. */
function valueString(v: unknown): string {
  return typeof v === "string" ? JSON.stringify(v) : typeof v === "number" ? String(v) : JSON.stringify(v);
}

/** field.Error.ErrorBody(): the message without the field path. */
export function errorBody(e: FieldError): string {
  let s: string;
  if (e.type === "FieldValueForbidden") s = "Forbidden";
  else if (e.type === "FieldValueRequired") s = "Required value";
  else s = `Invalid value: ${valueString(e.value)}`;
  return e.detail ? `${s}: ${e.detail}` : s;
}

/** errors.NewInvalid: 422 with one cause per field error; the message aggregates them. */
export function invalid(rt: Named, name: string, errs: FieldError[]): ApiError {
  const each = errs.map((e) => `${e.field}: ${errorBody(e)}`);
  // utilerrors.NewAggregate: one error prints alone, several as [a, b].
  const aggregate = each.length === 1 ? each[0] : `[${each.join(", ")}]`;
  return new ApiError(422, "Invalid", `${groupKind(rt)} "${name}" is invalid: ${aggregate}`, {
    name,
    group: rt.group,
    kind: rt.kind,
    causes: errs.map((e) => ({ reason: e.type, message: errorBody(e), field: e.field })),
  });
}
