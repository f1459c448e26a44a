/**
 * The ONE vocabulary of Moodle entity types that web-service arguments name (issue 10).
 *
 * Every argument that identifies a Moodle entity is classified by codegen (codegen/course-refs.ts rules,
 * codegen/overrides.yaml corrections) into one of these types. A course-bound type becomes a catalog CourseRef
 * (`generated/catalog.json`); a course-free type is listed in `generated/course-refs.md` with the reason it is
 * course-free. The catalog's `entities` map is built from this table.
 *
 * For every course-bound type `chain` is the Moodle table chain that maps one id to its course (the resolver
 * local_moodlemcp_resolve_courses in codegen/moodle/local_moodlemcp implements exactly these chains, with Moodle's
 * DML API). `context` means "continue with the context rules": contextlevel 50 (course) -> instanceid is the
 * course; 70 (module) -> course_modules.id = instanceid -> course_modules.course; 80 (block) -> the parent context
 * of block_instances (then these rules again); 10 system, 40 category, 30 user -> no course ('nocourse').
 * A contextlevel ARGUMENT (the levelPath of a context_instance reference) is a level name in every 4.5.6 function
 * (PARAM_ALPHA / PARAM_ALPHANUM: system, user, coursecat, course, module, block); only a lone contextlevel (no
 * instance, entity context_level) is an integer.
 *
 * How a reference resolves (CourseRef.via, in order of preference):
 *   'argument' - the value is a course id;
 *   'moodle'   - a Moodle core function the caller may call (`moodle` below): only course_module, module_instance,
 *                group, grouping;
 *   'result'   - READ functions whose single-object answer names its course (CatalogFunction.resultCourseRefs);
 *   'resolver' - local_moodlemcp_resolve_courses (types: resolverType() below) when the site enables it.
 * A course-bound type with `resolver: false` (text ids, ids whose table depends on another argument) can only be
 * checked through 'result' where that applies; otherwise a call naming it is refused under a course restriction.
 */

export interface EntityType {
  /** True when the entity belongs to (at most) one course and a course restriction must check it. */
  courseBound: boolean;
  /** What the id names. */
  description: string;
  /** Course-bound: Moodle tables from the id to the course id. */
  chain?: string;
  /** Course-free: why a course restriction need not check it. */
  courseFreeReason?: string;
  /** Moodle core function the gateway calls with the caller's token ('moodle' via). */
  moodle?: string;
  /** Course-bound: whether local_moodlemcp_resolve_courses resolves it (default true). */
  resolver?: boolean;
}

const CONTEXT = ' -> context (by contextlevel)';

