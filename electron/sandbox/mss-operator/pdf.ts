/**
 * Minimal one-page PDF writer for sandbox documents (Helvetica, WinAnsi text, A4): enough for a
 * readable compte rendu in any PDF viewer, with correct cross-reference offsets.
 */

export interface SimplePdfInput {
  title: string;
  /** Header lines under the title (sender, patient…). */
  subtitle?: string[];
  /** Body paragraphs; wrapped at ~95 characters. */
  paragraphs: string[];
  footer?: string;
}

const WINANSI_EXTRA: Record<string, number> = { '€': 0x80, '’': 0x27, '‘': 0x27, '“': 0x22, '”': 0x22, '–': 0x2d, '—': 0x2d, '…': 0x85, 'œ': 0x9c, 'Œ': 0x8c };

function winAnsi(text: string): Buffer {
  const bytes: number[] = [];
  for (const ch of text.normalize('NFC')) {
    const code = ch.codePointAt(0)!;
    if (WINANSI_EXTRA[ch] !== undefined) bytes.push(WINANSI_EXTRA[ch]!);
    else if (code < 256) bytes.push(code);
    else bytes.push(0x3f);
  }
  return Buffer.from(bytes);
}

function pdfText(text: string): string {
  return winAnsi(text).toString('latin1').replace(/[\\()]/g, (c) => `\\${c}`);
}

function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  for (const para of text.split('\n')) {
    let line = '';
    for (const word of para.split(/\s+/)) {
      if (!word) continue;
      if (line && line.length + 1 + word.length > width) {
        out.push(line);
        line = word;
      } else line = line ? `${line} ${word}` : word;
    }
    out.push(line);
  }
  return out;
}

export function simplePdf(input: SimplePdfInput): Buffer {
  const ops: string[] = ['BT'];
  let y = 790;
  const line = (font: 'F1' | 'F2', size: number, text: string, gap: number) => {
    ops.push(`/${font} ${size} Tf 1 0 0 1 56 ${y} Tm (${pdfText(text)}) Tj`);
    y -= gap;
  };
  for (const l of wrap(input.title, 60)) line('F2', 16, l, 22);
  y -= 4;
  for (const s of input.subtitle ?? []) line('F1', 10, s, 14);
  y -= 10;
  for (const p of input.paragraphs) {
    for (const l of wrap(p, 95)) {
      if (y < 70) break;
      line('F1', 10.5, l, 15);
    }
    y -= 7;
  }
  if (input.footer) {
    y = 40;
    line('F1', 8, input.footer, 10);
  }
  ops.push('ET');
  const content = Buffer.from(ops.join('\n'), 'latin1');

  const objects: Buffer[] = [
    Buffer.from('<< /Type /Catalog /Pages 2 0 R >>'),
    Buffer.from('<< /Type /Pages /Kids [3 0 R] /Count 1 >>'),
    Buffer.from('<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R /F2 5 0 R >> >> /Contents 6 0 R >>'),
    Buffer.from('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>'),
    Buffer.from('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>'),
    Buffer.concat([Buffer.from(`<< /Length ${content.length} >>\nstream\n`), content, Buffer.from('\nendstream')]),
    Buffer.concat([Buffer.from('<< /Title ('), winAnsi(input.title.replace(/[\\()]/g, '')), Buffer.from(') /Producer (LGC Segur - bac a sable) >>')]),
  ];
  const chunks: Buffer[] = [Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n', 'latin1')];
  let offset = chunks[0]!.length;
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(offset);
    const obj = Buffer.concat([Buffer.from(`${i + 1} 0 obj\n`), body, Buffer.from('\nendobj\n')]);
    chunks.push(obj);
    offset += obj.length;
  });
  const xref = [`xref\n0 ${objects.length + 1}\n`, '0000000000 65535 f \n', ...offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`)].join('');
  chunks.push(Buffer.from(xref));
  chunks.push(Buffer.from(`trailer\n<< /Size ${objects.length + 1} /Root 1 0 R /Info 7 0 R >>\nstartxref\n${offset}\n%%EOF\n`));
  return Buffer.concat(chunks);
}
