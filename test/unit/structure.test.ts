/**
 * The shape of runner/ (issue 23), read from the code with the TypeScript compiler: imports run
 * one way, from a higher layer to a lower one (LAYERS below), with no cycle; no function is too
 * long to read in one sitting; and only runner/cluster/ compares a cluster provider's name —
 * everyone else asks the provider what it can do. Each failure names file:line and what is
 * involved, so it says where to start.
 */
import { expect } from "chai";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import ts from "typescript";
import { PROJECT_ROOT } from "../../runner/config.ts";

/**
 * runner/'s layers, lowest first. A module may import its own layer or a lower one, never a
 * higher one. A unit is a folder ("kube/": everything under runner/kube/) or a top-level file.
 */
const LAYERS: readonly { layer: string; units: readonly string[] }[] = [
  // constants, error classes, the kit's workload image table: they import nothing from runner/
  { layer: "ground", units: ["config.ts", "errors.ts", "workload-images.ts"] },
  // generic helpers: waits, progress lines, interrupts, whole-file writes, the Docker engine
  { layer: "util", units: ["util/"] },
  // the report model and its writers: pure functions of a GradeReport
  { layer: "report", units: ["report/"] },
  // exercise definitions and the checks they name
  { layer: "exercise", units: ["exercise.ts", "exercise-errors.ts", "exercise-params.ts"] },
  // a submission: load, locate, validate, its image references
  { layer: "submission", units: ["submission/"] },
  // the Kubernetes API: apply, watch, exec, pods' readiness and problems
  { layer: "kube", units: ["kube/"] },
  // the grading namespace, and the pod timeline recorded in it
  { layer: "namespace", units: ["namespace.ts", "namespace-lock.ts", "recorder.ts"] },
  // the images only the kit builds: their names elsewhere, the kit's registry, load and push
  { layer: "images", units: ["images/"] },
  // the kit node image's build
  { layer: "node-image", units: ["node-image/"] },
  // `kubegrade setup`: Docker, kustomize, the node image
  { layer: "setup", units: ["setup/"] },
  // cluster providers and their registry, warm clusters, the sweep of leftovers
  { layer: "cluster", units: ["cluster/"] },
  // one grade: prepared without a cluster, then run on one (placement, session, checks, score)
  { layer: "grade", units: ["grade/"] },
  // a class: many grades on one cluster, the gradebook and its views
  { layer: "batch", units: ["batch/"] },
  // `exercise verify`: an exercise's reference and known-bad fixtures graded
  { layer: "verify", units: ["verify.ts"] },
  // `kubegrade watch`: a submission graded again on every save, on one kept cluster
  { layer: "watch", units: ["watch.ts"] },
  // the commands: plain async functions over options, registered on the program
  { layer: "commands", units: ["cluster-cli.ts", "commands.ts", "commands-batch.ts", "commands-exercise.ts", "commands-images.ts"] },
  // the command line: the program, its entry point, the installed bin
  { layer: "entry", units: ["program.ts", "cli.ts", "bin.ts"] },
];

/**
 * What runner/ may take from checks/: the check API it implements, below every layer; the
 * checks themselves (their index and the declarative ones) only where exercises are loaded.
 */
const CHECKS_API = "checks/api.ts";
const CHECKS_LOADER = "runner/exercise.ts";

const MAX_FUNCTION_LINES = 100;
const PROVIDER_NAMES = new Set(["kit", "k3s", "kubeconfig"]);
/** Where a provider's name may be compared: the providers and their registry. */
const PROVIDER_HOME = "runner/cluster/";

interface Import {
  /** Project-relative, "/"-separated. */
  from: string;
  line: number;
  specifier: string;
  /** What is taken ("type X" for a type-only name; "*" for a whole module). */
  names: string[];
}

interface Module {
  file: string;
  source: ts.SourceFile;
  imports: Import[];
}

