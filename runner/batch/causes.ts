/**
 * Failure causes across a class: the same mistake gives the same feedback except for what
 * differs from student to student — their namespace, pod names and uids, IP addresses,
 * times and durations, the text their containers logged. normaliseFeedback() takes those
 * out, so that feedback can be grouped and counted ("31 students: pod web-<n>: container
 * nginx is CrashLoopBackOff …").
 */

/** What one student's report contributes to the class's failure causes. */
export interface StudentFeedback {
  /** Failed and error checks, with their feedback (skipped ones follow from these). */
  failures: { check: string; feedback: string[] }[];
  /** Why the submission was refused, one line a reason. */
  refusals: string[];
}

const RULES: [RegExp, string][] = [
  // Quoted text is the student's own: container logs, names they chose, values they wrote.
  [/"[^"\n]*"/g, '"…"'],
  [/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, "<uid>"],
  [/\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?/g, "<time>"],
  [/\b\d{1,2}:\d{2}:\d{2}(\.\d+)?\b/g, "<time>"],
  [/\b(\d{1,3}\.){3}\d{1,3}(\/\d{1,2})?(:\d+)?\b/g, "<ip>"],
  [/\b(?:[0-9a-f]{1,4}:){2,7}[0-9a-f]{0,4}\b|\b[0-9a-f]{1,4}::(?:[0-9a-f]{1,4})?\b/gi, "<ip>"],
  // A grading namespace (kg-<exercise>-<random>), also inside pod_namespace(uid) strings.
  [/(?<![a-z0-9-])kg-[a-z0-9-]+-[0-9a-f]{6}(?![a-z0-9-])/g, "<namespace>"],
  // Pod template hashes and other generated suffixes.
  [/\b([a-z0-9]+(?:-[a-z0-9]+)*)-[0-9a-f]{8,10}-[a-z0-9]{5}\b/g, "$1-<pod>"],
  [/\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{7,}\b/g, "<hash>"],
  // Durations and times of day ("0.4 s", "120 s", "10s", "250ms", "2 min").
  [/\b\d+(\.\d+)?\s?(ms|s|sec|seconds?|min|minutes?|h|hours?)\b/g, "<duration>"],
  // Ordinals of a StatefulSet's pods and claims: web-0 and web-2 are the same mistake.
  [/(?<![A-Za-z0-9-])([a-z][a-z0-9]*(?:-[a-z][a-z0-9]*)*)-\d+(?![0-9a-z])/g, "$1-<n>"],
];

/**
 * Feedback with what differs between students taken out: quoted text, uids, times, IP
 * addresses, grading namespaces, generated name suffixes, durations, pod ordinals; the
 * given names (the student's id, say) too. Whitespace collapsed.
 */
export function normaliseFeedback(text: string, names: readonly string[] = []): string {
  let out = text;
  for (const name of names) if (name) out = out.split(name).join("<name>");
  for (const [pattern, replacement] of RULES) out = out.replace(pattern, replacement);
  return out.replace(/\s+/g, " ").trim();
}

/** A cause: one check's normalised feedback (or a refusal), and who got it. */
export interface Cause {
  /** Stable within one page: c1, c2, … by frequency. */
  id: string;
  /** The check it came from, or "refused". */
  check: string;
  text: string;
  students: string[];
}

export const REFUSED = "refused";

/**
 * Causes across a class, most frequent first (then by check and text). A student counts once
 * per cause; a check's lines are one cause each.
 */
export function failureCauses(feedback: ReadonlyMap<string, StudentFeedback>): Cause[] {
  const byKey = new Map<string, { check: string; text: string; students: Set<string> }>();
  const add = (student: string, check: string, line: string) => {
    const text = normaliseFeedback(line, [student]);
    if (!text || /^Not run\b/.test(text)) return;
    const key = `${check}\u0000${text}`;
    const entry = byKey.get(key) ?? { check, text, students: new Set<string>() };
    entry.students.add(student);
    byKey.set(key, entry);
  };
  for (const [student, f] of feedback) {
    for (const failure of f.failures) for (const line of failure.feedback) add(student, failure.check, line);
    for (const line of f.refusals) add(student, REFUSED, line);
  }
  return [...byKey.values()]
    .sort((a, b) => b.students.size - a.students.size || (a.check < b.check ? -1 : a.check > b.check ? 1 : a.text < b.text ? -1 : a.text > b.text ? 1 : 0))
    .map((c, i) => ({ id: `c${i + 1}`, check: c.check, text: c.text, students: [...c.students].sort() }));
}
