/**
 * Kubernetes resource quantities (`1Gi`, `500m`, `2`), parsed the way apimachinery's
 * `resource.ParseQuantity` reads them, so sizes can be validated and compared before deploy.
 */

const QUANTITY =
  /^([+-]?)([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?$/;

const BINARY: Record<string, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};
const DECIMAL: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};

/** The value of a quantity as a number (bytes for memory and storage, cores for CPU), or undefined. */
export function parseQuantity(q: string): number | undefined {
  const m = QUANTITY.exec(q);
  if (!m) return undefined;
  const [, sign, digits, suffix] = m;
  let value = Number(digits);
  if (suffix !== undefined) {
    if (suffix in BINARY) value *= BINARY[suffix]!;
    else if (suffix in DECIMAL) value *= DECIMAL[suffix]!;
    else value *= 10 ** Number(suffix.slice(1));
  }
  return sign === "-" ? -value : value;
}

/** The value of a JVM size (`512m`, `2G`, `1048576`) in bytes, or undefined. */
export function parseJvmSize(s: string): number | undefined {
  const m = /^([1-9][0-9]*)([kKmMgG]?)$/.exec(s);
  if (!m) return undefined;
  const unit = m[2]!.toLowerCase();
  const scale = unit === "k" ? 2 ** 10 : unit === "m" ? 2 ** 20 : unit === "g" ? 2 ** 30 : 1;
  return Number(m[1]) * scale;
}
