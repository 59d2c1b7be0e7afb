import { expect } from "chai";
import type { GradeReport } from "../../../runner/report/model.ts";
import { esc, toHtml } from "../../../runner/report/writers/html.ts";
import { FIXTURES, GRADER_ERROR, HOSTILE, expectGolden, fixture, withGraderError } from "./support.ts";

interface Shape {
  tag: string;
  cls: string;
  attrs: Record<string, string>;
}

/** The classed SVG shapes of the timeline, in document order. */
function shapes(html: string): Shape[] {
  const out: Shape[] = [];
  for (const m of html.matchAll(/<(rect|line|circle|text) class="([a-z-]+)"([^>]*)>/g)) {
    const attrs: Record<string, string> = {};
    for (const a of (m[3] ?? "").matchAll(/([a-z0-9-]+)="([^"]*)"/g)) attrs[a[1] ?? ""] = a[2] ?? "";
    out.push({ tag: m[1] ?? "", cls: m[2] ?? "", attrs });
  }
  return out;
}

/** Each incarnation group: its tooltip and its shapes. */
function incarnations(html: string): { title: string; shapes: Shape[] }[] {
  return [...html.matchAll(/<g class="incarnation"><title>([^<]*)<\/title>([\s\S]*?)<\/g>/g)].map((m) => ({
    title: m[1] ?? "",
    shapes: shapes(m[2] ?? ""),
  }));
}

const num = (s: Shape, a: string) => Number(s.attrs[a]);



