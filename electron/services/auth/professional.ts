import { z } from 'zod';
import { AppError } from '../../../shared/errors';

/** The logged-in professional as the application sees it, from PSC userinfo. */
export interface Professional {
  /** `SubjectNameID`: `8` + RPPS for RPPS professionals, other national id types otherwise. */
  nationalId: string;
  rpps?: string;
  familyName: string;
  givenName: string;
  professionCode?: string;
  savoirFaire?: string;
  activities: { structureId?: string; name?: string; sectorCode?: string }[];
  role: 'doctor' | 'secretary';
  mssanteAddress?: string;
}

/** `codeProfession` of a médecin (TRE_G15-ProfessionSante). */
export const DOCTOR_PROFESSION_CODE = '10';

const optionalText = z.string().optional().catch(undefined);

const activitySchema = z.looseObject({
  raisonSocialeSite: optionalText,
  identifiantStructure: optionalText,
  codeSecteurDactivite: optionalText,
});

const exerciceSchema = z.looseObject({
  codeProfession: optionalText,
  codeSavoirFaire: optionalText,
  activities: z.array(activitySchema).optional().catch(undefined),
});

const userinfoSchema = z.looseObject({
  SubjectNameID: z.string().min(1),
  given_name: optionalText,
  family_name: optionalText,
  email: optionalText,
  SubjectRefPro: z
    .looseObject({ exercices: z.array(exerciceSchema).optional().catch(undefined) })
    .optional()
    .catch(undefined),
});

const RPPS_NATIONAL_ID = /^8(\d{11})$/;

function nonEmpty(value: string | undefined): string | undefined {
  return value && value.trim() ? value.trim() : undefined;
}

/**
 * Maps PSC userinfo to a Professional. Role: doctor when one of the exercices has
 * `codeProfession` 10, secretary otherwise. The MSSanté address is not a documented PSC claim:
 * it comes from `options.mssanteAddress` (directory lookup) or an `email` ending in `.mssante.fr`.
 */
export function toProfessional(userinfo: unknown, options: { mssanteAddress?: string } = {}): Professional {
  const parsed = userinfoSchema.safeParse(userinfo);
  if (!parsed.success) {
    throw new AppError('REMOTE_SERVICE', 'Pro Santé Connect n\'a pas transmis l\'identifiant national du professionnel.');
  }
  const info = parsed.data;
  const exercices = info.SubjectRefPro?.exercices ?? [];
  const doctorExercice = exercices.find((e) => e.codeProfession === DOCTOR_PROFESSION_CODE);
  const main = doctorExercice ?? exercices[0];
  const rpps = RPPS_NATIONAL_ID.exec(info.SubjectNameID)?.[1];
  const emailAddress = info.email && /@([a-z0-9-]+\.)*mssante\.fr$/i.test(info.email) ? info.email : undefined;
  const mssanteAddress = options.mssanteAddress ?? emailAddress;
  const professionCode = nonEmpty(main?.codeProfession);
  const savoirFaire = nonEmpty(main?.codeSavoirFaire);

  return {
    nationalId: info.SubjectNameID,
    ...(rpps ? { rpps } : {}),
    familyName: info.family_name ?? '',
    givenName: info.given_name ?? '',
    ...(professionCode ? { professionCode } : {}),
    ...(savoirFaire ? { savoirFaire } : {}),
    activities: exercices.flatMap((e) => (e.activities ?? []).map((a) => {
      const structureId = nonEmpty(a.identifiantStructure);
      const name = nonEmpty(a.raisonSocialeSite);
      const sectorCode = nonEmpty(a.codeSecteurDactivite);
      return { ...(structureId ? { structureId } : {}), ...(name ? { name } : {}), ...(sectorCode ? { sectorCode } : {}) };
    })),
    role: doctorExercice ? 'doctor' : 'secretary',
    ...(mssanteAddress ? { mssanteAddress } : {}),
  };
}
