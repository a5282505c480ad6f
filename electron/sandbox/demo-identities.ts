import { computeInsKey, INS_OIDS } from '../services/identity/ins';
import type { IdentityStatusValue, PatientFields, Sex } from '../services/store/patients-repo';

/**
 * Deterministic generator of realistic French identities for the training sandbox and the
 * benchmarks: accents, compound and hyphenated names, particles, married (used) names, birthplaces
 * in metropolitan France, Corsica and abroad, and INS matricules with a correct key (demo OID).
 */

export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const FAMILY_NAMES = [
  'MARTIN', 'BERNARD', 'THOMAS', 'PETIT', 'ROBERT', 'RICHARD', 'DURAND', 'DUBOIS', 'MOREAU', 'LAURENT', 'SIMON', 'MICHEL',
  'LEFÈVRE', 'LEFEBVRE', 'LEROY', 'ROUX', 'DAVID', 'BERTRAND', 'MOREL', 'FOURNIER', 'GIRARD', 'BONNET', 'DUPONT', 'LAMBERT',
  'FONTAINE', 'ROUSSEAU', 'VINCENT', 'MULLER', 'FAURE', 'ANDRÉ', 'MERCIER', 'BLANC', 'GUÉRIN', 'BOYER', 'GARNIER', 'CHEVALIER',
  'FRANÇOIS', 'LEGRAND', 'GAUTHIER', 'GARCIA', 'PERRIN', 'ROBIN', 'CLÉMENT', 'MORIN', 'NICOLAS', 'HENRY', 'ROUSSEL', 'MATHIEU',
  'GAUTIER', 'MASSON', 'MARCHAND', 'DUVAL', 'DENIS', 'DUMONT', 'MARIE', 'LEMAIRE', 'NOËL', 'MEYER', 'DUFOUR', 'MEUNIER',
  'BRUN', 'BLANCHARD', 'GIRAUD', 'JOLY', 'RIVIÈRE', 'LUCAS', 'BRUNET', 'GAILLARD', 'BARBIER', 'ARNAUD', 'MARTINEZ', 'GÉRARD',
  'ROCHE', 'RENARD', 'SCHMITT', 'ROY', 'LEROUX', 'COLIN', 'VIDAL', 'CARON', 'PICARD', 'ROGER', 'FABRE', 'AUBERT', 'LEMOINE',
  'RENAUD', 'DUMAS', 'LACROIX', 'OLIVIER', 'PHILIPPE', 'BOURGEOIS', 'PIERRE', 'BENOÎT', 'REY', 'LECLERC', 'PAYET', 'ROLLAND',
  'LE GOFF', 'LE GALL', "D'ALMEIDA", "N'DIAYE", 'DE LA FONTAINE', 'SAINT-MARTIN', 'MÉNARD-LEBLANC', 'DUPUIS-PÉRIER', 'LE BRIS',
  "DE L'ESTANG", 'VAN DER BERGHE', 'DA SILVA', 'NGUYEN', 'BENSAÏD', 'HADDAD', 'KOWALSKI', 'CASANOVA', 'SANTONI', 'PIETRI',
  'QUÉMÉNEUR', 'CHÂTELAIN', 'BOUCHÉ', 'JOURDAIN', 'PRÉVOST', 'HÉBERT', 'CÔTÉ', 'DESCHAMPS', 'LEBRETON', 'GRÉGOIRE',
];

export const FEMALE_GIVEN = [
  'Jeanne', 'Marie', 'Camille', 'Léa', 'Chloé', 'Manon', 'Inès', 'Zoé', 'Hélène', 'Françoise', 'Agnès', 'Anaïs', 'Maëlle',
  'Noémie', 'Élodie', 'Gaëlle', 'Bérénice', 'Anne-Sophie', 'Marie-Claire', 'Sophie', 'Isabelle', 'Nathalie', 'Sylvie',
  'Catherine', 'Christine', 'Émilie', 'Julie', 'Céline', 'Aurélie', 'Laetitia', 'Monique', 'Colette', 'Geneviève', 'Odile',
  'Louise', 'Alice', 'Lina', 'Rose', 'Ambre', 'Jade', 'Mélanie', 'Thérèse', 'Béatrice', 'Josiane', 'Ghislaine', 'Solène',
];

