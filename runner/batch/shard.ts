/**
 * `--shard I/N`: a stable share of the roster for machine I of N. A student's shard comes
 * from a hash of their id, not their position, so adding or reordering rows never moves
 * anyone already graded to another machine.
 *
 * `--shard env` takes I and N from CI_NODE_INDEX and CI_NODE_TOTAL, as GitLab sets them in
 * each job of `parallel: N` (1-based; a job without `parallel` has CI_NODE_TOTAL 1 and no
 * index: the whole roster).
 */
import { createHash } from "node:crypto";
import { UsageError } from "../errors.ts";

export interface Shard {
  /** 1-based, as written on the command line. */
  index: number;
  count: number;
}

/** The value of --shard that reads the shard from the environment. */
export const SHARD_FROM_ENV = "env";

export function parseShard(value: string, env: NodeJS.ProcessEnv = {}): Shard {
  if (value.trim() === SHARD_FROM_ENV) return shardFromEnv(env);
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(value);
  if (!match) throw new UsageError(`--shard ${value}: expected I/N, for example 1/3, or ${SHARD_FROM_ENV} (CI_NODE_INDEX/CI_NODE_TOTAL)`);
  const index = Number(match[1]);
  const count = Number(match[2]);
  if (count < 1 || index < 1 || index > count) throw new UsageError(`--shard ${value}: I must be between 1 and N (N at least 1)`);
  return { index, count };
}

function shardFromEnv(env: NodeJS.ProcessEnv): Shard {
  const index = env.CI_NODE_INDEX?.trim() || undefined;
  const total = env.CI_NODE_TOTAL?.trim() || undefined;
  if (total === undefined) {
    throw new UsageError(
      `--shard ${SHARD_FROM_ENV}: CI_NODE_TOTAL is not set (GitLab sets CI_NODE_INDEX and CI_NODE_TOTAL in a job with \`parallel: N\`; elsewhere give --shard I/N)`,
    );
  }
  if (index === undefined) {
    if (total === "1") return { index: 1, count: 1 };
    throw new UsageError(`--shard ${SHARD_FROM_ENV}: CI_NODE_TOTAL is ${total} but CI_NODE_INDEX is not set`);
  }
  try {
    return parseShard(`${index}/${total}`);
  } catch {
    throw new UsageError(`--shard ${SHARD_FROM_ENV}: CI_NODE_INDEX=${index} and CI_NODE_TOTAL=${total} are not a shard I of N (1-based, I at most N)`);
  }
}

/** The shard (1..count) a student belongs to. */
export function shardOf(student: string, count: number): number {
  const digest = createHash("sha256").update(student, "utf8").digest();
  return (digest.readUInt32BE(0) % count) + 1;
}

export function inShard(student: string, shard: Shard | undefined): boolean {
  return !shard || shardOf(student, shard.count) === shard.index;
}