/** Course-bound entity types. */
const COURSE_BOUND: Record<string, Omit<EntityType, 'courseBound'>> = {
  course: { description: 'a course', chain: 'course.id (the value is the course id)', resolver: false },
  course_module: {
    description: 'a course module (activity in a course)', chain: 'course_modules.course',
    moodle: 'core_course_get_course_module',
  },
  module_instance: {
    description: 'an activity instance of the module named by CourseRef.module (forum, quiz, assign, ...)',
    chain: '<module>.course (every activity table has a course column; e.g. forum.course, quiz.course)',
    moodle: 'core_course_get_course_module_by_instance',
  },
  activity_instance: {
    description: 'an activity instance whose module is named by another argument (not fixed by the function)',
    chain: '<module>.course, the module being the value of the sibling module/component argument',
    resolver: false,
  },
  course_section: { description: 'a course section', chain: 'course_sections.course' },
  group: { description: 'a group', chain: 'groups.courseid', moodle: 'core_group_get_groups' },
  grouping: { description: 'a grouping', chain: 'groupings.courseid', moodle: 'core_group_get_groupings' },
  context: { description: 'a context id', chain: `context.id${CONTEXT}` },
  context_instance: {
    description: 'the instanceid of a contextlevel + instanceid pair (CourseRef.levelPath names the level argument); ' +
      'the runtime resolves it by level: course -> that course, module -> course_module, block -> block_instance, ' +
      'category/user/system -> no course',
    chain: 'by level: course -> course.id; module -> course_modules.course; block -> block_instance; coursecat/user/system -> no course',
    resolver: false,
  },
  block_instance: {
    description: 'a block instance (reached through block contexts)',
    chain: `block_instances.parentcontextid${CONTEXT}`,
  },
  forum_discussion: { description: 'a forum discussion', chain: 'forum_discussions.course' },
  forum_post: { description: 'a forum post', chain: 'forum_posts.discussion -> forum_discussions.course' },
  quiz_attempt: { description: 'a quiz attempt', chain: 'quiz_attempts.quiz -> quiz.course' },
  quiz_slot: { description: 'a question slot of a quiz', chain: 'quiz_slots.quizid -> quiz.course' },
  quiz_override: { description: 'a user or group override of a quiz', chain: 'quiz_overrides.quiz -> quiz.course' },
  quiz_grade_item: { description: 'a grade item of a quiz (quiz_grade_items)', chain: 'quiz_grade_items.quizid -> quiz.course' },
  lesson_page: { description: 'a lesson page', chain: 'lesson_pages.lessonid -> lesson.course' },
  h5pactivity_attempt: {
    description: 'an H5P activity attempt', chain: 'h5pactivity_attempts.h5pactivityid -> h5pactivity.course',
  },
  workshop_submission: {
    description: 'a workshop submission', chain: 'workshop_submissions.workshopid -> workshop.course',
  },
  workshop_assessment: {
    description: 'a workshop assessment',
    chain: 'workshop_assessments.submissionid -> workshop_submissions.workshopid -> workshop.course',
  },
  wiki_subwiki: { description: 'a wiki subwiki', chain: 'wiki_subwikis.wikiid -> wiki.course' },
  wiki_page: { description: 'a wiki page', chain: 'wiki_pages.subwikiid -> wiki_subwikis.wikiid -> wiki.course' },
  glossary_entry: { description: 'a glossary entry', chain: 'glossary_entries.glossaryid -> glossary.course' },
  glossary_category: { description: 'a glossary category', chain: 'glossary_categories.glossaryid -> glossary.course' },
  data_record: { description: 'a database activity entry (record)', chain: 'data_records.dataid -> data.course' },
  data_field: { description: 'a database activity field', chain: 'data_fields.dataid -> data.course' },
  scorm_sco: { description: 'a SCORM SCO', chain: 'scorm_scoes.scorm -> scorm.course' },
  book_chapter: { description: 'a book chapter', chain: 'book_chapters.bookid -> book.course' },
  bigbluebuttonbn_recording: {
    description: 'a BigBlueButton recording', chain: 'bigbluebuttonbn_recordings.bigbluebuttonbnid -> bigbluebuttonbn.course',
  },
  chat_session: {
    description: 'a chat session id (text, from mod_chat_login_user)', chain: 'chat_users.sid -> chat_users.chatid -> chat.course',
    resolver: false,
  },
  lti_tool_type: {
    description: 'an external tool type (course tool or site tool)',
    chain: 'lti_types.course (the site course id means a site tool: no course)',
  },
  calendar_event: {
    description: 'a calendar event (site, category, course, group or user event)',
    chain: 'event.courseid, or event.groupid -> groups.courseid; site (courseid = site id), category and user events: no course',
  },
  calendar_subscription: {
    description: 'a calendar (iCal) subscription',
    chain: 'event_subscriptions.courseid (0 or the site id: a user, category or site subscription: no course)',
  },
  enrol_instance: { description: 'an enrolment instance (enrol method of a course)', chain: 'enrol.courseid' },
  user_enrolment: { description: 'a user enrolment', chain: 'user_enrolments.enrolid -> enrol.courseid' },
  badge: { description: 'a badge (site or course badge)', chain: 'badge.courseid (type 1 site badges: no course)' },
  note: { description: 'a note (site, course or personal)', chain: "post.courseid (module = 'notes'; the site course id: no course)" },
  grade_item: { description: 'a grade item', chain: 'grade_items.courseid' },
  grade_category: { description: 'a grade category (of a course gradebook)', chain: 'grade_categories.courseid' },
  scale: { description: 'a scale', chain: 'scale.courseid (0: a standard scale, no course)' },
  message_conversation: {
    description: 'a message conversation (individual, self or course group conversation)',
    chain: 'message_conversations.contextid -> context (group conversations: the course context; others: no course)',
  },
  message: {
    description: 'a message', chain: 'messages.conversationid -> message_conversations.contextid -> context',
  },
  question: {
    description: 'a question of a question bank',
    chain: `question_versions.questionid -> question_bank_entries.questioncategoryid -> question_categories.contextid${CONTEXT}`,
  },
  question_category: { description: 'a question category', chain: `question_categories.contextid${CONTEXT}` },
  question_usage: { description: 'a question usage (qubaid)', chain: `question_usages.contextid${CONTEXT}` },
  question_attempt: {
    description: 'a question attempt (qaid)', chain: `question_attempts.questionusageid -> question_usages.contextid${CONTEXT}`,
  },
  grading_definition: {
    description: 'an advanced grading definition', chain: `grading_definitions.areaid -> grading_areas.contextid${CONTEXT}`,
  },
  rubric_criterion: {
    description: 'a rubric criterion',
    chain: `gradingform_rubric_criteria.definitionid -> grading_definitions.areaid -> grading_areas.contextid${CONTEXT}`,
  },
  rubric_level: {
    description: 'a rubric level',
    chain: `gradingform_rubric_levels.criterionid -> gradingform_rubric_criteria.definitionid -> grading_definitions.areaid -> grading_areas.contextid${CONTEXT}`,
  },
  guide_criterion: {
    description: 'a marking guide criterion',
    chain: `gradingform_guide_criteria.definitionid -> grading_definitions.areaid -> grading_areas.contextid${CONTEXT}`,
  },
  guide_comment: {
    description: 'a marking guide frequently used comment',
    chain: `gradingform_guide_comments.definitionid -> grading_definitions.areaid -> grading_areas.contextid${CONTEXT}`,
  },
  comment: { description: 'a comment', chain: `comments.contextid${CONTEXT}` },
  issued_badge: {
    description: 'an issued badge, by its hash (text)', chain: 'badge_issued.uniquehash -> badge_issued.badgeid -> badge.courseid',
    resolver: false,
  },
  course_competency: { description: 'a competency linked to a course', chain: 'competency_coursecomp.courseid' },
  contentbank_content: { description: 'a content bank item', chain: `contentbank_content.contextid${CONTEXT}` },
  analytics_prediction: { description: 'an analytics prediction (insight)', chain: `analytics_predictions.contextid${CONTEXT}` },
  dataprivacy_expired_context: {
    description: 'an expired-context record of the data privacy tool', chain: `tool_dataprivacy_ctxexpired.contextid${CONTEXT}`,
  },
  backup_controller: {
    description: 'an asynchronous backup or restore id (text)',
    chain: "backup_controllers.backupid -> itemid of type 'course' / 'activity' (course_modules) / 'section' (course_sections)",
    resolver: false,
  },
  courseformat_item: {
    description: 'ids of core_courseformat_update_course: sections or course modules depending on `action`',
    chain: 'course_sections.course or course_modules.course, by action',
    resolver: false,
  },
  inplace_editable_item: {
    description: 'the item of core_update_inplace_editable: its table depends on component and itemtype',
    chain: 'depends on component + itemtype (course sections, modules, groups, tags, ...)',
    resolver: false,
  },
  payment_item: {
    description: 'the item of a payment area (e.g. the enrolment instance of enrol_fee): its table depends on component and paymentarea',
    chain: 'depends on component + paymentarea (enrol_fee: enrol.courseid)',
    resolver: false,
  },
  customfield_area_item: {
    description: 'the item of a custom field area (component + area + itemid)',
    chain: 'depends on the custom field handler (component + area)',
    resolver: false,
  },
  opaque_payload: {
    description: 'a serialised form, JSON document or key/value list whose content (course, module, group, event ids, ...) ' +
      'depends on another argument (form class, fragment callback, table handler, report source)',
    chain: 'none: the gateway cannot read ids out of it',
    resolver: false,
  },
  unclassified: {
    description: 'an argument named like an id that no rule or override classifies (a new Moodle version or plugin); ' +
      'treated as course-bound and unresolvable until codegen/course-refs.ts or codegen/overrides.yaml classifies it',
    chain: 'unknown',
    resolver: false,
  },
  customfield_instance: {
    description: 'the instance a custom field value belongs to (a course for course custom fields)',
    chain: 'depends on the field handler: customfield_field.categoryid -> customfield_category.component/area',
    resolver: false,
  },
};

