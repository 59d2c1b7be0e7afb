import { expect } from "chai";
import { UsageError } from "../../runner/errors.ts";
import { usageError } from "./support.ts";
import { inShard, parseShard, shardOf } from "../../runner/batch/shard.ts";

const students = Array.from({ length: 300 }, (_, i) => `student-${i}`);

describe("batch: --shard I/N", () => {
  it("parses I/N, 1-based", () => {
    expect(parseShard("2/3")).to.deep.equal({ index: 2, count: 3 });
    expect(parseShard(" 1 / 1 ")).to.deep.equal({ index: 1, count: 1 });
    for (const bad of ["0/3", "4/3", "1/0", "a/b", "1", "1/2/3", "-1/2"]) {
      expect(() => parseShard(bad), bad).to.throw(UsageError);
    }
  });

  it("`env` reads CI_NODE_INDEX/CI_NODE_TOTAL, 1-based as GitLab's `parallel: N` sets them", () => {
    expect(parseShard("env", { CI_NODE_INDEX: "2", CI_NODE_TOTAL: "3" })).to.deep.equal({ index: 2, count: 3 });
    expect(parseShard("env", { CI_NODE_INDEX: "3", CI_NODE_TOTAL: "3" })).to.deep.equal({ index: 3, count: 3 });
    // A GitLab job without `parallel`: CI_NODE_TOTAL is 1 and there is no index — the whole roster.
    expect(parseShard("env", { CI_NODE_TOTAL: "1" })).to.deep.equal({ index: 1, count: 1 });
    expect(usageError(() => parseShard("env", {}))).to.match(/CI_NODE_TOTAL is not set.*parallel: N/);
    expect(usageError(() => parseShard("env", { CI_NODE_TOTAL: "3" }))).to.contain("CI_NODE_INDEX is not set");
    // 0-based indexes (CircleCI's, Buildkite's) are not taken for 1-based ones.
    expect(usageError(() => parseShard("env", { CI_NODE_INDEX: "0", CI_NODE_TOTAL: "3" }))).to.contain("CI_NODE_INDEX=0 and CI_NODE_TOTAL=3");
    expect(usageError(() => parseShard("env", { CI_NODE_INDEX: "4", CI_NODE_TOTAL: "3" }))).to.contain("1-based");
    expect(usageError(() => parseShard("env", { CI_NODE_INDEX: "x", CI_NODE_TOTAL: "3" }))).to.contain("not a shard");
    // Only `env` reads the environment.
    expect(parseShard("1/2", { CI_NODE_INDEX: "2", CI_NODE_TOTAL: "3" })).to.deep.equal({ index: 1, count: 2 });
  });

  it("every student is in exactly one shard, and every shard gets a share", () => {
    for (const count of [1, 2, 3, 7]) {
      const shards = Array.from({ length: count }, (_, i) => students.filter((s) => inShard(s, { index: i + 1, count })));
      expect(shards.reduce((n, s) => n + s.length, 0), `N=${count}: covers everyone once`).to.equal(students.length);
      expect(new Set(shards.flat()).size).to.equal(students.length);
      for (const share of shards) expect(share.length, `N=${count}: shard size`).to.be.greaterThan(students.length / count / 2);
    }
  });

  it("is stable: by the student's id, not by their position in the roster", () => {
    const before = new Map(students.map((s) => [s, shardOf(s, 4)]));
    const reordered = [...students].reverse().concat(["new-student"]);
    for (const s of reordered.slice(0, -1)) expect(shardOf(s, 4)).to.equal(before.get(s));
    // Known values: a change of the hash would move students between machines mid-batch.
    expect([shardOf("alice", 3), shardOf("bob", 3), shardOf("carol", 3)]).to.deep.equal(KNOWN);
  });
});

/** sha256 of the id, first 4 bytes mod N, plus 1: fixed, so shards agree across versions and machines. */
const KNOWN = [2, 1, 3];
