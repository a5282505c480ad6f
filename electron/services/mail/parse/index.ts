export { parseMssMessage, DEFAULT_MAX_ATTACHMENT_BYTES, DEFAULT_MAX_MESSAGE_BYTES, type ParseMssOptions } from './parse-message';
export { displaySubject, readMssHeaders, XDM_SUBJECT_PREFIX } from './mss-headers';
export { parseMdnReport } from './mdn';
export * from './types';
