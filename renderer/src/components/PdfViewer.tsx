import { useEffect, useRef, useState } from 'react';
import { getDocument, GlobalWorkerOptions, type PDFDocumentProxy } from 'pdfjs-dist';
import workerUrl from 'pdfjs-dist/build/pdf.worker.min.mjs?url';

GlobalWorkerOptions.workerSrc = workerUrl;

/**
 * Shows a PDF received in a document, page by page on canvases (pdf.js). Nothing in the file is
 * executed: no eval, no scripting sandbox, no XFA forms, no remote fonts or links followed.
 */
export function PdfViewer({ data, title }: { data: Uint8Array; title: string }) {
  const container = useRef<HTMLDivElement>(null);
  const [error, setError] = useState<string | null>(null);
  const [pages, setPages] = useState(0);

  useEffect(() => {
    let cancelled = false;
    let pdf: PDFDocumentProxy | null = null;
    const host = container.current!;
    host.replaceChildren();
    setError(null);
    (async () => {
      try {
        pdf = await getDocument({ data: data.slice(), isEvalSupported: false, enableXfa: false, disableFontFace: false, useSystemFonts: false, stopAtErrors: false }).promise;
        if (cancelled) return;
        setPages(pdf.numPages);
        for (let n = 1; n <= Math.min(pdf.numPages, 30); n++) {
          const page = await pdf.getPage(n);
          if (cancelled) return;
          const viewport = page.getViewport({ scale: 1.3 });
          const canvas = document.createElement('canvas');
          canvas.width = viewport.width;
          canvas.height = viewport.height;
          canvas.setAttribute('aria-label', `${title} — page ${n}`);
          host.appendChild(canvas);
          await page.render({ canvas, viewport }).promise;
        }
      } catch {
        if (!cancelled) setError('Ce PDF ne peut pas être affiché (fichier endommagé ou non pris en charge).');
      }
    })();
    return () => {
      cancelled = true;
      void pdf?.destroy();
    };
  }, [data, title]);

  return (
    <div className="pdf-viewer" data-testid="pdf-viewer">
      {error && <p className="error" role="alert">{error}</p>}
      {pages > 30 && <p className="hint">Les 30 premières pages sont affichées ({pages} au total).</p>}
      <div ref={container} className="pdf-pages" />
    </div>
  );
}
