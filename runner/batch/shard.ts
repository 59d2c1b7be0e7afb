/**
 * `--shard I/N`: a stable share of the roster for machine I of N. A student's shard comes
 * from a hash of their id, not their position, so adding or reordering rows never moves
 * anyone already graded to another machine.
 */
import { createHash } from "node:crypto";
import { UsageError } from "../errors.ts";

export interface Shard {
  /** 1-based, as written on the command line. */
  index: number;
  count: number;
}

export function parseShard(value: string): Shard {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(value);
  if (!match) throw new UsageError(`--shard ${value}: expected I/N, for example 1/3`);
  const index = Number(match[1]);
  const count = Number(match[2]);
  if (count < 1 || index < 1 || index > count) throw new UsageError(`--shard ${value}: I must be between 1 and N (N at least 1)`);
  return { index, count };
}

/** The shard (1..count) a student belongs to. */
export function shardOf(student: string, count: number): number {
  const digest = createHash("sha256").update(student, "utf8").digest();
  return (digest.readUInt32BE(0) % count) + 1;
}

export function inShard(student: string, shard: Shard | undefined): boolean {
  return !shard || shardOf(student, shard.count) === shard.index;
}
