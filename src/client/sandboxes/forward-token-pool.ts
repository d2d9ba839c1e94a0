import { CanceledError } from "../../errors.js";
import { abortable } from "../internal/abortable.js";
import type { GatewayCalls } from "../internal/gateway-calls.js";

/** The gateway allows this many concurrent forward connections per token. */
const connectionsPerToken = 3;
/**
 * A token is not handed out to a new connection in the last quarter of its life, and never in its
 * last 10 s: a connection must not start on a token that expires before the gateway checks it.
 */
const maxExpiryMarginMs = 10_000;

interface PooledToken {
  token: string;
  /** 0 = never expires. */
  expiresAtMs: number;
  marginMs: number;
  inUse: number;
}

/** A token lent to one connection. */
export interface TokenLease {
  token: string;
  release(): void;
}

function expired(t: PooledToken, now: number): boolean {
  return t.expiresAtMs !== 0 && t.expiresAtMs <= now;
}

function usable(t: PooledToken, now: number): boolean {
  return t.expiresAtMs === 0 || t.expiresAtMs - now > t.marginMs;
}

/**
 * Hands out forward tokens (from CreateSshSession), at most 3 connections each, minting a new one
 * when all are busy or near expiry. A token that can no longer be handed out leaves the pool as soon
 * as its last connection ends (revoked if still valid), so a long-lived forward keeps only the tokens
 * it uses. Tokens are secrets: they never leave this pool except on the wire.
 */
export class ForwardTokenPool {
  private readonly tokens: PooledToken[] = [];
  private minting: Promise<PooledToken> | undefined;
  /** Revocations under way, so closing waits for them. */
  private readonly revoking = new Set<Promise<unknown>>();
  private closed = false;

  /**
   * @param lifetime aborts when the forward closes; mints run on it rather than on one connection's
   *   signal, since every connection waiting for a token shares the mint.
   */
  constructor(
    private readonly calls: GatewayCalls,
    private readonly sandboxId: string,
    private readonly sandboxName: string,
    private readonly lifetime: AbortSignal,
  ) {}

  async acquire(signal: AbortSignal): Promise<TokenLease> {
    for (;;) {
      if (signal.aborted) throw new CanceledError("forward connection: closed before it got a token");
      this.evictUnusable();
      const now = Date.now();
      const free = this.tokens.find((t) => t.inUse < connectionsPerToken && usable(t, now));
      if (free) return this.lend(free);
      // One mint at a time: concurrent connections share it, then race for its 3 slots.
      this.minting ??= this.mint().finally(() => {
        this.minting = undefined;
      });
      const minted = await abortable(this.minting, signal, "forward connection");
      // A fresh token is used even when the gateway's tokens live less than the margin.
      if (
        minted.inUse < connectionsPerToken &&
        !expired(minted, Date.now()) &&
        this.tokens.includes(minted)
      ) {
        return this.lend(minted);
      }
    }
  }

  /** Revokes every token; best effort, since the gateway may already be gone. */
  async revokeAll(): Promise<void> {
    this.closed = true;
    const now = Date.now();
    for (const t of this.tokens.splice(0)) if (!expired(t, now)) this.revoke(t.token);
    await Promise.allSettled([...this.revoking]);
  }

  private lend(pooled: PooledToken): TokenLease {
    pooled.inUse++;
    let released = false;
    return {
      token: pooled.token,
      release: () => {
        if (released) return;
        released = true;
        pooled.inUse--;
        this.evictUnusable();
      },
    };
  }

  /** Drops idle tokens that can no longer be handed out; one that is still valid is revoked. */
  private evictUnusable(): void {
    const now = Date.now();
    for (let i = this.tokens.length - 1; i >= 0; i--) {
      const t = this.tokens[i];
      if (t === undefined || t.inUse > 0 || usable(t, now)) continue;
      this.tokens.splice(i, 1);
      if (!expired(t, now)) this.revoke(t.token);
    }
  }

  private revoke(token: string): void {
    const revocation = this.calls
      .unary("revoke forward token", { timeoutMs: 5_000 }, (o) =>
        this.calls.openshell.revokeSshSession({ token }, o),
      )
      .catch(() => {})
      .finally(() => this.revoking.delete(revocation));
    this.revoking.add(revocation);
  }

  private async mint(): Promise<PooledToken> {
    const res = await this.calls.unary(
      `open a forward session to sandbox "${this.sandboxName}"`,
      { signal: this.lifetime },
      (o) => this.calls.openshell.createSshSession({ sandboxId: this.sandboxId }, o),
    );
    const expiresAtMs = Number(res.expiresAtMs);
    const lifetimeMs = expiresAtMs === 0 ? 0 : Math.max(0, expiresAtMs - Date.now());
    const pooled = {
      token: res.token,
      expiresAtMs,
      marginMs: Math.min(maxExpiryMarginMs, lifetimeMs / 4),
      inUse: 0,
    };
    if (this.closed) {
      // The forward closed while this token was on its way: it must not outlive the forward.
      this.revoke(pooled.token);
      throw new CanceledError(`forward to sandbox "${this.sandboxName}": closed`);
    }
    this.tokens.push(pooled);
    return pooled;
  }
}