function tsFiles(dir: string): string[] {
  return readdirSync(join(PROJECT_ROOT, dir), { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts") && !f.endsWith(".test.ts"))
    .map((f) => `${dir}/${f.split(sep).join("/")}`)
    .sort();
}

const lineOf = (source: ts.SourceFile, node: ts.Node) => source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;

function bindingNames(clause: ts.ImportClause | undefined): string[] {
  if (!clause) return ["(side effects)"];
  const type = (only: boolean) => (only || clause.isTypeOnly ? "type " : "");
  const names = clause.name ? [`${type(false)}default as ${clause.name.text}`] : [];
  const bindings = clause.namedBindings;
  if (bindings && ts.isNamespaceImport(bindings)) names.push(`${type(false)}* as ${bindings.name.text}`);
  if (bindings && ts.isNamedImports(bindings)) names.push(...bindings.elements.map((e) => `${type(e.isTypeOnly)}${e.name.text}`));
  return names;
}

/** What `import("…")` hands on: the destructured names, the member read, or the module. */
function dynamicNames(call: ts.Node): string[] {
  let node = call.parent;
  while (ts.isAwaitExpression(node) || ts.isParenthesizedExpression(node)) node = node.parent;
  if (ts.isVariableDeclaration(node) && ts.isObjectBindingPattern(node.name)) {
    return node.name.elements.map((e) => (e.propertyName ?? e.name).getText());
  }
  if (ts.isPropertyAccessExpression(node)) return [node.name.text];
  return ["import()"];
}

/** Every module `text` names: static imports and re-exports, `import("…")` calls and `import("…")` types. */
function readImports(file: string, text: string): Module {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const imports: Import[] = [];
  const add = (node: ts.Node, specifier: ts.Expression | undefined, names: string[]) => {
    if (specifier && ts.isStringLiteralLike(specifier)) imports.push({ from: file, line: lineOf(source, node), specifier: specifier.text, names });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) add(node, node.moduleSpecifier, bindingNames(node.importClause));
    else if (ts.isExportDeclaration(node)) {
      const clause = node.exportClause;
      const names = clause && ts.isNamedExports(clause) ? clause.elements.map((e) => `${node.isTypeOnly || e.isTypeOnly ? "type " : ""}${e.name.text}`) : ["*"];
      add(node, node.moduleSpecifier, names);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      add(node, node.arguments[0], dynamicNames(node));
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add(node, node.argument.literal, [`type ${node.qualifier?.getText() ?? "*"}`]);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return { file, source, imports };
}

/** The project file a relative specifier names, if it is one of `known`. */
function target(from: string, specifier: string, known: ReadonlySet<string>): string | undefined {
  if (!specifier.startsWith(".")) return undefined;
  const to = relative(PROJECT_ROOT, resolve(PROJECT_ROOT, dirname(from), specifier)).split(sep).join("/");
  return known.has(to) ? to : undefined;
}

/** Strongly connected components of more than one file (or a file importing itself): Tarjan's. */
function cycles(nodes: readonly string[], edges: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const connect = (node: string) => {
    index.set(node, index.size);
    low.set(node, index.get(node)!);
    stack.push(node);
    onStack.add(node);
    for (const next of edges.get(node) ?? []) {
      if (!index.has(next)) {
        connect(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) low.set(node, Math.min(low.get(node)!, index.get(next)!));
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1 || (edges.get(node) ?? []).includes(node)) found.push(component.sort());
  };
  for (const node of nodes) if (!index.has(node)) connect(node);
  return found;
}

/** The name a function goes by: its own, the variable or property it is bound to, or where it is passed. */
function functionName(node: ts.FunctionLikeDeclaration): string {
  const holder = ts.findAncestor(node.parent, (n) => ts.isClassLike(n) || ts.isFunctionLike(n));
  const className = holder && ts.isClassLike(holder) ? `${holder.name?.text ?? "(class)"}.` : "";
  if (ts.isConstructorDeclaration(node)) return `${className}constructor`;
  if (node.name) return `${className}${node.name.getText()}`;
  const parent = node.parent;
  if (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent)) return parent.name.getText();
  const enclosing = holder && ts.isFunctionLike(holder) ? ` in ${functionName(holder as ts.FunctionLikeDeclaration)}` : "";
  if (ts.isCallExpression(parent) || ts.isNewExpression(parent)) {
    const callee = parent.expression.getText().replace(/\s+/g, " ");
    return `(callback to ${callee.length > 40 ? `…${callee.slice(-40)}` : callee}${enclosing})`;
  }
  return `(anonymous${enclosing})`;
}

function longFunctions(module: Module, max: number): string[] {
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && "body" in node && node.body) {
      const start = lineOf(module.source, node);
      const lines = module.source.getLineAndCharacterOfPosition(node.getEnd()).line + 2 - start;
      if (lines > max) found.push(`${module.file}:${start} ${functionName(node as ts.FunctionLikeDeclaration)}: ${lines} lines`);
    }
    ts.forEachChild(node, visit);
  };
  visit(module.source);
  return found;
}

/** `provider === …`, `… !== "kit"`, and a switch over a provider or a case "k3s". */
function providerComparisons(module: Module): string[] {
  const bare = (e: ts.Expression): ts.Expression => (ts.isParenthesizedExpression(e) || ts.isNonNullExpression(e) ? bare(e.expression) : e);
  const namesProvider = (e: ts.Expression) => {
    const x = bare(e);
    const name = ts.isIdentifier(x) ? x.text : ts.isPropertyAccessExpression(x) ? x.name.text : "";
    return /provider/i.test(name);
  };
  const isProviderName = (e: ts.Expression) => {
    const x = bare(e);
    return ts.isStringLiteralLike(x) && PROVIDER_NAMES.has(x.text);
  };
  const equality = new Set([
    ts.SyntaxKind.EqualsEqualsEqualsToken, ts.SyntaxKind.ExclamationEqualsEqualsToken, ts.SyntaxKind.EqualsEqualsToken, ts.SyntaxKind.ExclamationEqualsToken,
  ]);
  const found: string[] = [];
  const report = (node: ts.Node) => found.push(`${module.file}:${lineOf(module.source, node)}: ${node.getText().replace(/\s+/g, " ")}`);
  const visit = (node: ts.Node): void => {
    if (ts.isBinaryExpression(node) && equality.has(node.operatorToken.kind)) {
      if ([node.left, node.right].some((side) => namesProvider(side) || isProviderName(side))) report(node);
    } else if (ts.isSwitchStatement(node) && namesProvider(node.expression)) {
      found.push(`${module.file}:${lineOf(module.source, node)}: switch (${node.expression.getText()})`);
    } else if (ts.isCaseClause(node) && isProviderName(node.expression)) {
      found.push(`${module.file}:${lineOf(module.source, node)}: case ${node.expression.getText()}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(module.source);
  return found;
}

function unitOf(file: string): string {
  const rest = file.slice("runner/".length);
  const slash = rest.indexOf("/");
  return slash === -1 ? rest : rest.slice(0, slash + 1);
}

/** Fails with `heading` and one offender a line (chai's diff of two arrays would print them twice). */
function expectNone(found: readonly string[], heading: string): void {
  if (found.length) expect.fail(`${heading}\n${found.join("\n")}`);
}

const layerIndex = new Map(LAYERS.flatMap(({ units }, i) => units.map((u) => [u, i] as const)));

interface Link extends Import {
  to: string;
}

const describeLink = (l: Link) => `${l.from}:${l.line} → ${l.to}: ${l.names.join(", ")}`;

/**
 * runner/ and checks/ together: checks/support.ts re-exports a runner module, and a cycle
 * through checks/ is a cycle all the same.
 */
function readProject(): { files: string[]; runner: Module[]; links: Link[] } {
  const files = [...tsFiles("runner"), ...tsFiles("checks")];
  const known = new Set(files);
  const modules = files.map((file) => readImports(file, readFileSync(join(PROJECT_ROOT, file), "utf8")));
  const links = modules.flatMap((m) => m.imports.flatMap((i) => {
    const to = target(i.from, i.specifier, known);
    return to ? [{ ...i, to }] : [];
  }));
  return { files, runner: modules.filter((m) => m.file.startsWith("runner/")), links };
}

describe("runner structure", function () {
  let files: string[];
  let runner: Module[];
  let links: Link[];
  before(function () {
    ({ files, runner, links } = readProject());
  });

  it("reads static, type-only, re-exported and dynamic imports, measures functions and finds provider comparisons (a sample)", function () {
    const sample = readImports("runner/sample.ts", [
      'import a, { b, type C } from "./a.ts";',
      'import type { D } from "./d.ts";',
      'export { e } from "./e.ts";',
      'const { f } = await import("./f.ts");',
      'let g: import("./g.ts").G;',
      'const notAnImport = `import { h } from "./h.ts"`;',
      "export function long() {", ...Array.from({ length: 99 }, () => "  void 0;"), "}",
      'if (cluster.provider !== "k3s" || name === "kubeconfig") {}',
    ].join("\n"));
    expect(sample.imports.map((i) => `${i.specifier}:${i.line} ${i.names.join(",")}`)).to.deep.equal([
      "./a.ts:1 default as a,b,type C", "./d.ts:2 type D", "./e.ts:3 e", "./f.ts:4 f", "./g.ts:5 type G",
    ]);
    expect(longFunctions(sample, MAX_FUNCTION_LINES)).to.deep.equal(["runner/sample.ts:7 long: 101 lines"]);
    expect(providerComparisons(sample)).to.deep.equal([
      'runner/sample.ts:108: cluster.provider !== "k3s"',
      'runner/sample.ts:108: name === "kubeconfig"',
    ]);
  });

  it("has no import cycle", function () {
    const edges = new Map<string, string[]>();
    for (const l of links) edges.set(l.from, [...(edges.get(l.from) ?? []), l.to]);
    const found = cycles(files, edges).map((component) => {
      const inside = new Set(component);
      const ties = links.filter((l) => inside.has(l.from) && inside.has(l.to)).map((l) => `  ${describeLink(l)}`);
      return [`cycle of ${component.length}: ${component.join(", ")}`, ...ties].join("\n");
    });
    expectNone(found, "import cycles (type-only imports count):");
  });

  it("places every module of runner/ in a layer", function () {
    const unplaced = [...new Set(runner.map((m) => unitOf(m.file)).filter((u) => !layerIndex.has(u)))];
    expectNone(unplaced, "in no layer: add them to LAYERS in test/unit/structure.test.ts, at the layer their imports allow:");
  });

  it("imports only from its own layer or a lower one", function () {
    const upward = links
      .filter((l) => l.from.startsWith("runner/") && l.to.startsWith("runner/"))
      .flatMap((l) => {
        const [from, to] = [layerIndex.get(unitOf(l.from)), layerIndex.get(unitOf(l.to))];
        return from !== undefined && to !== undefined && to > from ? [`${describeLink(l)} (${LAYERS[from].layer} → ${LAYERS[to].layer})`] : [];
      });
    expectNone(upward, "imports from a lower layer to a higher one (LAYERS in test/unit/structure.test.ts):");
  });

  it(`takes from checks/ only ${CHECKS_API} (the checks themselves: ${CHECKS_LOADER} alone)`, function () {
    const found = links
      .filter((l) => l.from.startsWith("runner/") && l.to.startsWith("checks/") && l.to !== CHECKS_API && l.from !== CHECKS_LOADER)
      .map(describeLink);
    expectNone(found, "runner/ modules that reach into the check modules (a helper both need belongs in runner/, re-exported by checks/support.ts):");
  });

  it(`has no function longer than ${MAX_FUNCTION_LINES} lines`, function () {
    const found = runner.flatMap((m) => longFunctions(m, MAX_FUNCTION_LINES));
    expectNone(found, `functions over ${MAX_FUNCTION_LINES} lines:`);
  });

  it("compares a cluster provider's name only in runner/cluster/", function () {
    const found = runner.filter((m) => !m.file.startsWith(PROVIDER_HOME)).flatMap(providerComparisons);
    expectNone(found, `a provider's name compared outside ${PROVIDER_HOME} (ask the provider for a capability instead):`);
  });
});
