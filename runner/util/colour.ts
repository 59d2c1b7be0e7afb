/**
 * The one colour policy, for progress lines and the result table alike: NO_COLOR
 * (https://no-color.org) wins; then FORCE_COLOR; then TERM=dumb turns it off; otherwise a
 * real terminal, or a CI log (they render ANSI colour).
 */
export function colourEnabled(env: Readonly<Record<string, string | undefined>>, isTTY: boolean): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== "0" && env.FORCE_COLOR !== "false") return true;
  if (env.TERM === "dumb") return false;
  return isTTY || (env.CI !== undefined && env.CI !== "");
}
