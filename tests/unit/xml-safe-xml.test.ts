import { describe, expect, it } from 'vitest';
import { AppError } from '../../shared/errors';
import { hl7Date, hl7TimeToIso } from '../../electron/services/xml/hl7-time';
import {
  decodeXmlEntities,
  decodeXmlInput,
  parseXmlSafe,
  parseXmlTree,
  xmlAll,
  xmlAttr,
  xmlGet,
  xmlText,
} from '../../electron/services/xml/safe-xml';
import { attr, cleanText, findAll, firstChild, path, pathAll, textContent } from '../../electron/services/xml/tree';

function badInput(fn: () => unknown): AppError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    expect((e as AppError).code).toBe('BAD_INPUT');
    return e as AppError;
  }
  throw new Error('expected a BAD_INPUT error');
}

describe('parseXmlTree / parseXmlSafe: hostile input', () => {
  it('refuses an external entity (XXE) without reading anything', () => {
    const xxe = '<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>';
    const err = badInput(() => parseXmlTree(xxe));
    expect(err.message).toMatch(/DOCTYPE/);
  });

  it('refuses the billion laughs without expanding', () => {
    const lol = [
      '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">',
      ...Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i || ''};`.repeat(10)}">`),
      ']><lolz>&lol9;</lolz>',
    ].join('');
    const t0 = Date.now();
    badInput(() => parseXmlSafe(lol));
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it('refuses an ENTITY declaration even without DOCTYPE, in any case', () => {
    expect(badInput(() => parseXmlTree('<a><!entity x "y"></a>')).message).toMatch(/ENTITY/);
    badInput(() => parseXmlTree('<!doctype html><a/>'));
  });

  it('leaves unknown named entities literal and decodes only the predefined ones and numeric references', () => {
    const root = parseXmlTree('<a v="&amp;1.2&amp;ISO &#233;">x &lt;y&gt; &eacute; &#x41;&#65; &amp;amp;</a>');
    expect(attr(root, 'v')).toBe('&1.2&ISO é');
    expect(textContent(root)).toBe('x <y> &eacute; AA &amp;');
    expect(decodeXmlEntities('&#0; &#xD800; &quot;&apos;')).toBe('&#0; &#xD800; "\'');
  });

  it('keeps CDATA as raw text', () => {
    expect(textContent(parseXmlTree('<a>x<![CDATA[ &amp; <b> ]]>z</a>'))).toBe('x &amp; <b> z');
  });

  it('caps the input size', () => {
    expect(badInput(() => parseXmlTree(`<a>${'x'.repeat(2000)}</a>`, { maxBytes: 1000 })).message).toMatch(/trop volumineux/);
    badInput(() => parseXmlTree(Buffer.alloc(2000, 0x20), { maxBytes: 1000 }));
  });

  it('caps the nesting depth', () => {
    const deep = '<a>'.repeat(300) + '</a>'.repeat(300);
    badInput(() => parseXmlTree(deep));
    expect(parseXmlTree(deep, { maxDepth: 400 }).name).toBe('a');
  });

  it('refuses malformed XML and empty input', () => {
    expect(badInput(() => parseXmlTree('<a><b></a>')).message).toMatch(/mal formé/);
    badInput(() => parseXmlTree(''));
    badInput(() => parseXmlTree('not xml at all'));
  });

  it('cannot pollute Object.prototype through names', () => {
    badInput(() => parseXmlSafe('<__proto__><polluted>yes</polluted></__proto__>'));
    badInput(() => parseXmlSafe('<a __proto__="x"><b>1</b></a>'));
    badInput(() => parseXmlTree('<a><constructor>1</constructor></a>'));
    const obj = parseXmlSafe('<a toString="1"><hasOwnProperty>2</hasOwnProperty></a>');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(typeof Object.prototype.hasOwnProperty).toBe('function');
    expect(xmlGet(obj, 'a')).toBeDefined();
  });
});

describe('decodeXmlInput', () => {
  it('strips a UTF-8 BOM and honours a latin-1 declaration', () => {
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('<a>é</a>')]);
    expect(decodeXmlInput(bom)).toBe('<a>é</a>');
    const latin1 = Buffer.from('<?xml version="1.0" encoding="ISO-8859-1"?><a>\xe9</a>', 'latin1');
    expect(cleanText(parseXmlTree(latin1))).toBe('é');
  });

  it('refuses an unknown encoding', () => {
    badInput(() => decodeXmlInput(Buffer.from('<?xml version="1.0" encoding="x-klingon"?><a/>')));
  });
});

describe('namespaces and tree helpers', () => {
  const xml = `<ns5:Root xmlns:ns5="urn:a" xmlns="urn:b" xmlns:ns2="urn:c">
    <ns2:Item id="1"><ns2:Name>un</ns2:Name></ns2:Item>
    <Item id="2"><Name>deux</Name></Item>
    <Other xml:lang="fr">texte <b>gras</b> fin</Other>
  </ns5:Root>`;

  it('strips prefixes by default so elements are read by local name', () => {
    const root = parseXmlTree(xml);
    expect(root.name).toBe('Root');
    expect(pathAll(root, 'Item', 'Name').map((n) => cleanText(n))).toEqual(['un', 'deux']);
    expect(attr(path(root, 'Other'), 'lang')).toBe('fr');
    expect(Object.keys(root.attrs)).toEqual([]); // xmlns declarations are not attributes
    expect(findAll(root, 'Name')).toHaveLength(2);
    expect(cleanText(firstChild(root, 'Other'))).toBe('texte gras fin');
  });

  it('can keep prefixes', () => {
    expect(parseXmlTree(xml, { keepNsPrefix: true }).name).toBe('ns5:Root');
  });

  it('object form with array-safe path helpers', () => {
    const obj = parseXmlSafe(xml);
    expect(xmlAll(obj, 'Root', 'Item').map((i) => xmlAttr(i, 'id'))).toEqual(['1', '2']);
    expect(xmlText(xmlGet(obj, 'Root', 'Item', 'Name'))).toBe('un');
    expect(xmlAll(obj, 'Root', 'Item', 'Name').map(xmlText)).toEqual(['un', 'deux']);
    expect(xmlText(xmlGet(obj, 'Root', 'Other'))).toBe('texte  fin');
    expect(xmlGet(obj, 'Root', 'Missing', 'Deeper')).toBeUndefined();
    expect(xmlAll(obj, 'Root', 'Missing')).toEqual([]);
    // numbers are never converted: identifiers keep their leading zeros
    expect(xmlText(xmlGet(parseXmlSafe('<a><n>0123</n></a>'), 'a', 'n'))).toBe('0123');
  });
});

describe('HL7 time stamps', () => {
  it('converts with precision and zone kept', () => {
    expect(hl7TimeToIso('19790328')).toBe('1979-03-28');
    expect(hl7TimeToIso('20210401134745+0100')).toBe('2021-04-01T13:47:45+01:00');
    expect(hl7TimeToIso('202101040735+0100')).toBe('2021-01-04T07:35+01:00');
    expect(hl7TimeToIso('20200312101700', { assumeUtc: true })).toBe('2020-03-12T10:17:00Z');
    expect(hl7TimeToIso('20200312101700.123-0500')).toBe('2020-03-12T10:17:00.123-05:00');
    expect(hl7TimeToIso('2020')).toBe('2020');
    expect(hl7TimeToIso('20201399')).toBeUndefined();
    expect(hl7TimeToIso('hier')).toBeUndefined();
    expect(hl7Date('20210401134745+0100')).toBe('2021-04-01');
    expect(hl7Date('202104')).toBeUndefined();
  });
});
