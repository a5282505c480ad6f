import type { Db } from './db';

export interface User {
  id: number;
  nationalId: string;
  familyName: string;
  givenName: string;
  role: 'doctor' | 'secretary';
  professionCode: string | null;
  mssanteAddress: string | null;
}

export type UserFields = Omit<User, 'id'>;

export function createUsersRepo(db: Db) {
  const upsert = db.prepare(`INSERT INTO users (national_id, family_name, given_name, role, profession_code, mssante_address, created_at, last_login_at)
    VALUES (@nationalId, @familyName, @givenName, @role, @professionCode, @mssanteAddress, @now, NULL)
    ON CONFLICT (national_id) DO UPDATE SET family_name = excluded.family_name, given_name = excluded.given_name,
      role = excluded.role, profession_code = excluded.profession_code,
      mssante_address = COALESCE(excluded.mssante_address, users.mssante_address)`);
  const byNationalId = db.prepare<[string], { id: number; national_id: string; family_name: string; given_name: string;
    role: 'doctor' | 'secretary'; profession_code: string | null; mssante_address: string | null }>(
    'SELECT id, national_id, family_name, given_name, role, profession_code, mssante_address FROM users WHERE national_id = ?',
  );
  const login = db.prepare('UPDATE users SET last_login_at = ? WHERE id = ?');
  return {
    upsert(fields: UserFields): User {
      upsert.run({ ...fields, now: new Date().toISOString() });
      return this.byNationalId(fields.nationalId)!;
    },
    byNationalId(nationalId: string): User | null {
      const r = byNationalId.get(nationalId);
      return r
        ? { id: r.id, nationalId: r.national_id, familyName: r.family_name, givenName: r.given_name, role: r.role,
            professionCode: r.profession_code, mssanteAddress: r.mssante_address }
        : null;
    },
    recordLogin(id: number): void {
      login.run(new Date().toISOString(), id);
    },
  };
}

export type UsersRepo = ReturnType<typeof createUsersRepo>;
