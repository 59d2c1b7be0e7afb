import { expect } from "chai";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LOCATION_LIMITS, objectLocations } from "../../../runner/submission/locations.ts";
import { loadSubmission } from "../../../runner/submission/load.ts";
import { validateSubmission } from "../../../runner/submission/validate.ts";
import { REPO, expectValid, reportSchemaPath, schemaValidator, fixture } from "./support.ts";

describe("reporters: where submitted objects were written (report.objects)", () => {
  it("each object's file, first line and the line of every field, as the student wrote them", async () => {
    const loaded = await loadSubmission(join(REPO, "fixtures/web/two-replicas/submission"));
    const [service, statefulset] = objectLocations(loaded.objects);
    expect(service).to.include({ kind: "Service", name: "nginx", file: "web.yaml", line: 1, column: 1 });
    expect(service?.fields["spec.clusterIP"]).to.equal(11);
    expect(service?.fields["spec.ports[0].name"]).to.equal(10);
    expect(statefulset).to.include({ kind: "StatefulSet", name: "web", file: "web.yaml", line: 15 });
    expect(statefulset?.fields["spec.replicas"]).to.equal(21);
    expect(statefulset?.fields["spec.template.spec.containers[0].image"]).to.be.a("number");
  });

  it("a field that holds a mapping or a list is at its own line, not its first child's; refusals point there too", async () => {
    const loaded = await loadSubmission(join(REPO, "fixtures/web/privileged-hostpath/submission"));
    const statefulset = objectLocations(loaded.objects).find((o) => o.kind === "StatefulSet");
    // web.yaml: 30 `volumes:`, 31 `- name: host`, 32 `hostPath:`, 33 `path: /`
    expect(statefulset?.fields).to.include({
      "spec.template.spec.volumes": 30,
      "spec.template.spec.volumes[0]": 31,
      "spec.template.spec.volumes[0].hostPath": 32,
      "spec.template.spec.volumes[0].hostPath.path": 33,
      "spec.template.spec.containers[0].securityContext": 37,
      "spec.template.spec.containers[0].securityContext.privileged": 38,
    });
    const { refusals } = validateSubmission(loaded.objects, { allowedKinds: ["Service", "StatefulSet"], images: ["k8s.gcr.io/nginx-slim:0.8"] });
    const at = (field: string) => refusals.find((r) => r.field === field);
    expect(at("spec.template.spec.volumes[0].hostPath")).to.include({ line: 32, column: 9 });
    expect(at("spec.template.spec.containers[0].securityContext.privileged")).to.include({ line: 38, column: 11 });
  });

  it("a List's items are placed where each item is written", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kubegrade-locations-"));
    try {
      writeFileSync(join(dir, "list.yaml"), "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Service\n  metadata:\n    name: nginx\n  spec:\n    clusterIP: None\n");
      const [service] = objectLocations((await loadSubmission(dir)).objects);
      expect(service).to.include({ file: "list.yaml", line: 5 });
      expect(service?.fields["spec.clusterIP"]).to.equal(9);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a huge object is bounded: at most so many fields an object", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kubegrade-locations-"));
    try {
      const data = Array.from({ length: 1000 }, (_, i) => `  k${i}: v`).join("\n");
      writeFileSync(join(dir, "cm.yaml"), `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n${data}\n`);
      const [cm] = objectLocations((await loadSubmission(dir)).objects);
      expect(Object.keys(cm?.fields ?? {})).to.have.length(LOCATION_LIMITS.fieldsPerObject);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the report schema accepts objects and refuses a malformed one", () => {
    const validate = schemaValidator(reportSchemaPath);
    expectValid(validate, fixture("failing"), "a report with objects");
    const bad = structuredClone(fixture("failing"));
    (bad.objects as unknown as Record<string, unknown>[])[0].line = 0;
    expect(validate(bad)).to.equal(false);
  });
});
