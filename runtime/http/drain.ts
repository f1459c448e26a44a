/** Counts work in flight so that a graceful shutdown can wait for it. */
export class Drain {
  private active = 0;
  private waiters: (() => void)[] = [];
  closing = false;

  get inFlight(): number {
    return this.active;
  }

  async track<T>(work: () => Promise<T>): Promise<T> {
    this.active++;
    try {
      return await work();
    } finally {
      this.active--;
      if (this.active === 0) for (const wake of this.waiters.splice(0)) wake();
    }
  }

  /** Stops new work (callers check `closing`) and resolves when nothing is in flight or after `graceMs`. */
  async drain(graceMs: number): Promise<boolean> {
    this.closing = true;
    if (this.active === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const done = await Promise.race([
      new Promise<boolean>((resolve) => this.waiters.push(() => resolve(true))),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), graceMs))),
    ]);
    clearTimeout(timer);
    return done;
  }
}
