import { create } from 'xmlbuilder2';
import type { XMLBuilder } from 'xmlbuilder2/lib/interfaces';
import {
  CTX_BAM_NS,
  CTX_LPS_NS,
  INSI_OPERATIONS,
  INSI_REC_SANS_NS,
  INSI_REC_VIT_NS,
  SOAP12_NS,
  WSA_NS,
  soapAction,
  type InsiOperation,
} from './protocol';

/** Header data common to both operations. */
export interface RequestHeader {
  messageId: string;
  professionalId: string;
  softwareId: string;
  softwareInstance: string;
  now: Date;
}

export interface TraitsBody {
  birthName: string;
  givenNames: string[];
  birthDate: string;
  sex: 'F' | 'M';
  birthplaceCode?: string;
}

export interface VitaleBody {
  nir13: string;
  birthDate: string;
  rank: number;
}

function envelope(op: InsiOperation, h: RequestHeader, fillBody: (body: XMLBuilder) => void): string {
  const doc = create({ version: '1.0', encoding: 'UTF-8' });
  const env = doc.ele(SOAP12_NS, 'soap:Envelope');
  const header = env.ele(SOAP12_NS, 'soap:Header');
  header.ele(WSA_NS, 'wsa:MessageID').txt(`uuid:${h.messageId}`);
  header.ele(WSA_NS, 'wsa:Action').txt(soapAction(op));
  const temps = h.now.toISOString();
  // ContexteBAM / ContexteLPS: CNAM "SIRAM" context headers (docs/insi.md, unconfirmed).
  const bam = header.ele(CTX_BAM_NS, 'ctxbam:ContexteBAM').att('Version', '01_02');
  bam.ele(CTX_BAM_NS, 'ctxbam:Id').txt(h.messageId);
  bam.ele(CTX_BAM_NS, 'ctxbam:Temps').txt(temps);
  bam.ele(CTX_BAM_NS, 'ctxbam:Emetteur').txt(h.professionalId);
  bam.ele(CTX_BAM_NS, 'ctxbam:COUVERTURE');
  const lps = header.ele(CTX_LPS_NS, 'ctxlps:ContexteLPS').att('Nature', 'CTXLPS').att('Version', '01_00');
  lps.ele(CTX_LPS_NS, 'ctxlps:Id').txt(h.messageId);
  lps.ele(CTX_LPS_NS, 'ctxlps:Temps').txt(temps);
  lps.ele(CTX_LPS_NS, 'ctxlps:Emetteur').txt(h.professionalId);
  const soft = lps.ele(CTX_LPS_NS, 'ctxlps:LPS');
  soft.ele(CTX_LPS_NS, 'ctxlps:IDAM').att('R', '4').txt(h.softwareId);
  soft.ele(CTX_LPS_NS, 'ctxlps:Version').txt('1');
  soft.ele(CTX_LPS_NS, 'ctxlps:Instance').txt(h.softwareInstance);
  soft.ele(CTX_LPS_NS, 'ctxlps:Nom').txt(`urn:lps:${h.softwareId}`);
  fillBody(env.ele(SOAP12_NS, 'soap:Body'));
  return doc.end({ prettyPrint: false });
}

export function buildTraitsRequest(h: RequestHeader, b: TraitsBody): string {
  return envelope('traits', h, (body) => {
    const rec = body.ele(INSI_REC_SANS_NS, `ins:${INSI_OPERATIONS.traits.bodyElement}`);
    rec.ele(INSI_REC_SANS_NS, 'ins:NomNaissance').txt(b.birthName);
    // INSi takes the birth first names as one space-separated list (ListePrenom style).
    rec.ele(INSI_REC_SANS_NS, 'ins:Prenom').txt(b.givenNames.join(' '));
    rec.ele(INSI_REC_SANS_NS, 'ins:Sexe').txt(b.sex);
    rec.ele(INSI_REC_SANS_NS, 'ins:DateNaissance').txt(b.birthDate);
    if (b.birthplaceCode) rec.ele(INSI_REC_SANS_NS, 'ins:LieuNaissance').txt(b.birthplaceCode);
  });
}

export function buildVitaleRequest(h: RequestHeader, b: VitaleBody): string {
  return envelope('vitale', h, (body) => {
    const rec = body.ele(INSI_REC_VIT_NS, `ins:${INSI_OPERATIONS.vitale.bodyElement}`);
    rec.ele(INSI_REC_VIT_NS, 'ins:MatriculeOD').ele(INSI_REC_VIT_NS, 'ins:NumIdentifiant').txt(b.nir13);
    rec.ele(INSI_REC_VIT_NS, 'ins:DateNaissance').txt(b.birthDate);
    rec.ele(INSI_REC_VIT_NS, 'ins:RangNaissance').txt(String(b.rank));
  });
}