/** Course-free entity types, each with the reason a course restriction need not check it. */
const COURSE_FREE: Record<string, { description: string; courseFreeReason: string }> = {
  user: { description: 'a user', courseFreeReason: 'users are site-wide; Moodle checks the capabilities on the user or course context' },
  course_category: { description: 'a course category', courseFreeReason: 'categories hold courses but belong to none' },
  cohort: { description: 'a cohort', courseFreeReason: 'cohorts live in the system or a category context' },
  role: { description: 'a role', courseFreeReason: 'role definitions are site-wide (where they are assigned is a context, checked separately)' },
  context_level: { description: 'a context level on its own (no instance)', courseFreeReason: 'a level names no instance' },
  competency: { description: 'a competency', courseFreeReason: 'competencies belong to frameworks in the system or a category context' },
  competency_framework: { description: 'a competency framework', courseFreeReason: 'frameworks live in the system or a category context' },
  learning_plan: { description: 'a learning plan', courseFreeReason: 'plans belong to a user (user context)' },
  learning_plan_template: { description: 'a learning plan template', courseFreeReason: 'templates live in the system or a category context' },
  user_evidence: { description: 'evidence of prior learning', courseFreeReason: 'belongs to a user (user context)' },
  user_competency: { description: 'a user competency', courseFreeReason: 'belongs to a user (competency_usercomp: userid + competencyid)' },
  reportbuilder_report: { description: 'a custom report', courseFreeReason: 'custom reports live in the system context' },
  reportbuilder_report_part: {
    description: 'a column, filter, condition, audience or schedule of a custom report',
    courseFreeReason: 'part of a custom report (system context)',
  },
  user_tour: { description: 'a user tour or tour step', courseFreeReason: 'tours are site configuration' },
  dataprivacy_request: { description: 'a data privacy request', courseFreeReason: 'requests concern a user (system/user context)' },
  dataprivacy_registry: { description: 'a data registry category or purpose', courseFreeReason: 'site configuration of the data privacy tool' },
  notification: { description: 'a notification', courseFreeReason: 'notifications belong to their recipient (user)' },
  oauth2_issuer: { description: 'an OAuth 2 service', courseFreeReason: 'site configuration' },
  tag: { description: 'a tag or tag collection', courseFreeReason: 'tags are site-wide' },
  content_item: { description: 'an activity chooser content item or module type', courseFreeReason: 'names a module type, not an instance' },
  draft_area: { description: "a draft file area id", courseFreeReason: "draft areas belong to the calling user's user context" },
  user_device: { description: 'a mobile device or app registration', courseFreeReason: 'belongs to a user' },
  client_token: {
    description: 'an identifier chosen by the client or an external service (message/note client ids, unique ids, order ids, autosave element ids)',
    courseFreeReason: 'not a Moodle entity id',
  },
  search_area: { description: 'a search area id (component-area name)', courseFreeReason: 'names a kind of content, not an instance' },
  string_id: { description: 'a language string or admin page identifier', courseFreeReason: 'not an entity' },
  stored_progress: { description: 'a stored progress bar id', courseFreeReason: 'a progress record (percentage) of a background task' },
  ai_provider: { description: 'an AI provider instance', courseFreeReason: 'site configuration of the AI subsystem' },
  analytics_model: { description: 'an analytics model', courseFreeReason: 'site configuration' },
  policy_version: { description: 'a site policy version', courseFreeReason: 'site policies are site-wide' },
  admin_preset: { description: 'an admin preset', courseFreeReason: 'site configuration' },
  lti_tool_proxy: { description: 'an LTI 2 tool proxy', courseFreeReason: 'tool proxies are site registrations' },
  customfield_definition: { description: 'a custom field category or field definition', courseFreeReason: 'site configuration of custom fields' },
  blog_entry: {
    description: 'a blog entry', courseFreeReason: 'entries belong to their author (post.userid); course associations are optional tags',
  },
  rating_scale: {
    description: "the scaleid of the rating API: a positive value is a maximum of points, a negative one a scale (-scale.id)",
    courseFreeReason: "a grading scale setting, not an entity lookup: the component's rating_validate callback refuses any " +
      "value other than the rated activity's own scale (the activity is the sibling context reference, which is checked)",
  },
  context_item: {
    description: "an item id inside a sibling context reference's component area (comments, ratings, files)",
    courseFreeReason: 'rows are keyed by (context, component, area, itemid): the sibling context reference is the one checked',
  },
};

