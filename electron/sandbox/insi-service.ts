import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { create } from 'xmlbuilder2';
import { silentLogger, type Logger } from '../services/log/logger';
import {
  BIRTH_DATE,
  BIRTHPLACE_CODE,
  INSI_OPERATIONS,
  INSI_RESULTAT_NS,
  SOAP12_NS,
  actionFromContentType,
  soapAction,
  soapContentType,
  type InsiOperation,
} from '../services/identity/insi/protocol';
import { parseSafeXml, pick, pickText } from '../services/identity/insi/safe-xml';
import {
  SANDBOX_INSI_IDENTITIES,
  SANDBOX_UNAVAILABLE_BIRTH_NAME,
  SANDBOX_VITALE_CARDS,
  type InsiSandboxIdentity,
  type VitaleCard,
} from './insi-identities';

/**
 * INSi stand-in: a real SOAP 1.2 endpoint on 127.0.0.1 answering the two search operations
 * from an in-memory list of identities and Vitale cards (docs/insi.md).
 */
export interface InsiStandInOptions {
  port?: number;
  identities?: InsiSandboxIdentity[];
  vitaleCards?: VitaleCard[];
  logger?: Logger;
}

export interface InsiStandIn {
  url: string;
  close(): Promise<void>;
  addIdentities(list: InsiSandboxIdentity[], cards?: VitaleCard[]): void;
}

const MAX_BODY_BYTES = 1_000_000;
const PATH = '/insi';

class SoapFault extends Error {
  constructor(
    readonly role: 'Sender' | 'Receiver',
    reason: string,
    readonly subcode?: string,
  ) {
    super(reason);
  }
}

const sender = (reason: string): SoapFault => new SoapFault('Sender', reason);

