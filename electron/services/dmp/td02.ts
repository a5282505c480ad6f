import { randomUUID } from 'node:crypto';
import { AppError } from '../../../shared/errors';
import { hl7ToXdsTime, parseHl7Time, xdsTime } from './hl7';
import type { DmpAccessStatus, InsRef } from './types';
import { attr, child, descendants, textOf, xmlEl, xmlText, type XElement } from './xml';

/**
 * TD0.2 — DMP existence and authorisation test: HL7v3 PRPA_IN201307UV02 with
 * controlActProcess/reasonCode TEST_EXST, answered by PRPA_IN201308UV02.
 * Request layout follows the DMP kit samples (reasonCode system 1.2.250.1.213.1.1.4.11,
 * receiver device 1.2.250.1.213.4.1.1.1); the answer layout is unconfirmed (see docs/dmp.md).
 */
export const TD02_ACTION = 'urn:hl7-org:v3:PRPA_IN201307UV02';
export const TD02_RESPONSE_ACTION = 'urn:hl7-org:v3:PRPA_IN201308UV02';
const NS = 'urn:hl7-org:v3';
const NS_XSI = 'http://www.w3.org/2001/XMLSchema-instance';
const INTERACTION_ROOT = '2.16.840.1.113883.1.6';
export const DMP_DEVICE_OID = '1.2.250.1.213.4.1.1.1';
const REASON_SYSTEM = '1.2.250.1.213.1.1.4.11';
/** Observation codes in the answer (unconfirmed names). */
export const OBS_MES = 'COMPTE_INTERNET_OUVERT';
export const OBS_LAST_DOCUMENT = 'DATE_DERNIER_DOCUMENT';
export const KEYWORD_AUTHORISATION = 'AUTORISATION';

export interface TestExistenceResult {
  status: DmpAccessStatus;
  mesActivated: boolean;
  /** ISO 8601 time of the most recent document, when the DMP gives it. */
  lastDocumentDate?: string;
}

function device(typeCode: 'SND' | 'RCV', root: string, name: string): string {
  return xmlEl(typeCode === 'SND' ? 'sender' : 'receiver', { typeCode }, xmlEl('device', { classCode: 'DEV', determinerCode: 'INSTANCE' }, xmlEl('id', { root }), xmlText('softwareName', {}, name)));
}

function header(interaction: string, senderOid: string, now: Date): string {
  return (
    xmlEl('id', { root: senderOid, extension: randomUUID() }) +
    xmlEl('creationTime', { value: xdsTime(now) }) +
    xmlEl('interactionId', { root: INTERACTION_ROOT, extension: interaction }) +
    xmlEl('processingCode', { code: 'P' }) +
    xmlEl('processingModeCode', { code: 'T' }) +
    xmlEl('acceptAckCode', { code: interaction === 'PRPA_IN201307UV02' ? 'AL' : 'NE' })
  );
}

export function buildTd02Request(ins: InsRef, opts: { senderOid: string; softwareName: string; now?: Date }): string {
  const now = opts.now ?? new Date();
  return xmlEl(
    'PRPA_IN201307UV02',
    { xmlns: NS, ITSVersion: 'XML_1.0' },
    header('PRPA_IN201307UV02', opts.senderOid, now),
    device('RCV', DMP_DEVICE_OID, 'DMP'),
    device('SND', opts.senderOid, opts.softwareName),
    xmlEl(
      'controlActProcess',
      { classCode: 'CACT', moodCode: 'EVN' },
      xmlEl('code', { code: 'PRPA_TE201307UV02', codeSystem: INTERACTION_ROOT }),
      xmlEl('reasonCode', { code: 'TEST_EXST', codeSystem: REASON_SYSTEM, displayName: "Test d'existence de dossier" }),
      xmlEl(
        'queryByParameter',
        {},
        xmlEl('queryId', { root: opts.senderOid, extension: randomUUID() }),
        xmlEl('statusCode', { code: 'new' }),
        xmlEl('responsePriorityCode', { code: 'I' }),
        xmlEl('parameterList', {}, xmlEl('patientIdentifier', {}, xmlEl('value', { root: ins.oid, extension: ins.matricule }), xmlText('semanticsText', {}, 'Patient.id'))),
      ),
    ),
  );
}

export interface Td02Request {
  ins: InsRef;
  reasonCode: string;
  queryId?: { root: string; extension?: string };
  messageId?: { root: string; extension?: string };
  senderOid?: string;
}

export function parseTd02Request(el: XElement): Td02Request {
  if (el.local !== 'PRPA_IN201307UV02' || el.ns !== NS) throw new AppError('BAD_INPUT', 'Requête TD0.2 attendue (PRPA_IN201307UV02).');
  const value = descendants(el, 'patientIdentifier', NS).map((p) => child(p, 'value', NS))[0];
  const matricule = attr(value, 'extension');
  const oid = attr(value, 'root');
  if (!matricule || !oid) throw new AppError('BAD_INPUT', 'Requête TD0.2 sans identifiant patient.');
  const q = descendants(el, 'queryId', NS)[0];
  const id = child(el, 'id', NS);
  return {
    ins: { matricule, oid },
    reasonCode: attr(descendants(el, 'reasonCode', NS)[0], 'code') ?? '',
    queryId: q ? { root: attr(q, 'root') ?? '', extension: attr(q, 'extension') } : undefined,
    messageId: id ? { root: attr(id, 'root') ?? '', extension: attr(id, 'extension') } : undefined,
    senderOid: attr(descendants(child(el, 'sender', NS) ?? el, 'id', NS)[0], 'root'),
  };
}

