export { createMoodleClient } from './client.ts';
export type { MoodleClient, MoodleClientOptions, CallOptions, TokenLoginResult } from './client.ts';
export { MoodleError, restErrorFromBody, tokenErrorFromBody } from './errors.ts';
export type { TransportErrorCode } from './errors.ts';
export type { FetchLike } from './http.ts';
export { isSiteAdmin } from './site-info.ts';
export type { SiteInfo } from './site-info.ts';
export { encodeForm, decodeForm, flattenForm } from './form.ts';
export type { PhpFormValue } from './form.ts';
