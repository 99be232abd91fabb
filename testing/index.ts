/** Running programs under Pulumi's mocks: for tests and the render command. */
export { dependencyOrder, type RenderedObject, type RenderOptions, renderProgram, settled } from "./render";
