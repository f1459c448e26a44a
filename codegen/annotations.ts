import type { Access, ToolAnnotations } from '../runtime/catalog/types.ts';

/** Write functions whose name says they delete, remove, reset, overwrite or revoke something. */
const DESTRUCTIVE = /(?:^|_)(?:delete|remove|unenrol|unassign|reset|revert|purge|clear|cancel|deny|decline|unlink|end|block|unblock|unsubscribe|lock|unlock|override|update|replace|overwrite|rename|move|reorder|set|save|edit|toggle|mute|unmute|archive|unarchive|disable|dismiss|uninstall|unapprove|unflag|unstar|unset|store)(?:_|$)/;
/** Write functions that leave the same state when repeated with the same arguments. */
const IDEMPOTENT = /(?:^|_)(?:delete|remove|unenrol|unassign|reset|set|update|lock|unlock|mute|unmute|block|unblock|mark|disable|enable|archive|unarchive|dismiss|star|unstar|approve|unapprove|deny|decline|cancel|confirm)(?:_|$)/;

/**
 * MCP tool annotations: readOnlyHint when the effective access is read; for writes, destructiveHint when the
 * name says the call deletes/removes/overwrites data (or the override forces it), idempotentHint when repeating
 * the same call changes nothing more (reads always). openWorldHint is false: the tool only talks to this Moodle.
 */
export function annotationsFor(name: string, title: string, access: Access, destructive?: boolean): ToolAnnotations {
  const verb = name.replace(/^[a-z0-9]+_[a-z0-9]+_/, '');
  const read = access === 'read';
  return {
    title,
    readOnlyHint: read,
    destructiveHint: read ? false : (destructive ?? DESTRUCTIVE.test(verb)),
    idempotentHint: read ? true : IDEMPOTENT.test(verb),
    openWorldHint: false,
  };
}

/** Core functions named `core_<verb>_...` without a subsystem. */
const CORE_VERBS = new Set(['get', 'update', 'create', 'fetch', 'change', 'check', 'dynamic']);

const TYPE_LABELS: Record<string, string> = {
  mod: '', block: 'Block', tool: '', enrol: 'Enrol', auth: 'Auth', report: 'Report', gradereport: 'Grade report',
  gradingform: 'Grading form', qbank: 'Question bank', aiplacement: 'AI placement', tiny: 'TinyMCE', message: 'Message',
  media: 'Media', paygw: 'Payment', customfield: 'Custom field', quizaccess: 'Quiz access', core: '',
};

/** A human title: `core_course_get_courses` → "Course: get courses", `mod_forum_add_discussion` → "Forum: add discussion". */
export function titleFor(name: string, component: string): string {
  const area = name.split('_')[1];
  const plugin = component !== 'moodle' ? component : CORE_VERBS.has(area) ? 'core' : `core_${area}`;
  const [type, ...rest] = plugin.split('_');
  const label = plugin === 'core' ? 'Core' : [TYPE_LABELS[type] ?? capitalise(type), capitalise(rest.join(' '))].filter(Boolean).join(' ');
  const action = name.startsWith(`${plugin}_`) ? name.slice(plugin.length + 1) : name;
  return `${capitalise(label)}: ${action.replace(/_/g, ' ')}`;
}

function capitalise(text: string): string {
  return text ? text[0].toUpperCase() + text.slice(1) : text;
}
