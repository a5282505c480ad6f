import { parse } from 'csv-parse/sync';
import { AppError } from '../../../shared/errors';

/**
 * Reading a CSV export of another practice software: encoding (UTF-8 with or without BOM,
 * UTF-16 from Excel's « Texte Unicode », otherwise Windows-1252 as old software writes it),
 * delimiter (`;` as French Excel writes it, `,` or tab), then the records with their line numbers.
 */

export type CsvEncoding = 'utf-8' | 'utf-16le' | 'windows-1252';

/** Windows-1252 characters of 0x80–0x9F (Node's TextDecoder decodes that label as ISO-8859-1). */
const CP1252_HIGH =
  '\u20AC\u0081\u201A\u0192\u201E\u2026\u2020\u2021\u02C6\u2030\u0160\u2039\u0152\u008D\u017D\u008F' +
  '\u0090\u2018\u2019\u201C\u201D\u2022\u2013\u2014\u02DC\u2122\u0161\u203A\u0153\u009D\u017E\u0178';

export function decodeWindows1252(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    .toString('latin1')
    .replace(/[\u0080-\u009f]/g, (c) => CP1252_HIGH[c.charCodeAt(0) - 0x80]!);
}

export function decodeCsv(input: Buffer | string): { text: string; encoding: CsvEncoding } {
  if (typeof input === 'string') return { text: input.replace(/^\uFEFF/, ''), encoding: 'utf-8' };
  if (input.length >= 3 && input[0] === 0xef && input[1] === 0xbb && input[2] === 0xbf) {
    return { text: new TextDecoder('utf-8').decode(input.subarray(3)), encoding: 'utf-8' };
  }
  if (input.length >= 2 && input[0] === 0xff && input[1] === 0xfe) {
    return { text: new TextDecoder('utf-16le').decode(input.subarray(2)), encoding: 'utf-16le' };
  }
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(input), encoding: 'utf-8' };
  } catch {
    // Not UTF-8: an accented letter of Windows-1252 (é = 0xE9) is an invalid UTF-8 sequence.
    return { text: decodeWindows1252(input), encoding: 'windows-1252' };
  }
}

export type CsvDelimiter = ';' | ',' | '\t';

/** The delimiter appearing most often (outside quotes) on the header line; `;` when in doubt. */
export function detectDelimiter(text: string): CsvDelimiter {
  const counts = { ';': 0, ',': 0, '\t': 0 };
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"') quoted = !quoted;
    else if (!quoted && (c === '\n' || c === '\r')) break;
    else if (!quoted && (c === ';' || c === ',' || c === '\t')) counts[c]++;
  }
  let best: CsvDelimiter = ';';
  for (const d of [',', '\t'] as const) if (counts[d] > counts[best]) best = d;
  return best;
}

export interface CsvRecord {
  /** Line of the file where the record starts (the header is line 1). */
  line: number;
  values: string[];
}

/**
 * All records, header included. A malformed file (unclosed quote...) is refused as a whole.
 * Files without any double quote (most exports) are split directly — the same records csv-parse
 * gives for them, several times faster; any quote sends the whole file through csv-parse.
 */
export function readCsvRecords(text: string, delimiter: CsvDelimiter): CsvRecord[] {
  return text.includes('"') ? parseWithCsvParse(text, delimiter) : splitUnquoted(text, delimiter);
}

/** Lines ended by \n, \r\n or \r; empty lines skipped (as csv-parse's skip_empty_lines). */
export function splitUnquoted(text: string, delimiter: CsvDelimiter): CsvRecord[] {
  const out: CsvRecord[] = [];
  const lines = text.split(/\r\n|\n|\r/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line !== '') out.push({ line: i + 1, values: line.split(delimiter) });
  }
  return out;
}

export function parseWithCsvParse(text: string, delimiter: CsvDelimiter): CsvRecord[] {
  const out: CsvRecord[] = [];
  try {
    parse(text, {
      delimiter,
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
      on_record: (values: string[], context) => {
        // context.lines is the line where the record ends; quoted line breaks move its start up.
        let breaks = 0;
        for (const v of values) if (v.includes('\n')) breaks += v.split('\n').length - 1;
        out.push({ line: context.lines - breaks, values });
        return null;
      },
    });
  } catch (error) {
    const line = (error as { lines?: unknown }).lines;
    throw new AppError(
      'BAD_INPUT',
      `Fichier CSV illisible${typeof line === 'number' ? ` (vers la ligne ${line})` : ''} : guillemet non refermé ou structure incorrecte.`,
      { cause: (error as Error).message },
    );
  }
  return out;
}
