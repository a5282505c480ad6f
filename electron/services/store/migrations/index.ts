import type Database from 'better-sqlite3';
import { m0001Initial } from './0001-initial';
import { m0002SearchAndAgenda } from './0002-search-and-agenda';
import { m0003Mail } from './0003-mail';
import { m0004Worklist } from './0004-worklist';
import { m0005Dmp } from './0005-dmp';
import { m0006MailMessaging } from './0006-mail-messaging';

export interface Migration {
  version: number;
  name: string;
  up(db: Database.Database): void;
}

/** Ordered, forward-only. Never edit a published migration: add the next number. */
export const MIGRATIONS: readonly Migration[] = [m0001Initial, m0002SearchAndAgenda, m0003Mail, m0004Worklist, m0005Dmp, m0006MailMessaging];
