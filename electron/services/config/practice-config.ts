import { z } from 'zod';

/**
 * What makes the software talk to real national services instead of the training sandbox.
 * Issue #8 extends this with machine/policy sources and precedence; the shape stays.
 */
export const practiceConfigSchema = z.object({
  mode: z.enum(['training', 'production']),
  practice: z.object({
    name: z.string().min(1),
    structureId: z.string().min(1),
    facilityTypeCode: z.string().default('SA07'),
  }),
  psc: z.object({
    issuer: z.string().url(),
    clientId: z.string().min(1),
    clientSecret: z.string().optional(),
    allowInsecureLoopback: z.boolean().default(false),
  }),
  insi: z.object({ endpoint: z.string().url() }).optional(),
  dmp: z.object({ endpoint: z.string().url() }).optional(),
  lockAfterMinutes: z.number().min(0.05).max(24 * 60).default(120),
});

export type PracticeConfig = z.infer<typeof practiceConfigSchema>;
