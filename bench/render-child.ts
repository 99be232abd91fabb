/**
 * One contender of the render benchmark in a process of its own, for clean memory figures:
 * `tsx bench/render-child.ts <contender> <ensembles>` loads the contender, renders the ensembles
 * once and prints one JSON line: peak RSS of the process (the OS's figure, so no peak is missed),
 * RSS once the modules are loaded, and V8's heap after the render.
 */
import { type Contender, loadContender } from "./render-contenders";

async function main(): Promise<void> {
  const contender = process.argv[2] as Contender;
  const n = Number(process.argv[3]);
  const render = await loadContender(contender);
  const loadedKb = process.resourceUsage().maxRSS;
  const start = performance.now();
  const bytes = render(n).length;
  const ms = performance.now() - start;
  const heap = process.memoryUsage();
  process.stdout.write(
    `${JSON.stringify({
      contender,
      ensembles: n,
      bytes,
      ms: Math.round(ms),
      peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
      loaded_rss_mb: Math.round(loadedKb / 1024),
      heap_total_mb: Math.round(heap.heapTotal / 2 ** 20),
    })}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
