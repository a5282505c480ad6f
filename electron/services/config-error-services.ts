import { EventEmitter } from 'node:events';
import { METHOD_NAMES, type EventName } from '../../shared/contract';
import type { AppInfo } from '../../shared/domain';
import { AppError } from '../../shared/errors';
import type { ConfigProblem } from './config/problems';
import type { Logger } from './log/logger';
import { createDispatcher, type Dispatch, type Handlers } from './rpc/dispatch';

/** What a host (Electron shell, browser host) serves: the contract and its events. */
export interface HostedServices {
  dispatch: Dispatch;
  events: EventEmitter<Record<EventName, []>>;
  close(): Promise<void>;
}

export interface ConfigurationErrorOptions {
  problems: readonly ConfigProblem[];
  version: string;
  host: AppInfo['host'];
  logger: Logger;
}

/**
 * The services of a workstation whose configuration was refused: `app.info` names every bad key
 * (the renderer shows the French error screen), every other method answers CONFIGURATION. Never
 * the training sandbox in its place: an installer must see the mistake, not a demo practice.
 */
export function createConfigurationErrorServices(options: ConfigurationErrorOptions): HostedServices {
  const refused = () => {
    throw new AppError('CONFIGURATION', 'Configuration du poste invalide : corrigez-la puis relancez LGC Ségur.');
  };
  const handlers = Object.fromEntries(METHOD_NAMES.map((name) => [name, refused])) as unknown as Handlers;
  handlers['app.info'] = () => ({
    version: options.version,
    mode: 'production',
    practiceName: '',
    host: options.host,
    sandboxServices: [],
    configurationProblems: options.problems.map((p) => ({ key: p.key, source: p.source, message: p.message, ...(p.location ? { location: p.location } : {}) })),
    firstRunPending: false,
  });
  return {
    dispatch: createDispatcher({ handlers, requireActiveSession: refused, logger: options.logger.child('rpc') }),
    events: new EventEmitter<Record<EventName, []>>(),
    async close() {},
  };
}
