import type { GatewayCalls } from "../internal/gateway-calls.js";

/** The gateway allows this many concurrent forward connections per token. */
const connectionsPerToken = 3;
/** A token this close to expiry is not handed out for a new connection. */
const expiryMarginMs = 10_000;

interface PooledToken {
  token: string;
  expiresAtMs: number;
  inUse: number;
}

/** A token lent to one connection. */
export interface TokenLease {
  token: string;
  release(): void;
}

/**
 * Hands out forward tokens (from CreateSshSession), at most 3 connections each, minting a new one
 * when all are busy or near expiry. Tokens are secrets: they never leave this pool except on the wire.
 */
export class ForwardTokenPool {
  private readonly tokens: PooledToken[] = [];
  private minting: Promise<PooledToken> | undefined;

  constructor(
    private readonly calls: GatewayCalls,
    private readonly sandboxId: string,
    private readonly sandboxName: string,
  ) {}

  async acquire(signal: AbortSignal): Promise<TokenLease> {
    for (;;) {
      const now = Date.now();
      const free = this.tokens.find(
        (t) => t.inUse < connectionsPerToken && (t.expiresAtMs === 0 || t.expiresAtMs - now > expiryMarginMs),
      );
      if (free) {
        free.inUse++;
        let released = false;
        return {
          token: free.token,
          release: () => {
            if (released) return;
            released = true;
            free.inUse--;
          },
        };
      }
      // One mint at a time: concurrent connections share it, then race for its 3 slots.
      this.minting ??= this.mint(signal).finally(() => {
        this.minting = undefined;
      });
      await this.minting;
    }
  }

  /** Revokes every token; best effort, since the gateway may already be gone. */
  async revokeAll(): Promise<void> {
    const tokens = this.tokens.splice(0);
    await Promise.allSettled(
      tokens.map((t) =>
        this.calls.unary("revoke forward token", { timeoutMs: 5_000 }, (o) =>
          this.calls.openshell.revokeSshSession({ token: t.token }, o),
        ),
      ),
    );
  }

  private async mint(signal: AbortSignal): Promise<PooledToken> {
    const res = await this.calls.unary(
      `open a forward session to sandbox "${this.sandboxName}"`,
      { signal },
      (o) => this.calls.openshell.createSshSession({ sandboxId: this.sandboxId }, o),
    );
    const pooled = { token: res.token, expiresAtMs: Number(res.expiresAtMs), inUse: 0 };
    this.tokens.push(pooled);
    return pooled;
  }
}
