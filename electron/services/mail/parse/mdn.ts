import type { MdnInfo } from './types';

/**
 * Reads the body of a `message/disposition-notification` part (RFC 8098 §3.2): header-like
 * fields, possibly folded. MSSanté integration receipts carry `processed` or
 * `processed/Error: <code>^<label>` (domain.md §4).
 */
export function parseMdnReport(body: string): MdnInfo {
  const fields = new Map<string, string>();
  let last: string | undefined;
  for (const line of body.split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && last) {
      fields.set(last, `${fields.get(last)} ${line.trim()}`);
      continue;
    }
    const m = /^([A-Za-z0-9-]+)\s*:\s*(.*)$/.exec(line);
    if (!m) continue;
    last = m[1]!.toLowerCase();
    if (!fields.has(last)) fields.set(last, m[2]!.trim());
  }

  const out: MdnInfo = {};
  const original = fields.get('original-message-id');
  if (original) out.originalMessageId = original;
  const finalRecipient = fields.get('final-recipient');
  if (finalRecipient) out.finalRecipient = finalRecipient.replace(/^rfc822\s*;\s*/i, '');
  const disposition = fields.get('disposition');
  if (disposition) {
    out.disposition = disposition;
    const afterMode = disposition.includes(';') ? disposition.slice(disposition.indexOf(';') + 1).trim() : disposition;
    const slash = afterMode.indexOf('/');
    out.dispositionType = (slash < 0 ? afterMode : afterMode.slice(0, slash)).trim().toLowerCase();
    const modifier = slash < 0 ? '' : afterMode.slice(slash + 1).trim();
    const err = /^error\s*:?\s*(.*)$/i.exec(modifier);
    if (err) setError(out, err[1]!);
  }
  const errorField = fields.get('error');
  if (errorField && out.errorCode === undefined) setError(out, errorField);
  return out;
}

function setError(out: MdnInfo, value: string): void {
  const [code, ...label] = value.split('^');
  if (code?.trim()) out.errorCode = code.trim();
  if (label.join('^').trim()) out.errorLabel = label.join('^').trim();
}
