/**
 * `npm ci` on the Node this runs on prints no EBADENGINE warning: every package in the lock file
 * (ours included) that declares `engines.node` accepts this Node. CI runs the Node versions
 * package.json's `engines` declares.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";

const semver = require("semver") as { satisfies(version: string, range: string): boolean };
const root = join(__dirname, "..");

it("every package in the lock accepts this Node version", () => {
  const lock = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8")) as {
    packages: Record<string, { engines?: { node?: string } | string[] }>;
  };
  const own = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).engines.node as string;
  expect(semver.satisfies(process.version, own)).toBe(true);
  const refusing = Object.entries(lock.packages)
    .map(([path, p]) => [path, Array.isArray(p.engines) ? undefined : p.engines?.node] as const)
    .filter(([, range]) => range !== undefined && !semver.satisfies(process.version, range))
    .map(([path, range]) => `${path} (node ${range})`);
  expect(refusing).toEqual([]);
});
