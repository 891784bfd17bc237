/**
 * Retries may add at most `ratio` of the request volume on top of it, plus a small floor per second so a quiet
 * router can still retry. Without a budget, retries multiply the load on a subgraph exactly when it struggles.
 * (The same idea as Finagle's and Envoy's retry budgets.)
 */
export class RetryBudget {
  private readonly cap: number;
  private balance: number;
  private at = Date.now();

  constructor(
    private readonly ratio: number,
    private readonly minPerSecond: number,
  ) {
    // The most retries a burst can spend at once, however long the router was quiet before.
    this.cap = Math.max(10, minPerSecond * 10);
    this.balance = this.cap;
  }

  private deposit(amount: number): void {
    const now = Date.now();
    this.balance = Math.min(this.cap, this.balance + amount + ((now - this.at) / 1000) * this.minPerSecond);
    this.at = now;
  }

  /** Every first attempt earns `ratio` of a retry. */
  recordRequest(): void {
    this.deposit(this.ratio);
  }

  /** Spends one retry; false when the budget is empty. */
  tryRetry(): boolean {
    this.deposit(0);
    if (this.balance < 1) return false;
    this.balance -= 1;
    return true;
  }
}
