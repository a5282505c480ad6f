import { readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import MailComposer from 'nodemailer/lib/mail-composer';
import { AppError } from '../../../shared/errors';
import { defaultDataDir } from '../../paths';
import { resolveDataDir } from '../data-dir';
import { createPatientService } from '../../services/identity/patients';
import { parseMssMessage, type ParsedMssMessage } from '../../services/mail/parse';
import { createAuditRepo } from '../../services/store/audit-repo';
import { openDatabase } from '../../services/store/db';
import { createPatientsRepo } from '../../services/store/patients-repo';
import { createBlobStore } from '../../services/worklist/blob-store';
import { recordImportedMessage } from '../../services/worklist/import';
import { createPatientLookup } from '../../services/worklist/lookup';
import { createWorklistService } from '../../services/worklist/worklist-service';

/**
 * `lgc ingest [--data-dir DIR] [--json] <file.eml|IHE_XDM.ZIP|file.pdf>...` — runs the reception
 * pipeline of the worklist on files: an .eml is parsed as a received message, a .zip is wrapped as
 * the IHE_XDM.ZIP of a message, a .pdf as a plain PDF attachment (its name as subject). Prints
 * one line per document (JSON with --json). Exit code 1 when a file could not be read.
 */

const USAGE = `Usage : lgc ingest [--data-dir DIR] [--json] <fichier.eml|IHE_XDM.ZIP|fichier.pdf>...
Intègre les fichiers dans la liste de travail des documents reçus (mêmes règles que la messagerie).
`;

type Kind = 'eml' | 'xdm' | 'pdf';

function kindOf(file: string, content: Buffer): Kind {
  if (/\.zip$/i.test(file) || content.subarray(0, 4).equals(Buffer.from([0x50, 0x4b, 0x03, 0x04]))) return 'xdm';
  if (/\.pdf$/i.test(file) || content.subarray(0, 5).toString('latin1') === '%PDF-') return 'pdf';
  return 'eml';
}

/** A local file presented as what a mailbox would receive. */
async function asMessage(kind: Kind, file: string, content: Buffer): Promise<Buffer> {
  if (kind === 'eml') return content;
  const name = basename(file);
  const composer = new MailComposer({
    from: 'import-fichiers@lgc.local',
    to: 'import-fichiers@lgc.local',
    subject: kind === 'xdm' ? `XDM/1.0/DDM+Import ${name}` : name.replace(/\.pdf$/i, '').replace(/[_]+/g, ' '),
    text: `Fichier importé : ${name}`,
    attachments: [
      kind === 'xdm'
        ? { filename: 'IHE_XDM.ZIP', content, contentType: 'application/zip' }
        : { filename: name, content, contentType: 'application/pdf' },
    ],
  });
  return composer.compile().build();
}

export async function ingestCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { 'data-dir': { type: 'string' }, json: { type: 'boolean', default: false }, help: { type: 'boolean', default: false } },
  });
  if (values.help || positionals.length === 0) {
    process.stdout.write(USAGE);
    return values.help ? 0 : 2;
  }
  const dataDir = await resolveDataDir(values['data-dir']);
  const json = values.json ?? false;
  const db = openDatabase({ file: join(dataDir, 'lgc.sqlite') });
  try {
    const patients = createPatientsRepo(db);
    const audit = createAuditRepo(db);
    const patientService = createPatientService({ patients, audit, transaction: (fn) => db.transaction(fn)() });
    const worklist = createWorklistService({
      db,
      patients,
      audit,
      blobs: createBlobStore(dataDir),
      lookup: createPatientLookup({ patients, index: patientService.index }),
    });
    let failures = 0;
    const print = (line: Record<string, unknown>, text: string) => process.stdout.write(json ? `${JSON.stringify(line)}\n` : `${text}\n`);

    for (const file of positionals) {
      const source = resolve(file);
      let parsed: ParsedMssMessage;
      let content: Buffer;
      try {
        content = readFileSync(source);
        parsed = await parseMssMessage(await asMessage(kindOf(source, content), source, content));
      } catch (e) {
        failures++;
        const message = e instanceof AppError ? e.message : `fichier illisible (${(e as Error).message})`;
        print({ file: source, error: message }, `${file} : erreur — ${message}`);
        continue;
      }
      const { id } = recordImportedMessage(db, {
        content,
        messageId: parsed.messageId ?? null,
        sender: parsed.from?.address ?? null,
        subject: parsed.subject,
        ...(parsed.date ? { receivedAt: parsed.date } : {}),
      });
      const items = await worklist.ingestParsedMessage({ id }, parsed);
      if (!items.length) {
        const errors = parsed.problems.map((p) => p.message);
        if (!parsed.isMdn) failures++;
        print({ file: source, documentId: null, decision: null, errors: errors.length ? errors : ['Aucun document dans ce fichier.'] }, `${file} : aucun document${errors.length ? ` (${errors.join(' ; ')})` : ''}`);
        continue;
      }
      for (const item of items) {
        const d = worklist.decision(item.id);
        const line = {
          file: source,
          itemId: item.id,
          documentId: d.documentId,
          decision: d.rule,
          status: item.status,
          patientId: item.patientId,
          candidates: d.candidates.map((c) => ({ patientId: c.patientId, score: c.score, matched: c.matched })),
          typeCode: item.typeCode,
          typeLabel: item.typeLabel,
          action: item.action,
          note: item.note,
          reasons: d.reasons,
          errors: [...parsed.problems, ...d.problems].map((p) => p.message),
        };
        const who = item.patientId !== null ? `patient ${item.patientId}` : d.candidates.length ? `candidats ${d.candidates.map((c) => `${c.patientId} (${Math.round(c.score * 100)} %)`).join(', ')}` : 'aucun patient';
        print(line, `${basename(file)} : ${item.typeLabel ?? 'type inconnu'} — ${d.rule} (${item.status}) — ${who}${item.action ? ` — action ${item.action}` : ''}`);
      }
    }
    return failures ? 1 : 0;
  } finally {
    db.close();
  }
}