describe("reporters: html", () => {
  for (const name of FIXTURES) {
    it(`${name}: matches golden/${name}.html`, () => {
      expectGolden(`${name}.html`, toHtml(fixture(name)));
    });

    it(`${name}: self-contained: no scripts, no external resources, a CSP that forbids both`, () => {
      const html = toHtml(fixture(name));
      expect(html).not.to.match(/<script/i);
      expect(html).not.to.match(/<(link|img|iframe|object|embed)\b/i);
      expect(html).not.to.match(/\s(src|href)=/i);
      expect(html).not.to.match(/url\(|@import/i);
      expect(html).to.contain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`);
      expect(html).to.match(/<style>[\s\S]+<\/style>/);
    });
  }

  it("escapes every student string: text, attributes and SVG", () => {
    const html = toHtml(fixture("failing"));
    expect(html).to.contain("Its last log lines: &quot;&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt; &amp; Tom | Jerry&quot;.");
    expect(html).not.to.contain(HOSTILE);
    // A git URL as the submission (the grade's submissionLabel): ' & " are the student's.
    const url = fixture("failing");
    url.submission = `https://git.example.edu/o'neil/lab8.git#main&try="2"`;
    expect(toHtml(url)).to.contain("o&#39;neil/lab8.git#main&amp;try=&quot;2&quot;");
    // A file name is the student's too (refusals and objects name it).
    const refused = fixture("refused");
    for (const r of refused.refusals) r.file = "<b>web</b>.yaml";
    const refusedHtml = toHtml(refused);
    expect(refusedHtml.replace(/<wbr>/g, "")).to.contain("<code>&lt;b&gt;web&lt;/b&gt;.yaml:32:9</code>");
    expect(refusedHtml).not.to.contain("<b>");
    // Step labels are the grader's, naming the student's objects: escaped in the SVG all the same.
    const steps = fixture("passing");
    const step = steps.steps[0];
    if (step === undefined) expect.fail("the passing fixture has no grader steps");
    step.label = `deleted every pod of ${HOSTILE}`;
    const stepsHtml = toHtml(steps);
    expect(stepsHtml).to.contain('class="step-label"');
    expect(stepsHtml).to.contain("deleted every pod of &lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt; &amp; Tom | Jerry");
    expect(stepsHtml).not.to.match(/<script/i);
    expect(esc(`<a href="x">'&'</a>`)).to.equal("&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  });

  it("shows the score and every check with its status, points and feedback", () => {
    const report = fixture("failing");
    const html = toHtml(report);
    expect(html).to.contain('<span class="points">25</span><span class="of">/ 100 points</span>');
    expect(html).to.contain('<span class="badge">not passed</span>');
    const articles = [...html.matchAll(/<article class="check s-([a-z]+)">[\s\S]*?<code class="id">([a-z0-9-]+)<\/code>\s*<span class="pts">([^<]+)<\/span>/g)];
    expect(articles.map((a) => [a[2], a[1], a[3]])).to.deep.equal(report.checks.map((c) => [c.id, c.status, `${c.score}/${c.maxScore}`]));
    expect(html).to.contain('<pre class="feedback">pod web-0: container nginx is CrashLoopBackOff (last exit: Error 1)');
    // A skip's own text says "Not run" and why: no second heading over it.
    expect(html).to.contain('<pre class="feedback">Not run: the pods never all became Ready (see ordered-creation).</pre>');
    expect(html).not.to.contain("Not run because");
    const withError = toHtml(withGraderError());
    expect(withError).to.contain(`<details><summary>Evidence</summary><pre>Error: ${GRADER_ERROR}\n    at exec`);
    expect(withError).to.contain("The grader could not run this check; this is not a problem with the submission.");
  });

  it("timeline: one lane per pod, one bar per incarnation, in natural order", () => {
    const report = fixture("passing");
    const html = toHtml(report);
    expect(shapes(html).filter((s) => s.cls === "pod").length).to.equal(3);
    expect([...html.matchAll(/<text class="pod"[^>]*>([^<]+)<\/text>/g)].map((m) => m[1])).to.deep.equal(["web-0", "web-1", "web-2"]);
    const bars = incarnations(html);
    // The reference's grade deletes every pod, then web-0 once more: three web-0s, two of the others.
    expect(bars).to.have.length(new Set(report.timeline.map((e) => e.uid)).size);
    expect(bars.map((b) => /^(\S+) \(uid/.exec(b.title)?.[1])).to.deep.equal(["web-0", "web-0", "web-0", "web-1", "web-1", "web-2", "web-2"]);
  });

  it("timeline: each bar runs created → deleted (or to the end), not-ready then ready, with its marks", () => {
    const report = fixture("passing");
    const html = toHtml(report);
    const bars = incarnations(html);
    for (const bar of bars) {
      const segments = bar.shapes.filter((s) => s.cls === "ready" || s.cls === "not-ready");
      expect(segments[0]?.cls, bar.title).to.equal("not-ready");
      expect(segments.map((s) => s.cls)).to.include("ready");
      for (let i = 1; i < segments.length; i++) {
        const prev = segments[i - 1] as Shape;
        const cur = segments[i] as Shape;
        expect(Math.abs(num(prev, "x") + num(prev, "width") - num(cur, "x")), `${bar.title}: segments touch`).to.be.below(0.2);
        expect(prev.cls, `${bar.title}: colour changes at each boundary`).not.to.equal(cur.cls);
      }
      expect(bar.shapes.filter((s) => s.cls === "scheduled")).to.have.length(1);
      expect(bar.shapes.filter((s) => s.cls === "became-ready")).to.have.length(1);
      const deleted = bar.shapes.find((s) => s.cls === "deleted");
      expect(Boolean(deleted), bar.title).to.equal(bar.title.includes("deleted"));
      const last = segments.at(-1) as Shape;
      if (deleted) {
        expect(Math.abs(num(deleted, "x") + 1.5 - (num(last, "x") + num(last, "width")))).to.be.below(0.2);
        // A deleted pod went unready while terminating: its bar turns amber again before the end.
        expect(segments.map((s) => s.cls), bar.title).to.deep.equal(["not-ready", "ready", "not-ready"]);
      }
    }
    expect(bars.filter((b) => b.title.includes("deleted"))).to.have.length(4);
    // The replacements are still there at the end: all three end at the same x.
    const ends = bars
      .filter((b) => b.title.endsWith("still there at the end"))
      .map((b) => {
        const last = b.shapes.filter((s) => s.cls === "ready").at(-1) as Shape;
        return Math.round(num(last, "x") + num(last, "width"));
      });
    expect(ends).to.have.length(3);
    expect(new Set(ends).size).to.equal(1);
    // The ready mark sits where the not-ready part ends.
    const first = bars[0] as { shapes: Shape[] };
    const notReady = first.shapes.find((s) => s.cls === "not-ready") as Shape;
    const mark = first.shapes.find((s) => s.cls === "became-ready") as Shape;
    expect(Math.abs(num(notReady, "x") + num(notReady, "width") - num(mark, "cx"))).to.be.below(0.2);
  });

  it("timeline: a pod first seen after its creation starts at its first event; a replacement seen before the old pod's deletion gets a row of its own", () => {
    // The passing grade as a watch that started late (web-2's "created" missed) and saw the
    // replacement web-1 created before the old one's deletion, as a busy API server can.
    const report = fixture("passing");
    const web2 = report.timeline.find((e) => e.pod === "web-2")?.uid;
    report.timeline = report.timeline.filter((e) => !(e.uid === web2 && e.event === "created"));
    const web1 = report.timeline.filter((e) => e.pod === "web-1" && e.event === "deleted")[0];
    const replacement = report.timeline.find((e) => e.pod === "web-1" && e.event === "created" && e.at > (web1?.at ?? ""));
    if (web1 === undefined || replacement === undefined) expect.fail("the passing fixture no longer deletes web-1");
    replacement.at = new Date(Date.parse(web1.at) - 300).toISOString();

    const bars = incarnations(toHtml(report));
    const first = Date.parse(report.timeline.map((e) => e.at).sort()[0] ?? "");
    const scheduled = report.timeline.find((e) => e.uid === web2 && e.event === "scheduled");
    const at = ((Date.parse(scheduled?.at ?? "") - first) / 1000).toFixed(1);
    expect(bars.find((b) => b.title.includes(`uid ${web2}`))?.title).to.contain(`from ${at} s; scheduled ${at} s`);
    const oldBar = bars.find((b) => b.title.includes(`uid ${web1.uid}`));
    const newBar = bars.find((b) => b.title.includes(`uid ${replacement.uid}`));
    expect(num(newBar?.shapes[0] as Shape, "y")).to.be.greaterThan(num(oldBar?.shapes[0] as Shape, "y"));
    // Untouched, the two web-1s share a row.
    const real = incarnations(toHtml(fixture("passing")));
    const y = (uid: string) => num(real.find((b) => b.title.includes(`uid ${uid}`))?.shapes[0] as Shape, "y");
    expect(y(replacement.uid)).to.equal(y(web1.uid));
  });

  it("timeline: dashed markers with labels for the grader's steps, and a time axis in seconds from the first event", () => {
    const report = fixture("passing");
    const html = toHtml(report);
    const steps = shapes(html).filter((s) => s.cls === "step-line");
    expect(steps).to.have.length(report.steps.length);
    for (const s of steps) expect(s.attrs["stroke-dasharray"]).to.equal("4 3");
    expect([...html.matchAll(/<text class="step-label"[^>]*>([^<]+)<\/text>/g)].map((m) => m[1])).to.deep.equal(report.steps.map((s) => s.label));
    // Ticks from 0 s, a round number of seconds apart, covering the grade (about 17 s here).
    const labels = [...html.matchAll(/<text class="tick"[^>]*>([^<]+)<\/text>/g)].map((m) => m[1] ?? "");
    expect(labels.every((l) => / s$/.test(l)), labels.join()).to.equal(true);
    const values = labels.map((l) => Number.parseFloat(l));
    const step = (values[1] ?? 0) - (values[0] ?? 0);
    expect(values[0]).to.equal(0);
    expect([0.5, 1, 2, 5, 10, 15, 30]).to.include(step);
    values.forEach((v, i) => expect(v, labels.join()).to.equal(i * step));
    expect(values.length).to.be.within(5, 11);
    const first = Math.min(...report.timeline.map((e) => Date.parse(e.at)));
    const gradeEnd = (Date.parse(report.startedAt) + report.durationMs - first) / 1000;
    expect((values.at(-1) ?? 0) + step).to.be.greaterThan(gradeEnd);
    // The first step lies between the ticks around its time since the first event.
    const since = (Date.parse(report.steps[0]?.at ?? "") - first) / 1000;
    const ticks = shapes(html).filter((s) => s.cls === "tick");
    const below = Math.floor(since / step);
    const xa = num(ticks[below] as Shape, "x");
    const xb = num(ticks[below + 1] as Shape, "x");
    const expected = xa + ((since - below * step) / step) * (xb - xa);
    expect(Math.abs(num(steps[0] as Shape, "x1") - expected)).to.be.below(0.5);
  });

  it("step labels that would overlap go on separate rows", () => {
    const report = fixture("passing");
    const labels = (r: GradeReport) => shapes(toHtml(r)).filter((s) => s.cls === "step-label");
    const apart = labels(report);
    expect(apart).to.have.length(2);
    expect(num(apart[1] as Shape, "y")).to.equal(num(apart[0] as Shape, "y"));
    // Two steps 0.3 s apart (a check deleting a pod right after another's step): two rows.
    const [a, b] = report.steps;
    if (a === undefined || b === undefined) expect.fail("the passing fixture has fewer than two steps");
    b.at = new Date(Date.parse(a.at) + 300).toISOString();
    const close = labels(report);
    expect(num(close[1] as Shape, "y")).to.be.greaterThan(num(close[0] as Shape, "y"));
  });

  it("refused: the refusals, the checks not run, and no timeline", () => {
    const report = fixture("refused");
    const html = toHtml(report);
    expect(html).to.contain("<h2>Submission refused</h2>");
    expect(html.match(/<tr><td><code>/g)).to.have.length(report.refusals.length);
    expect(html.replace(/<wbr>/g, "")).to.contain("<td><code>web.yaml:38:11</code></td><td>StatefulSet web</td><td><code>spec.template.spec.containers[0].securityContext.privileged</code></td>");
    expect(html.match(/<article class="check s-skipped">/g)).to.have.length(report.checks.length);
    expect(html).not.to.contain("Pod timeline");
  });

  it("grader error: says so, and that the score is not final", () => {
    const report = fixture("infrastructure");
    const html = toHtml(report);
    expect(html).to.contain("<h2>The grader failed</h2>");
    expect(html).to.contain(`<pre>${esc(report.infrastructureError ?? "")}</pre>`);
    expect(html.match(/<article class="check s-error">/g)).to.have.length(report.checks.length);
    expect(html).to.contain("No pod events were recorded.");
  });

  it("a single event still draws (no division by zero)", () => {
    const report: GradeReport = structuredClone(fixture("passing"));
    report.timeline = report.timeline.slice(0, 1);
    report.steps = [];
    const html = toHtml(report);
    expect(html).not.to.contain("NaN");
    expect(html).not.to.contain("Infinity");
    expect(incarnations(html)).to.have.length(1);
  });
});
