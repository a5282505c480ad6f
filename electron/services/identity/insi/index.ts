export { createInsiClient, type InsiClientOptions } from './client';
export type { InsiCallContext, InsiClient, InsiIdentity, InsiResult, TraitsSearchInput, VitaleSearchInput } from './types';
export { INSI_NOT_FOUND_MESSAGES, INSI_SEVERAL_MESSAGE } from './responses';