/** Answer of the registry (sandbox side). */
export function buildTd02Response(req: Td02Request, result: TestExistenceResult, now: Date = new Date()): string {
  const exists = result.status !== 'NON_EXISTE';
  const observations = exists
    ? [
        xmlEl('subjectOf1', { typeCode: 'SBJ' }, xmlEl('administrativeObservation', { classCode: 'OBS', moodCode: 'EVN' }, xmlEl('code', { code: OBS_MES }), xmlEl('value', { 'xsi:type': 'BL', value: String(result.mesActivated) }))),
        result.lastDocumentDate
          ? xmlEl('subjectOf1', { typeCode: 'SBJ' }, xmlEl('administrativeObservation', { classCode: 'OBS', moodCode: 'EVN' }, xmlEl('code', { code: OBS_LAST_DOCUMENT }), xmlEl('value', { 'xsi:type': 'TS', value: xdsTime(new Date(result.lastDocumentDate)) })))
          : '',
      ]
    : [];
  const subject = exists
    ? xmlEl(
        'subject',
        { typeCode: 'SUBJ' },
        xmlEl(
          'registrationEvent',
          { classCode: 'REG', moodCode: 'EVN' },
          xmlEl('statusCode', { code: 'active' }),
          xmlEl('subject1', { typeCode: 'SBJ' }, xmlEl('patient', { classCode: 'PAT' }, xmlEl('id', { root: req.ins.oid, extension: req.ins.matricule }), xmlEl('statusCode', { code: 'active' }), ...observations)),
          xmlEl('custodian', { typeCode: 'CST' }, xmlEl('assignedEntity', { classCode: 'ASSIGNED' }, xmlEl('id', { root: DMP_DEVICE_OID }))),
        ),
      )
    : '';
  return xmlEl(
    'PRPA_IN201308UV02',
    { xmlns: NS, 'xmlns:xsi': NS_XSI, ITSVersion: 'XML_1.0' },
    header('PRPA_IN201308UV02', DMP_DEVICE_OID, now),
    device('RCV', req.senderOid ?? '0', 'LPS'),
    device('SND', DMP_DEVICE_OID, 'DMP'),
    exists ? xmlEl('attentionLine', {}, xmlEl('keyWordText', { code: KEYWORD_AUTHORISATION }), xmlEl('value', { 'xsi:type': 'CS', code: result.status })) : '',
    xmlEl('acknowledgement', { typeCode: 'AA' }, req.messageId ? xmlEl('targetMessage', {}, xmlEl('id', { root: req.messageId.root, extension: req.messageId.extension })) : ''),
    xmlEl(
      'controlActProcess',
      { classCode: 'CACT', moodCode: 'EVN' },
      xmlEl('code', { code: 'PRPA_TE201308UV02', codeSystem: INTERACTION_ROOT }),
      subject,
      xmlEl('queryAck', {}, req.queryId ? xmlEl('queryId', { root: req.queryId.root, extension: req.queryId.extension }) : '', xmlEl('queryResponseCode', { code: exists ? 'OK' : 'NF' })),
    ),
  );
}

const STATUSES: DmpAccessStatus[] = ['VALIDE', 'EXPIRE', 'INTERDIT', 'NON_EXISTE'];

export function parseTd02Response(el: XElement): TestExistenceResult {
  if (el.local !== 'PRPA_IN201308UV02' || el.ns !== NS) throw new AppError('REMOTE_SERVICE', 'Réponse TD0.2 inattendue du DMP.');
  const ack = child(el, 'acknowledgement', NS);
  const ackType = attr(ack, 'typeCode') ?? '';
  if (ackType && ackType !== 'AA' && ackType !== 'CA') {
    const text = textOf(descendants(ack!, 'text', NS)[0]).trim();
    throw new AppError('REMOTE_SERVICE', `Le DMP a refusé le test d’existence${text ? ` : ${text}` : '.'}`, { ackType });
  }
  const responseCode = attr(descendants(el, 'queryResponseCode', NS)[0], 'code') ?? '';
  if (responseCode === 'NF') return { status: 'NON_EXISTE', mesActivated: false };
  if (responseCode && responseCode !== 'OK') throw new AppError('REMOTE_SERVICE', `Réponse TD0.2 du DMP non exploitable (${responseCode}).`);
  const line = descendants(el, 'attentionLine', NS).find((l) => attr(child(l, 'keyWordText', NS), 'code') === KEYWORD_AUTHORISATION);
  const value = child(line, 'value', NS);
  const status = (attr(value, 'code') ?? attr(value, 'value') ?? '') as DmpAccessStatus;
  if (!STATUSES.includes(status)) throw new AppError('REMOTE_SERVICE', 'Réponse TD0.2 du DMP sans statut d’autorisation.');
  const obs = (code: string) =>
    attr(child(descendants(el, 'administrativeObservation', NS).find((o) => attr(child(o, 'code', NS), 'code') === code), 'value', NS), 'value');
  const last = obs(OBS_LAST_DOCUMENT);
  const lastDate = last ? parseHl7Time(last) : undefined;
  return {
    status,
    mesActivated: obs(OBS_MES) === 'true',
    ...(lastDate && hl7ToXdsTime(last!) ? { lastDocumentDate: lastDate.toISOString() } : {}),
  };
}
