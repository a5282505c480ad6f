export { readXdmArchive } from './read-archive';
export { parseXdmMetadata, XDS } from './metadata';
export { readZipEntries } from './zip-reader';
export * from './types';
