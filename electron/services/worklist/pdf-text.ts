/**
 * Text of the first pages of a received PDF, to find the patient's name and the document type of
 * a plain PDF. pdf.js without eval, fonts or scripting; any failure gives an empty text (the
 * document then goes to the worklist without that hint).
 */
export interface PdfTextOptions {
  maxPages?: number;
  maxChars?: number;
  timeoutMs?: number;
}

type PdfJs = typeof import('pdfjs-dist/legacy/build/pdf.mjs');
let pdfjs: Promise<PdfJs> | null = null;

export async function extractPdfText(pdf: Buffer, options: PdfTextOptions = {}): Promise<string> {
  const maxPages = options.maxPages ?? 2;
  const maxChars = options.maxChars ?? 20_000;
  const work = async () => {
    pdfjs ??= import('pdfjs-dist/legacy/build/pdf.mjs');
    const lib = await pdfjs;
    const doc = await lib.getDocument({
      data: new Uint8Array(pdf),
      isEvalSupported: false,
      disableFontFace: true,
      useSystemFonts: false,
      enableXfa: false,
      verbosity: 0,
    }).promise;
    try {
      let text = '';
      for (let i = 1; i <= Math.min(doc.numPages, maxPages) && text.length < maxChars; i++) {
        const content = await (await doc.getPage(i)).getTextContent();
        for (const item of content.items) if ('str' in item) text += item.str + (item.hasEOL ? '\n' : ' ');
        text += '\n';
      }
      return text.slice(0, maxChars);
    } finally {
      await doc.destroy();
    }
  };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(''), options.timeoutMs ?? 10_000);
  });
  try {
    return await Promise.race([work().catch(() => ''), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
