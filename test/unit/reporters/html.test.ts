import { expect } from "chai";
import type { GradeReport } from "../../../runner/report/model.ts";
import { esc, toHtml } from "../../../runner/report/writers/html.ts";
import { FIXTURES, expectGolden, fixture } from "./support.ts";

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
    expect(html).to.contain("found:    &lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt; &amp; &#39;Tom | Jerry&#39;");
    expect(html).to.contain("o&#39;neil/lab8.git?ref=main&amp;try=&quot;2&quot;");
    expect(html).to.contain("metadata.namespace &quot;&lt;b&gt;team|a&lt;/b&gt;&quot;");
    expect(html).to.contain('class="step-label"');
    expect(html).to.contain("wait for web-1 &lt;&amp;&gt; &quot;again&quot;");
    expect(html).not.to.contain("<b>");
    const refused = toHtml(fixture("refused"));
    expect(refused).to.contain("student-&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(refused).to.contain("manifests/<wbr>&lt;script&gt;x.yaml");
    expect(esc(`<a href="x">'&'</a>`)).to.equal("&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  });

  it("shows the score and every check with its status, points and feedback", () => {
    const report = fixture("failing");
    const html = toHtml(report);
    expect(html).to.contain('<span class="points">2</span><span class="of">/ 16 points</span>');
    expect(html).to.contain('<span class="badge">not passed</span>');
    const articles = [...html.matchAll(/<article class="check s-([a-z]+)">[\s\S]*?<code class="id">([a-z0-9-]+)<\/code>\s*<span class="pts">([^<]+)<\/span>/g)];
    expect(articles.map((a) => [a[2], a[1], a[3]])).to.deep.equal(report.checks.map((c) => [c.id, c.status, `${c.score}/${c.maxScore}`]));
    expect(html).to.contain('<pre class="feedback">Service web: spec.clusterIP is &quot;10.43.0.12&quot;');
    expect(html).to.contain("<details><summary>Evidence</summary><pre>Error: probe pod kubegrade-probe-7f3c not Running after 60 s");
  });

  it("timeline: one lane per pod, one bar per incarnation, in natural order", () => {
    const html = toHtml(fixture("passing"));
    expect(shapes(html).filter((s) => s.cls === "pod").length).to.equal(3);
    expect([...html.matchAll(/<text class="pod"[^>]*>([^<]+)<\/text>/g)].map((m) => m[1])).to.deep.equal(["web-0", "web-1", "web-2"]);
    const bars = incarnations(html);
    expect(bars).to.have.length(6);
    expect(bars.map((b) => /^(\S+) \(uid/.exec(b.title)?.[1])).to.deep.equal(["web-0", "web-0", "web-1", "web-1", "web-2", "web-2"]);
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
      if (deleted) expect(Math.abs(num(deleted, "x") + 1.5 - (num(last, "x") + num(last, "width")))).to.be.below(0.2);
    }
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

  it("timeline: a pod seen before its creation starts at its first event; unready turns a bar amber again", () => {
    const bars = incarnations(toHtml(fixture("failing")));
    const web2 = bars.find((b) => b.title.startsWith("web-2"));
    expect(web2?.title).to.contain("from 0.1 s; scheduled 0.1 s");
    const web1 = bars.find((b) => b.title.includes(`uid 0c7d2a91-1111-4111-8111-000000000002`));
    expect(web1?.shapes.filter((s) => s.cls === "ready" || s.cls === "not-ready").map((s) => s.cls)).to.deep.equal([
      "not-ready",
      "ready",
      "not-ready",
      "ready",
      "not-ready",
    ]);
    // The replacement web-1 was reported before the old one's deletion: it gets a row of its own.
    const replacement = bars.find((b) => b.title.includes("uid 0c7d2a91-1111-4111-8111-000000000012"));
    const oldY = num(web1?.shapes[0] as Shape, "y");
    const newY = num(replacement?.shapes[0] as Shape, "y");
    expect(newY).to.be.greaterThan(oldY);
  });

  it("timeline: dashed markers with labels for the grader's steps, and a time axis in seconds from the first event", () => {
    const report = fixture("passing");
    const html = toHtml(report);
    const steps = shapes(html).filter((s) => s.cls === "step-line");
    expect(steps).to.have.length(report.steps.length);
    for (const s of steps) expect(s.attrs["stroke-dasharray"]).to.equal("4 3");
    expect([...html.matchAll(/<text class="step-label"[^>]*>([^<]+)<\/text>/g)].map((m) => m[1])).to.deep.equal(report.steps.map((s) => s.label));
    expect([...html.matchAll(/<text class="tick"[^>]*>([^<]+)<\/text>/g)].map((m) => m[1])).to.deep.equal(["0 s", "5 s", "10 s", "15 s", "20 s"]);
    // The step at 12.0 s lies between the ticks for 10 s and 15 s, where 11.5 s after the first event (0.5 s) falls.
    const ticks = shapes(html).filter((s) => s.cls === "tick");
    const x10 = num(ticks[2] as Shape, "x");
    const x15 = num(ticks[3] as Shape, "x");
    const expected = x10 + ((11.5 - 10) / 5) * (x15 - x10);
    expect(Math.abs(num(steps[0] as Shape, "x1") - expected)).to.be.below(0.5);
  });

  it("step labels that would overlap go on separate rows", () => {
    const labels = shapes(toHtml(fixture("failing"))).filter((s) => s.cls === "step-label");
    expect(labels).to.have.length(3);
    expect(num(labels[1] as Shape, "y")).to.be.greaterThan(num(labels[0] as Shape, "y"));
  });

  it("refused: the refusals, and no timeline", () => {
    const html = toHtml(fixture("refused"));
    expect(html).to.contain("<h2>Submission refused</h2>");
    expect(html.match(/<tr><td><code>/g)).to.have.length(4);
    expect(html).not.to.contain("Pod timeline");
  });

  it("grader error: says so, and that the score is not final", () => {
    const html = toHtml(fixture("infrastructure"));
    expect(html).to.contain("<h2>The grader failed</h2>");
    expect(html).to.contain("<pre>Docker is not running: connect ENOENT /var/run/docker.sock\nStart Docker and run the grader again.</pre>");
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
