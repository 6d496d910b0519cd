/**
 * The in-memory adapter, the default: rooms of this one process. A broadcast reaches the
 * members of this instance only, synchronously, in the order the server called it.
 */
import type { Adapter, Member, OutgoingFrame } from './adapter.js';

export function memoryAdapter(): Adapter {
  return new MemoryAdapter();
}

class MemoryAdapter implements Adapter {
  #members = new Set<Member>();
  #rooms = new Map<string, Set<Member>>();
  /** Each member's rooms, so `remove()` need not scan every room. */
  #memberships = new Map<Member, Set<string>>();

  attach(): void {}

  add(member: Member): void {
    this.#members.add(member);
  }

  async remove(member: Member): Promise<void> {
    this.#members.delete(member);
    for (const room of this.#memberships.get(member) ?? []) this.#drop(member, room);
    this.#memberships.delete(member);
  }

  async join(member: Member, room: string): Promise<void> {
    // A member that has gone must not come back through a join that was still on its way.
    if (!this.#members.has(member)) return;
    let members = this.#rooms.get(room);
    if (!members) this.#rooms.set(room, (members = new Set()));
    members.add(member);
    let rooms = this.#memberships.get(member);
    if (!rooms) this.#memberships.set(member, (rooms = new Set()));
    rooms.add(room);
  }

  async leave(member: Member, room: string): Promise<void> {
    this.#memberships.get(member)?.delete(room);
    this.#drop(member, room);
  }

  broadcast(room: string | null, frame: OutgoingFrame): void {
    const members = room === null ? this.#members : this.#rooms.get(room);
    if (!members) return;
    for (const member of members) member.deliver(frame);
  }

  roomCount(): number {
    return this.#rooms.size;
  }

  async close(): Promise<void> {
    this.#members.clear();
    this.#rooms.clear();
    this.#memberships.clear();
  }

  /** An empty room is forgotten, so rooms named by clients cannot pile up. */
  #drop(member: Member, room: string): void {
    const members = this.#rooms.get(room);
    if (!members) return;
    members.delete(member);
    if (members.size === 0) this.#rooms.delete(room);
  }
}
