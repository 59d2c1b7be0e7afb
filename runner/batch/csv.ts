/**
 * The little CSV a roster and a gradebook need (RFC 4180): comma-separated fields, double
 * quotes around fields that hold commas, quotes or line breaks, `""` for a quote inside
 * one; CRLF or LF; a UTF-8 byte-order mark (spreadsheets write one) ignored. Hand-written
 * because it is this small and every error must carry the line a teacher can open.
 */
import { UsageError } from "../errors.ts";

export interface CsvRecord {
  /** The line the record starts on (1-based), for messages. */
  line: number;
  fields: string[];
}

/** Records in order; blank lines are skipped. Throws a UsageError naming file:line. */
export function parseCsv(text: string, file: string): CsvRecord[] {
  const source = text.startsWith("\uFEFF") ? text.slice(1) : text;
  const records: CsvRecord[] = [];
  let line = 1;
  let i = 0;
  while (i < source.length) {
    const start = line;
    const fields: string[] = [];
    let blank = true;
    // One record: fields until an unquoted line break or the end.
    for (;;) {
      let field = "";
      while (i < source.length && (source[i] === " " || source[i] === "\t")) i++;
      if (source[i] === '"') {
        blank = false;
        i++;
        for (;;) {
          if (i >= source.length) throw new UsageError(`${file}:${start}: a quoted field is never closed (a " is missing)`);
          const ch = source[i];
          if (ch === '"') {
            if (source[i + 1] === '"') {
              field += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (ch === "\n") line++;
          field += ch;
          i++;
        }
        while (i < source.length && (source[i] === " " || source[i] === "\t")) i++;
        if (i < source.length && source[i] !== "," && source[i] !== "\n" && source[i] !== "\r") {
          throw new UsageError(`${file}:${line}: unexpected text after a closing quote (write "" for a quote inside a quoted field)`);
        }
      } else {
        while (i < source.length && source[i] !== "," && source[i] !== "\n" && source[i] !== "\r") {
          if (source[i] === '"') throw new UsageError(`${file}:${line}: a quote inside an unquoted field (quote the whole field and write "" for the quote)`);
          field += source[i];
          i++;
        }
        field = field.trim();
        if (field !== "") blank = false;
      }
      fields.push(field);
      if (source[i] === ",") {
        blank = false;
        i++;
        continue;
      }
      break;
    }
    // End of record: CRLF, LF, a lone CR, or the end of the text.
    if (source[i] === "\r") i++;
    if (source[i] === "\n") i++;
    line++;
    if (!blank) records.push({ line: start, fields });
  }
  return records;
}

/** One field, quoted when it must be. */
export function csvField(value: string): string {
  return /[",\r\n]|^\s|\s$/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/**
 * A text field that a spreadsheet must show as text: one starting with = + - @ or a tab
 * would be run as a formula when the gradebook is opened (CSV injection), so it gets a
 * leading apostrophe, the usual neutraliser. The JSON gradebook keeps the raw value.
 */
export function csvText(value: string): string {
  return csvField(/^[=+\-@\t\r]/.test(value) ? `'${value}` : value);
}

export function csvLine(fields: readonly string[]): string {
  return `${fields.join(",")}\r\n`;
}
