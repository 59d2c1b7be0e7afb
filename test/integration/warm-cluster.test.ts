/**
 * The warm cluster a student keeps between grades: `cluster start`, `grade --reuse` on it
 * (without paying the boot), `cluster status`, `cluster stop` — through the command line.
 */
import { expect } from "chai";
import { join } from "node:path";
import { LABELS, PROJECT_ROOT } from "../../runner/config.ts";
import { dockerClient } from "../../runner/util/docker.ts";
import { cli } from "./support.ts";


async function warmContainers(): Promise<string[]> {
  const { client } = await dockerClient();
  const list = await client.container.dockerode.listContainers({ filters: { label: [`${LABELS.warm}=true`] } });
  return list.map((c) => c.Id.slice(0, 12));
}

describe("warm cluster", function () {
  let hadWarm = false;
  before(async function () {
    hadWarm = (await warmContainers()).length > 0;
    if (hadWarm) this.skip(); // never touch a warm cluster someone is using
  });
  after(async function () {
    if (!hadWarm) await cli(["cluster", "stop"]);
  });

  it("starts, is reused by a grade, shows in status and is removed by stop", async function () {
    const start = await cli(["cluster", "start"]);
    expect(start.exitCode, String(start.all)).to.equal(0);
    expect(String(start.stdout)).to.match(/Warm cluster ready: kit node .* in container (\w{12})/);
    const id = /in container (\w{12})/.exec(String(start.stdout))![1];
    expect(await warmContainers()).to.deep.equal([id]);

    const grade = await cli(["grade", "web", join(PROJECT_ROOT, "fixtures/web/reference/submission"), "--reuse"]);
    expect(grade.exitCode, String(grade.all)).to.equal(0);
    expect(String(grade.stderr)).to.include(`Using the warm cluster ${id}`);
    expect(String(grade.stderr)).to.not.include("Starting a kit cluster");
    expect(await warmContainers(), "the grade leaves the warm cluster running").to.deep.equal([id]);

    const status = await cli(["cluster", "status"]);
    expect(String(status.stdout)).to.include(`${id}  running  warm`);

    const stop = await cli(["cluster", "stop"]);
    expect(String(stop.stdout)).to.include(`Removed the warm cluster ${id}`);
    expect(await warmContainers()).to.deep.equal([]);
  });
});
