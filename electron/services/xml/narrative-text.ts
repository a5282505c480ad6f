import { attr, childElements, firstChild, type XmlElement } from './tree';

/**
 * Plain-text rendering of a CDA narrative block (`section/text`): paragraphs and line breaks
 * become lines, lists become "- " (or "1. ") lines, tables are flattened row by row with cells
 * joined by " | ". Markup is never kept (no HTML reaches the screen); links keep only their text.
 */
export function narrativeToText(el: XmlElement | undefined): string {
  return el ? renderLines(el).join('\n') : '';
}

const MULTIMEDIA = '[contenu multimédia]';

class LineBuilder {
  private readonly lines: string[] = [];
  private buf = '';

  text(s: string): void {
    this.buf += s;
  }

  flush(): void {
    const t = collapse(this.buf);
    if (t) this.lines.push(t);
    this.buf = '';
  }

  push(line: string): void {
    this.flush();
    this.lines.push(line);
  }

  result(): string[] {
    this.flush();
    return this.lines;
  }
}

function collapse(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

function renderLines(el: XmlElement): string[] {
  const lb = new LineBuilder();
  walk(el, lb);
  return lb.result();
}

function walk(el: XmlElement, lb: LineBuilder): void {
  for (const c of el.children) {
    if (typeof c === 'string') {
      lb.text(c);
      continue;
    }
    switch (c.name) {
      case 'br':
        lb.flush();
        break;
      case 'paragraph':
      case 'caption':
        lb.flush();
        walk(c, lb);
        lb.flush();
        break;
      case 'list':
        lb.flush();
        for (const line of listLines(c)) lb.push(line);
        break;
      case 'table':
        lb.flush();
        for (const line of tableLines(c)) lb.push(line);
        break;
      case 'renderMultiMedia':
        lb.text(` ${MULTIMEDIA} `);
        break;
      case 'footnote':
        lb.text(' [');
        walk(c, lb);
        lb.text('] ');
        break;
      default:
        // content, linkHtml, sub, sup, footnoteRef and anything unknown: their text, inline.
        walk(c, lb);
    }
  }
}

function listLines(list: XmlElement): string[] {
  const out: string[] = [];
  const caption = firstChild(list, 'caption');
  if (caption) out.push(...renderLines(caption));
  const ordered = attr(list, 'listType') === 'ordered';
  let n = 0;
  for (const item of childElements(list, 'item')) {
    const lines = renderLines(item);
    if (!lines.length) continue;
    n++;
    const bullet = ordered ? `${n}. ` : '- ';
    const pad = ' '.repeat(bullet.length);
    lines.forEach((l, i) => out.push((i === 0 ? bullet : pad) + l));
  }
  return out;
}

function tableLines(table: XmlElement): string[] {
  const out: string[] = [];
  const caption = firstChild(table, 'caption');
  if (caption) out.push(...renderLines(caption));
  const rows: XmlElement[] = [];
  for (const c of childElements(table)) {
    if (c.name === 'tr') rows.push(c);
    else if (c.name === 'thead' || c.name === 'tbody' || c.name === 'tfoot') rows.push(...childElements(c, 'tr'));
  }
  for (const tr of rows) {
    const cells = childElements(tr).filter((c) => c.name === 'td' || c.name === 'th');
    const texts = cells.map((cell) => renderLines(cell).join(' '));
    if (texts.some((t) => t)) out.push(texts.join(' | ').trim());
  }
  return out;
}
