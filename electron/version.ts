/** Replaced at bundle time by esbuild's `define`; falls back to the package version in dev. */
declare const __LGC_VERSION__: string | undefined;
export const APP_VERSION: string = typeof __LGC_VERSION__ === 'string' ? __LGC_VERSION__ : '0.1.0-dev';
