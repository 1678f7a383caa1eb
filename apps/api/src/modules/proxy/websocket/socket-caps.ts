// Open WebSockets per owner and per API key. A socket holds an upstream connection for its whole
// life, idle or not, so open sockets are capped beside the concurrency caps (which each turn
// still passes through, like any request): one tenant cannot hold every upstream socket.
export type CapRelease = () => void;

export class SocketCaps {
  private readonly owners = new Map<string, number>();
  private readonly keys = new Map<string, number>();

  constructor(private readonly limits: { perOwner: number; perKey: number }) {}

  /** A place for one more socket, or null when the owner or the key is at its cap. */
  tryOpen(ownerId: string, keyId: string): CapRelease | null {
    const owner = this.owners.get(ownerId) ?? 0;
    const key = this.keys.get(keyId) ?? 0;
    if (owner >= this.limits.perOwner || key >= this.limits.perKey) return null;
    this.owners.set(ownerId, owner + 1);
    this.keys.set(keyId, key + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      decrement(this.owners, ownerId);
      decrement(this.keys, keyId);
    };
  }

  openFor(ownerId: string): number {
    return this.owners.get(ownerId) ?? 0;
  }
}

function decrement(map: Map<string, number>, id: string): void {
  const left = (map.get(id) ?? 1) - 1;
  if (left <= 0) map.delete(id);
  else map.set(id, left);
}