export const MALE_GIVEN = [
  'Jean', 'Pierre', 'Louis', 'Lucas', 'Hugo', 'Théo', 'Noé', 'Raphaël', 'Gaël', 'Loïc', 'François', 'Jérôme', 'Benoît',
  'Jean-Pierre', 'Jean-Luc', 'Hervé', 'Mathéo', 'Joël', 'Stéphane', 'Yannick', 'Philippe', 'Michel', 'Alain', 'Bernard',
  'Nicolas', 'Julien', 'Sébastien', 'Frédéric', 'Christophe', 'Thierry', 'Éric', 'Olivier', 'Gérard', 'René', 'André',
  'Antoine', 'Arthur', 'Gabriel', 'Léo', 'Jules', 'Maël', 'Timothée', 'Aurélien', 'Grégoire', 'Jean-Baptiste', 'Cédric',
];

/** COG codes: départements' chief towns, Corsica, and a few countries of birth (99xxx). */
export const BIRTHPLACES = [
  '75056', '69123', '13055', '31555', '33063', '59350', '63113', '44109', '67482', '35238', '06088', '34172', '76540',
  '38185', '21231', '37261', '29019', '87085', '64445', '2A004', '2B033', '97411', '99134', '99350', '99352', '99109',
];

const pick = <T>(rand: () => number, list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;

export interface DemoIdentityOptions {
  /** Share of identities with each status (rest: PROV). */
  shares?: { QUAL: number; RECUP: number; VALI: number };
  oid?: string;
}

/** NIR prefix (sex, year, month, place) for the traits: the order number makes it unique. */
function nirPrefix(sex: Sex, birthDate: string, birthplace: string): string {
  return `${sex === 'M' ? '1' : '2'}${birthDate.slice(2, 4)}${birthDate.slice(5, 7)}${birthplace.slice(0, 2)}${birthplace.slice(2, 5)}`;
}

export function demoInsFor(sex: Sex, birthDate: string, birthplace: string, order: number): string {
  const nir = `${nirPrefix(sex, birthDate, birthplace)}${String(order).padStart(3, '0')}`;
  return nir + computeInsKey(nir);
}

/** A reproducible stream of identities; INS matricules never repeat within one stream. */
export function createIdentityGenerator(seed: number, options: DemoIdentityOptions = {}) {
  const rand = seededRandom(seed);
  const orders = new Map<string, number>();
  return (): PatientFields => {
    for (;;) {
      const identity = generateIdentity(rand, options);
      if (!identity.insMatricule) return identity;
      const prefix = identity.insMatricule.slice(0, 10);
      const order = (orders.get(prefix) ?? 0) + 1;
      if (order > 999) continue; // that birth month and place is full: draw another identity
      orders.set(prefix, order);
      const matricule = demoInsFor(identity.sex, identity.birthDate, identity.birthplaceCode!, order);
      return { ...identity, insMatricule: matricule };
    }
  };
}

function generateIdentity(rand: () => number, options: DemoIdentityOptions): PatientFields {
  const shares = options.shares ?? { QUAL: 0.5, RECUP: 0.15, VALI: 0.1 };
  const sex: Sex = rand() < 0.52 ? 'F' : 'M';
  const year = 1928 + Math.floor(rand() * 97);
  const month = 1 + Math.floor(rand() * 12);
  const day = 1 + Math.floor(rand() * 28);
  const birthDate = `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
  const birthName = pick(rand, FAMILY_NAMES);
  const givenPool = sex === 'F' ? FEMALE_GIVEN : MALE_GIVEN;
  const count = rand() < 0.55 ? 1 : rand() < 0.8 ? 2 : 3;
  const given = new Set<string>();
  while (given.size < count) given.add(pick(rand, givenPool));
  const married = sex === 'F' && year < 2000 && rand() < 0.45;
  const usedName = married ? pick(rand, FAMILY_NAMES.filter((n) => n !== birthName)) : null;
  const birthplaceCode = pick(rand, BIRTHPLACES);
  const r = rand();
  const identityStatus: IdentityStatusValue =
    r < shares.QUAL ? 'QUAL' : r < shares.QUAL + shares.RECUP ? 'RECUP' : r < shares.QUAL + shares.RECUP + shares.VALI ? 'VALI' : 'PROV';
  const hasIns = identityStatus === 'QUAL' || identityStatus === 'RECUP';
  return {
    birthName,
    birthGivenNames: [...given],
    birthDate,
    sex,
    birthplaceCode,
    usedName,
    usedGivenName: null,
    insMatricule: hasIns ? nirPrefix(sex, birthDate, birthplaceCode) : null, // completed by the generator
    insOid: hasIns ? (options.oid ?? INS_OIDS.NIR_DEMO) : null,
    identityStatus,
    externalId: null,
  };
}
