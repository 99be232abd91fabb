/**
 * Bad values inside Outputs: each is checked when it resolves, with the exact message the plain
 * value gets, and fails the registration of every resource it feeds (in `pulumi up`, the program
 * fails with that message); no resource is registered with the placeholder that stood in for it.
 *
 * A failed registration rejects outside any awaiter, as an unhandled rejection (the Pulumi
 * launcher reports those and fails the run), and keeps the runtime's RPC queue from draining:
 * so this file listens for those rejections itself and never waits for `settled()`.
 */
import * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, expect, it } from "vitest";
import { PLACEHOLDER } from "../components/inputs";
import { installMocks, registered } from "./support/mocks";

type Components = typeof import("../components");
let c: Components;

const rejections: unknown[] = [];
const vitestListeners = process.listeners("unhandledRejection");
const collect = (reason: unknown) => rejections.push(reason);

beforeAll(async () => {
  process.removeAllListeners("unhandledRejection");
  process.on("unhandledRejection", collect);
  await installMocks();
  c = await import("../components");
});

afterAll(() => {
  process.off("unhandledRejection", collect);
  for (const l of vitestListeners) process.on("unhandledRejection", l);
});

const S = (n: string) => `StatefulApp "${n}": `;
const Z = 'ZooKeeperEnsemble "zk": ';

/** [component name, construct, the exact message] */
const cases: [string, () => unknown, string][] = [
  [
    "img",
    () => new c.StatefulApp("img", { image: pulumi.output("") }),
    `${S("img")}image ("") must be a container image reference like "zookeeper:3.8.4"`,
  ],
  [
    "cpu",
    () =>
      new c.StatefulApp("cpu", {
        image: "x:1",
        resources: { requests: { cpu: pulumi.output("2 cores") } },
        rollout: false,
      }),
    `${S("cpu")}resources.requests.cpu ("2 cores") must be a Kubernetes quantity like "500m", "1" or "4Gi"`,
  ],
  [
    "probe",
    () =>
      new c.StatefulApp("probe", {
        image: "x:1",
        ports: [{ name: "web", containerPort: 80 }],
        readinessProbe: { tcpSocket: { port: "web" }, periodSeconds: Promise.resolve(0) },
      }),
    `${S("probe")}readinessProbe.periodSeconds (0) must be an integer >= 1`,
  ],
  [
    "file",
    () =>
      new c.StatefulApp("file", {
        image: "x:1",
        config: { mountPath: "/etc/x", files: { "a.conf": pulumi.output(5 as unknown as string) } },
      }),
    `${S("file")}config.files["a.conf"] (5) must be a string`,
  ],
  [
    "zk",
    () =>
      new c.ZooKeeperEnsemble("zk", {
        extraConfig: { snapCount: pulumi.output("1\nserver.9=evil:1:2") },
      }),
    `${Z}extraConfig["snapCount"] ("1\\nserver.9=evil:1:2") must be a one-line string`,
  ],
  [
    "zk-jvm",
    () => new c.ZooKeeperEnsemble("zkj", { jvmFlags: pulumi.output(["-Dx=a b"]) }),
    `ZooKeeperEnsemble "zkj": jvmFlags[0] ("-Dx=a b") must not contain whitespace, quotes, '$', '\\' or backticks: java.env is a shell file`,
  ],
];

/** Pulumi prefixes the property the failure surfaced in; the error itself is ours. */
const ours = (e: unknown) => (e as Error).message.replace(/^(error serializing property "[^"]+": )+/, "");

it("fails the registrations a bad Output feeds, with the message its plain value gets", async () => {
  for (const [, construct] of cases) construct();
  const expected = cases.map(([, , message]) => message);
  const deadline = Date.now() + 10_000;
  while (!expected.every((m) => rejections.some((e) => ours(e) === m)) && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 200));

  expect(expected.filter((m) => !rejections.some((e) => ours(e) === m))).toEqual([]);
  for (const e of rejections) {
    expect((e as Error).name).toBe("StatefulArgsError");
    expect(expected).toContain(ours(e));
  }
  // None of the StatefulSets reached the engine, and no placeholder reached anything.
  const names = cases.map(([name]) => name);
  expect(
    registered.filter((r) => r.type === "kubernetes:apps/v1:StatefulSet" && names.includes(r.name)),
  ).toEqual([]);
  expect(JSON.stringify(registered)).not.toContain(PLACEHOLDER.image);
});
