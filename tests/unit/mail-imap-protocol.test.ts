import { describe, expect, it } from 'vitest';
import { CommandReader, imapString, parseHeaders, parseImapDate, parseSequenceSet, tokenize, tokenText, type CommandPart, type Token } from '../../electron/sandbox/mss-operator/imap-protocol';
import { toCrlf } from '../../electron/sandbox/mss-operator/store';

function reader() {
  const commands: Token[][] = [];
  let continuations = 0;
  const overflows: string[] = [];
  const r = new CommandReader({
    command: (parts: CommandPart[]) => commands.push(tokenize(parts)),
    continuation: () => continuations++,
    overflow: (reason) => overflows.push(reason),
  }, { maxLine: 100, maxLiteral: 50 });
  return { r, commands, cont: () => continuations, overflows };
}

describe('sandbox IMAP wire format', () => {
  it('reads pipelined commands split across chunks', () => {
    const { r, commands } = reader();
    r.push(Buffer.from('A1 NOOP\r\nA2 SEL'));
    r.push(Buffer.from('ECT "INBOX"\r\n'));
    expect(commands.map((c) => c.map(tokenText))).toEqual([['A1', 'NOOP'], ['A2', 'SELECT', 'INBOX']]);
  });

  it('handles synchronising and non-synchronising literals', () => {
    const { r, commands, cont } = reader();
    r.push(Buffer.from('A3 LOGIN {5}\r\n'));
    expect(cont()).toBe(1);
    r.push(Buffer.from('alice {6+}\r\nse"cr)\r\n'));
    expect(cont()).toBe(1);
    expect(commands[0]!.map(tokenText)).toEqual(['A3', 'LOGIN', 'alice', 'se"cr)']);
  });

  it('keeps FETCH attributes with sections and partials as one token', () => {
    const t = tokenize([{ text: 'A4 UID FETCH 1:* (UID BODY.PEEK[HEADER.FIELDS (Message-ID From)]<0.1024> FLAGS)' }]);
    const list = t[4]!;
    expect(list.type).toBe('list');
    expect((list as { items: Token[] }).items.map(tokenText)).toEqual(['UID', 'BODY.PEEK[HEADER.FIELDS (Message-ID From)]<0.1024>', 'FLAGS']);
  });

  it('drops oversized lines and literals', () => {
    const { r, overflows } = reader();
    r.push(Buffer.from('A5 APPEND INBOX {51}\r\n'));
    r.push(Buffer.alloc(200, 65));
    expect(overflows.length).toBeGreaterThan(0);
  });

  it('evaluates sequence sets with *', () => {
    const p = parseSequenceSet('1:3,7,9:*', 12)!;
    expect([1, 2, 3, 4, 7, 8, 9, 12].map(p)).toEqual([true, true, true, false, true, false, true, true]);
    expect(parseSequenceSet('15:*', 12)!(12)).toBe(true); // n:* with n > max includes max (RFC 3501)
    expect(parseSequenceSet('a:b', 3)).toBeNull();
  });

  it('encodes strings as quoted or literal', () => {
    expect(imapString('Résultats').toString('latin1')).toMatch(/^\{10\}\r\n/);
    expect(imapString('a "b"').toString()).toBe('"a \\"b\\""');
    expect(imapString(null).toString()).toBe('NIL');
  });

  it('parses header blocks with folding, dates and bare LF sources', () => {
    const h = parseHeaders(Buffer.from('Subject: un\r\n deux\r\nFrom: a@b.fr\r\n\r\ncorps'));
    expect(h.fields.get('subject')).toEqual(['un deux']);
    expect(h.bodyOffset).toBe(h.block.length);
    expect(parseImapDate('02-Mar-2026 09:30:00 +0100')!.toISOString()).toBe('2026-03-02T08:30:00.000Z');
    expect(toCrlf(Buffer.from('a\nb\r\nc\n')).toString()).toBe('a\r\nb\r\nc\r\n');
  });
});
