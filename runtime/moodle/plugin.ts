/** The web-service functions of our Moodle plugin local_moodlemcp (codegen/moodle/local_moodlemcp). */

/** Every function of the plugin starts with this (kept out of the generated tools unless asked). */
export const PLUGIN_FUNCTION_PREFIX = 'local_moodlemcp_';
/** Exports every function's description, for codegen (a site administrator's token). */
export const EXPORT_FUNCTION = 'local_moodlemcp_export_functions';
/** Maps a batch of (entity type, id) to courses as the calling user, for the course restriction. */
export const RESOLVER_FUNCTION = 'local_moodlemcp_resolve_courses';
