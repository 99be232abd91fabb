/**
 * The Pulumi program of Pulumi.yaml: runs the example named by stack config `example`
 * (`pulumi config set example web`), zookeeper by default.
 */
import * as pulumi from "@pulumi/pulumi";
import { DEFAULT_EXAMPLE, runExample } from "./catalog";

const outputs = runExample(new pulumi.Config().get("example") ?? DEFAULT_EXAMPLE);

export = outputs;