/** Accent-, case-, hyphen- and apostrophe-insensitive form used for matching. */
function fold(value: string): string {
  return value
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toUpperCase()
    .replace(/[-'’]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * The requested first names must start with the identity's first first name (which may be
 * composed, e.g. PIERRE-ALAIN) and be a word-prefix of its full first-name list.
 */
function givenNamesMatch(requested: string, identity: InsiSandboxIdentity): boolean {
  const asked = fold(requested).split(' ').filter(Boolean);
  const known = identity.birthGivenNames.flatMap((g) => fold(g).split(' ')).filter(Boolean);
  const firstLength = fold(identity.birthGivenNames[0] ?? '').split(' ').filter(Boolean).length;
  if (firstLength === 0 || asked.length < firstLength || asked.length > known.length) return false;
  return asked.every((word, i) => word === known[i]);
}

interface TraitsQuery {
  birthName: string;
  givenNames: string;
  sex: string;
  birthDate: string;
  birthplaceCode?: string;
}

function requireText(node: unknown, field: string, label: string): string {
  const value = pickText(node, field)?.trim();
  if (!value) throw sender(`Champ obligatoire absent : ${label} (${field}).`);
  return value;
}

function readTraitsQuery(rec: unknown): TraitsQuery {
  const query: TraitsQuery = {
    birthName: requireText(rec, 'NomNaissance', 'nom de naissance'),
    givenNames: requireText(rec, 'Prenom', 'prénom'),
    sex: requireText(rec, 'Sexe', 'sexe'),
    birthDate: requireText(rec, 'DateNaissance', 'date de naissance'),
  };
  const birthplace = pickText(rec, 'LieuNaissance')?.trim().toUpperCase();
  if (query.sex !== 'F' && query.sex !== 'M') throw sender('Valeur de sexe invalide (F ou M attendu).');
  if (!BIRTH_DATE.test(query.birthDate)) throw sender('Date de naissance invalide (AAAA-MM-JJ attendu).');
  if (birthplace) {
    if (!BIRTHPLACE_CODE.test(birthplace)) throw sender('Code du lieu de naissance invalide (5 caractères attendus).');
    query.birthplaceCode = birthplace;
  }
  return query;
}

type Outcome = { code: '00'; identity: InsiSandboxIdentity } | { code: '01' } | { code: '02' };

function fromMatches(matches: InsiSandboxIdentity[]): Outcome {
  if (matches.length === 1 && matches[0]) return { code: '00', identity: matches[0] };
  return matches.length === 0 ? { code: '01' } : { code: '02' };
}

function searchByTraits(q: TraitsQuery, identities: InsiSandboxIdentity[]): Outcome {
  if (fold(q.birthName) === SANDBOX_UNAVAILABLE_BIRTH_NAME) {
    throw new SoapFault('Receiver', 'Service INSi momentanément indisponible (branche SNGI), réessayez plus tard.', 'insi_102');
  }
  return fromMatches(
    identities.filter(
      (id) =>
        fold(id.birthName) === fold(q.birthName) &&
        givenNamesMatch(q.givenNames, id) &&
        id.birthDate === q.birthDate &&
        id.sex === q.sex &&
        (q.birthplaceCode === undefined || id.birthplaceCode === q.birthplaceCode),
    ),
  );
}

function searchByVitale(rec: unknown, identities: InsiSandboxIdentity[], cards: VitaleCard[]): Outcome {
  const nir = pickText(rec, 'MatriculeOD', 'NumIdentifiant')?.trim().toUpperCase();
  if (!nir) throw sender("Champ obligatoire absent : NIR de l'ouvrant droit (MatriculeOD/NumIdentifiant).");
  const birthDate = requireText(rec, 'DateNaissance', 'date de naissance');
  if (!BIRTH_DATE.test(birthDate)) throw sender('Date de naissance invalide (AAAA-MM-JJ attendu).');
  const rank = Number(pickText(rec, 'RangNaissance')?.trim() || '1');
  if (!Number.isInteger(rank) || rank < 1) throw sender('Rang de naissance invalide.');
  const card = cards.find((c) => c.nir.slice(0, 13) === nir.slice(0, 13));
  const beneficiary = card?.beneficiaries.find((b) => b.birthDate === birthDate && b.rank === rank);
  if (!beneficiary) return { code: '01' };
  return fromMatches(identities.filter((id) => id.matricule === beneficiary.matricule));
}

const LIBELLES: Record<Outcome['code'], string> = {
  '00': 'OK',
  '01': 'Aucune identite trouvee',
  '02': 'Plusieurs identites trouvees',
};

function resultEnvelope(outcome: Outcome): string {
  const doc = create({ version: '1.0', encoding: 'UTF-8' });
  const body = doc.ele(SOAP12_NS, 'soap:Envelope').ele(SOAP12_NS, 'soap:Body');
  const res = body.ele(INSI_RESULTAT_NS, 'RESULTAT');
  const cr = res.ele(INSI_RESULTAT_NS, 'CR');
  cr.ele(INSI_RESULTAT_NS, 'CodeCR').txt(outcome.code);
  cr.ele(INSI_RESULTAT_NS, 'LibelleCR').txt(LIBELLES[outcome.code]);
  if (outcome.code === '00') {
    const id = outcome.identity;
    const ind = res.ele(INSI_RESULTAT_NS, 'INDIVIDU');
    const actif = ind.ele(INSI_RESULTAT_NS, 'INSACTIF');
    const idIndividu = actif.ele(INSI_RESULTAT_NS, 'IdIndividu');
    idIndividu.ele(INSI_RESULTAT_NS, 'NumIdentifiant').txt(id.matricule.slice(0, 13));
    idIndividu.ele(INSI_RESULTAT_NS, 'Cle').txt(id.matricule.slice(13));
    actif.ele(INSI_RESULTAT_NS, 'OID').txt(id.oid);
    const tiq = ind.ele(INSI_RESULTAT_NS, 'TIQ');
    tiq.ele(INSI_RESULTAT_NS, 'NomNaissance').txt(id.birthName);
    tiq.ele(INSI_RESULTAT_NS, 'ListePrenom').txt(id.birthGivenNames.join(' '));
    tiq.ele(INSI_RESULTAT_NS, 'Sexe').txt(id.sex);
    tiq.ele(INSI_RESULTAT_NS, 'DateNaissance').txt(id.birthDate);
    tiq.ele(INSI_RESULTAT_NS, 'LieuNaissance').txt(id.birthplaceCode);
  }
  return doc.end({ prettyPrint: false });
}

function faultEnvelope(fault: SoapFault): string {
  const doc = create({ version: '1.0', encoding: 'UTF-8' });
  const f = doc.ele(SOAP12_NS, 'soap:Envelope').ele(SOAP12_NS, 'soap:Body').ele(SOAP12_NS, 'soap:Fault');
  const code = f.ele(SOAP12_NS, 'soap:Code');
  code.ele(SOAP12_NS, 'soap:Value').txt(`soap:${fault.role}`);
  if (fault.subcode) code.ele(SOAP12_NS, 'soap:Subcode').ele(SOAP12_NS, 'soap:Value').txt(fault.subcode);
  f.ele(SOAP12_NS, 'soap:Reason').ele(SOAP12_NS, 'soap:Text').att('xml:lang', 'fr').txt(fault.message);
  return doc.end({ prettyPrint: false });
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(sender('Message trop volumineux.'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function operationOf(body: unknown): InsiOperation {
  if (pick(body, INSI_OPERATIONS.traits.bodyElement) !== undefined) return 'traits';
  if (pick(body, INSI_OPERATIONS.vitale.bodyElement) !== undefined) return 'vitale';
  throw sender('Opération inconnue : RECSANSVITALE ou RECVITALE attendu dans le corps SOAP.');
}

export async function startInsiStandIn(options: InsiStandInOptions = {}): Promise<InsiStandIn> {
  const log = (options.logger ?? silentLogger).child('insi-standin');
  const identities: InsiSandboxIdentity[] = [...(options.identities ?? SANDBOX_INSI_IDENTITIES)];
  const cards: VitaleCard[] = [...(options.vitaleCards ?? SANDBOX_VITALE_CARDS)];

  async function answer(req: IncomingMessage): Promise<Outcome> {
    if (!/^application\/soap\+xml\b/i.test(req.headers['content-type'] ?? '')) {
      throw sender('Type de contenu non pris en charge : application/soap+xml (SOAP 1.2) attendu.');
    }
    const raw = await readBody(req);
    let tree: Record<string, unknown>;
    try {
      tree = parseSafeXml(raw);
    } catch {
      throw sender('Message XML mal formé ou refusé (les DOCTYPE et entités sont interdits).');
    }
    const body = pick(tree, 'Envelope', 'Body');
    if (body === undefined || typeof body !== 'object') throw sender('Enveloppe SOAP 1.2 invalide : Envelope/Body absent.');
    const op = operationOf(body);
    const action = actionFromContentType(req.headers['content-type']);
    if (action && action !== soapAction(op)) throw sender(`Action SOAP incohérente avec le corps du message (${action}).`);
    const header = pick(tree, 'Envelope', 'Header');
    if (!pickText(header, 'ContexteLPS', 'Emetteur') && !pickText(header, 'ContexteBAM', 'Emetteur')) {
      throw sender("En-tête incomplet : émetteur (ContexteLPS/Emetteur) absent.");
    }
    const rec = pick(body, INSI_OPERATIONS[op].bodyElement);
    const outcome = op === 'traits' ? searchByTraits(readTraitsQuery(rec), identities) : searchByVitale(rec, identities, cards);
    log.debug('INSi stand-in answer', { op, code: outcome.code });
    return outcome;
  }

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const reply = (status: number, xml: string) => {
      res.writeHead(status, { 'content-type': soapContentType() });
      res.end(xml);
    };
    if (new URL(req.url ?? '/', 'http://x').pathname !== PATH) {
      res.writeHead(404).end();
      return;
    }
    if (req.method !== 'POST') {
      res.writeHead(405, { allow: 'POST' }).end();
      return;
    }
    answer(req).then(
      (outcome) => reply(200, resultEnvelope(outcome)),
      (error: unknown) => {
        const fault = error instanceof SoapFault ? error : new SoapFault('Receiver', 'Erreur interne du service INSi de démonstration.');
        if (!(error instanceof SoapFault)) log.error('INSi stand-in failure', { error });
        // SOAP 1.2 HTTP binding: Sender faults are 400, Receiver faults 500.
        reply(fault.role === 'Sender' ? 400 : 500, faultEnvelope(fault));
      },
    );
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  log.info('INSi stand-in listening', { port });

  return {
    url: `http://127.0.0.1:${port}${PATH}`,
    addIdentities(list, moreCards = []) {
      identities.push(...list);
      cards.push(...moreCards);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