/** Every entity type, by name (sorted). */
export const ENTITY_TYPES: Readonly<Record<string, EntityType>> = Object.fromEntries(
  [
    ...Object.entries(COURSE_BOUND).map(([name, e]) => [name, { courseBound: true, ...e }] as const),
    ...Object.entries(COURSE_FREE).map(([name, e]) => [name, { courseBound: false, ...e }] as const),
  ].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
);

/** Whether `name` is a known entity type. */
export function isEntityType(name: string): boolean {
  return Object.hasOwn(ENTITY_TYPES, name);
}

/**
 * The `type` sent to local_moodlemcp_resolve_courses for a reference, or undefined when the resolver cannot
 * resolve it. Module instances are sent as `mod_<module>` (e.g. `mod_forum`: the id is a forum.id).
 */
export function resolverType(entity: string, module?: string): string | undefined {
  const type = ENTITY_TYPES[entity];
  if (!type?.courseBound || type.resolver === false) return undefined;
  if (entity === 'module_instance') return module ? `mod_${module}` : undefined;
  return entity;
}

/** Entity types local_moodlemcp_resolve_courses must cover (module instances: `mod_<module>` for any module). */
export function resolverEntityTypes(): string[] {
  return Object.keys(ENTITY_TYPES).filter((name) => resolverType(name, 'x') !== undefined);
}

/** How a reference to `entity` resolves, in order of preference (CourseRef.via), before 'result' is considered. */
export function viaFor(entity: string): Array<'argument' | 'moodle' | 'resolver'> {
  const type = ENTITY_TYPES[entity];
  if (!type?.courseBound) return [];
  if (entity === 'course') return ['argument'];
  // By level: course -> argument, module -> moodle (course module) or resolver, block -> resolver (block_instance).
  if (entity === 'context_instance') return ['argument', 'moodle', 'resolver'];
  const via: Array<'argument' | 'moodle' | 'resolver'> = [];
  if (type.moodle) via.push('moodle');
  if (type.resolver !== false) via.push('resolver');
  return via;
}
