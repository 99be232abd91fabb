/**
 * Two-leader detection: polls `srvr` on every running server, a round at a time, and flags two
 * servers reporting `leader` in the same round when they lead the same epoch, or when both leaders'
 * zxids advance between two consecutive rounds (both commit writes: a split ensemble). A deposed
 * leader that has not noticed yet reports `leader` briefly but commits nothing, so it is not flagged.
 */
import { epochOf } from "../../sdk/zookeeper/membership";
import { fourLetterWord } from "./harness";

export interface LeaderSample {
  t: number;
  leaders: { server: string; zxid: string }[];
}

export interface TwoLeaders {
  t: number;
  servers: string[];
  why: string;
}

export class LeaderWatch {
  private timer?: NodeJS.Timeout;
  private running = false;
  readonly samples: LeaderSample[] = [];
  readonly incidents: TwoLeaders[] = [];
  /** Most servers reporting leader in one round. */
  maxLeaders = 0;

  constructor(
    private readonly servers: () => { name: string; ip: string }[],
    private readonly clientPort: number,
    private readonly periodMs = 250,
  ) {}

  start(): void {
    this.running = true;
    const tick = async () => {
      if (!this.running) return;
      await this.round();
      if (this.running) this.timer = setTimeout(tick, this.periodMs);
    };
    void tick();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
  }

  private async round(): Promise<void> {
    const t = Date.now();
    const replies = await Promise.all(
      this.servers().map(async (s) => ({
        s,
        reply: await fourLetterWord(s.ip, this.clientPort, "srvr", 1500),
      })),
    );
    const leaders = replies
      .filter((r) => r.reply && /^Mode: leader$/m.test(r.reply))
      .map((r) => ({ server: r.s.name, zxid: /^Zxid: (0x[0-9a-f]+)$/m.exec(r.reply!)?.[1] ?? "0x0" }));
    const prev = this.samples.at(-1);
    this.samples.push({ t, leaders });
    this.maxLeaders = Math.max(this.maxLeaders, leaders.length);
    if (leaders.length < 2) return;
    const epochs = leaders.map((l) => epochOf(l.zxid));
    if (new Set(epochs).size < epochs.length) {
      this.incidents.push({
        t,
        servers: leaders.map((l) => l.server),
        why: `same epoch ${epochs.join("/")}`,
      });
      return;
    }
    if (prev && prev.leaders.length >= 2) {
      const advancing = leaders.filter((l) => {
        const before = prev.leaders.find((p) => p.server === l.server);
        return before !== undefined && BigInt(l.zxid) > BigInt(before.zxid);
      });
      if (advancing.length >= 2)
        this.incidents.push({
          t,
          servers: advancing.map((l) => l.server),
          why: `both commit: ${advancing.map((l) => `${l.server} at ${l.zxid}`).join(", ")}`,
        });
    }
  }
}
