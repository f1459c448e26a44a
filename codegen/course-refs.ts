import type { DescriptionNode, FunctionDescription, StructureNode } from './sources/types.ts';

/**
 * Entity references found by rules (the rules are documented, with examples, at the top of codegen/overrides.yaml;
 * the entity types are codegen/entities.ts). Rules look at argument NAMES and structure, whatever the PARAM type:
 * `instances[].courseid` declared PARAM_RAW is a course id like any other.
 * Paths use the catalog syntax: dots for keys, `[]` for list items (`enrolments[].courseid`).
 */

/** One classified argument: the entity it names (course-bound or course-free). */
export interface EntityReference {
  path: string;
  entity: string;
  /** module_instance only. */
  module?: string;
  /** context_instance only: the sibling contextlevel argument. */
  levelPath?: string;
  /** `rule:<name>` or `override`. */
  source: string;
}

export interface Leaf {
  path: string;
  name: string;
  /** Moodle PARAM_* type. */
  paramtype: string;
  /** Paths of the other leaves of the structure that holds this one, by key. */
  siblings: Record<string, string>;
}

/** Argument names that name a course-bound or course-free entity wherever they appear. */
const NAMES: Record<string, string> = {
  ...names('course', 'courseid courseids course sourcecourseid metacourseid importfrom importto'),
  ...names('course_module', 'cmid cmids coursemoduleid coursemoduleids targetcmid'),
  ...names('course_section', 'sectionid sectionids targetsectionid'),
  ...names('group', 'groupid groupids'),
  ...names('grouping', 'groupingid groupingids defaultgroupingid'),
  ...names('context', 'contextid contextids pagecontextid newcontextid'),
  ...names('calendar_event', 'eventid eventids aftereventid'),
  ...names('calendar_subscription', 'subscriptionid'),
  ...names('enrol_instance', 'enrolid'),
  ...names('user_enrolment', 'ueid'),
  ...names('scale', 'scaleid'),
  ...names('badge', 'badgeid badgeids'),
  ...names('message_conversation', 'conversationid conversationids convid'),
  ...names('message', 'messageid'),
  ...names('question', 'questionid questionids'),
  ...names('question_usage', 'qubaid'),
  ...names('question_attempt', 'qaid'),
  ...names('grading_definition', 'definitionid'),
  ...names('course_competency', 'coursecompetencyid'),
  ...names('contentbank_content', 'contentid contentids'),
  ...names('analytics_prediction', 'predictionid predictionids'),
  ...names('backup_controller', 'backupid backupids restoreid'),
  ...names('lti_tool_type', 'tooltypeid'),
  // course-free
  ...names('user', 'userid userids gradeduserid requesteduserid reviewerid studentid blockeduserid unblockeduserid otheruserid ' +
    'currentuserid referenceuserid touserid rateduserid foruserid behalfid authorid useridto useridfrom'),
  ...names('course_category', 'categoryid categoryids parentcategoryid'),
  ...names('cohort', 'cohortid cohortids'),
  ...names('role', 'roleid'),
  ...names('competency', 'competencyid relatedcompetencyid'),
  ...names('competency_framework', 'competencyframeworkid'),
  ...names('learning_plan', 'planid'),
  ...names('learning_plan_template', 'templateid origtemplateid'),
  ...names('user_evidence', 'userevidenceid'),
  ...names('user_competency', 'usercompetencyid'),
  ...names('reportbuilder_report', 'reportid'),
  ...names('reportbuilder_report_part', 'columnid filterid conditionid scheduleid'),
  ...names('user_tour', 'tourid stepid'),
  ...names('dataprivacy_request', 'requestid requestids'),
  ...names('notification', 'notificationid'),
  ...names('oauth2_issuer', 'issuerid'),
  ...names('tag', 'tagids tagcollid'),
  ...names('content_item', 'contentitemid'),
  ...names('draft_area', 'draftitemid draftid attachmentsid inlineattachmentsid'),
  ...names('user_device', 'appid pushid uuid deviceid'),
  ...names('client_token', 'clientmsgid clientnoteid uniqueid orderid beepid elementid pageinstance stateId'),
  ...names('search_area', 'areaids'),
  ...names('string_id', 'stringid admintreeid'),
  ...names('analytics_model', 'modelid'),
  ...names('policy_version', 'versionid'),
  ...names('lti_tool_proxy', 'toolproxyid'),
  ...names('ai_provider', 'providerid'),
};

/** Names whose entity depends on the component (module-scoped entities first of all); checked before NAMES. */
const COMPONENT_NAMES: Record<string, Record<string, string>> = {
  mod_forum: names('forum_discussion', 'discussionid discussionids', names('forum_post', 'postid postids')),
  mod_quiz: names('quiz_attempt', 'attemptid attemptids', names('quiz_slot', 'slotid', names('quiz_grade_item', 'quizgradeitemid'))),
  mod_h5pactivity: names('h5pactivity_attempt', 'attemptid attemptids'),
  mod_lesson: names('lesson_page', 'pageid'),
  mod_wiki: names('wiki_page', 'pageid', names('wiki_subwiki', 'subwikiid')),
  mod_workshop: names('workshop_submission', 'submissionid', names('workshop_assessment', 'assessmentid')),
  mod_glossary: names('glossary_entry', 'entryid', names('glossary_category', 'categoryid')),
  mod_data: names('data_record', 'entryid', names('data_field', 'fieldid')),
  mod_scorm: names('scorm_sco', 'scoid'),
  mod_book: names('book_chapter', 'chapterid'),
  mod_bigbluebuttonbn: names('bigbluebuttonbn_recording', 'recordingid'),
  mod_chat: names('chat_session', 'chatsid'),
  mod_assign: names('rubric_level', 'levelid'),
  qbank_managecategories: names('question_category', 'categoryid targetparentid precedingsiblingid'),
  report_competency: names('course_module', 'moduleid'),
  tool_lp: names('course_module', 'moduleid'),
  customfield_number: names('customfield_definition', 'fieldid', names('customfield_instance', 'instanceid')),
  core_blog: names('blog_entry', 'entryid'),
  paygw_paypal: names('payment_item', 'itemid'),
  core_payment: names('payment_item', 'itemid'),
  core_question: names('question_category', 'categoryid newcategoryid'),
  core_competency: names('competency', 'parentid'),
  core_customfield: names('customfield_definition', 'categoryid beforeid', names('customfield_area_item', 'itemid')),
  core_reportbuilder: names('reportbuilder_report_part', 'instanceid'),
  core_grades: names('grade_category', 'parentcategoryid'),
};

/** Module-instance names that differ from `<module>id` / `<module>ids`, per module. */
const INSTANCE_ALIASES: Record<string, string[]> = {
  assign: ['assignmentid', 'assignmentids', 'assignid'],
  data: ['databaseid', 'databaseids', 'dataid'],
  bigbluebuttonbn: ['sourcebigbluebuttonbnid', 'destinationinstanceid'],
};

/** Names of context levels (the level of a contextlevel + instanceid pair). */
const LEVEL_NAMES = new Set(['contextlevel']);
/** Names of the instance of a contextlevel + instanceid pair, when a contextlevel sibling is present. */
const LEVEL_INSTANCE_NAMES = new Set(['instanceid', 'id']);
/** Names of an item inside a sibling context reference's component area (files, comments, ratings, system reports). */
const CONTEXT_ITEM_NAMES = new Set(['itemid']);

/** Id-like names that name no entity, with the reason (they are neither references nor "unclassified"). */
export const NOT_ENTITIES: Record<string, string> = {
  onlyids: 'a boolean option (return ids only)',
};

function names(entity: string, list: string, into: Record<string, string> = {}): Record<string, string> {
  for (const name of list.split(/\s+/).filter(Boolean)) into[name] = entity;
  return into;
}

/** Whether an argument is named like an entity id (…id, …ids, id, instance…, context…): such arguments must be classified. */
export function isIdLike(name: string): boolean {
  return /(id|ids)$/i.test(name) || /^(instance|context)/i.test(name);
}

/** Every value leaf of a parameter tree, with catalog-style paths and its siblings. */
export function argumentLeaves(parameters: StructureNode): Leaf[] {
  const leaves: Leaf[] = [];
  const visit = (node: DescriptionNode, path: string, name: string, siblings: Record<string, string>) => {
    if (node.kind === 'value') {
      leaves.push({ path, name, paramtype: node.paramtype, siblings });
    } else if (node.kind === 'multiple_structure') {
      visit(node.content, `${path}[]`, name, siblings);
    } else {
      const keyPaths: Record<string, string> = {};
      for (const [key, child] of Object.entries(node.keys)) keyPaths[key] = leafPath(child, path ? `${path}.${key}` : key);
      for (const [key, child] of Object.entries(node.keys)) visit(child, path ? `${path}.${key}` : key, key, keyPaths);
    }
  };
  visit(parameters, '', '', {});
  return leaves;
}

/** The path of a sibling's value (`ids` → `ids[]` when it is a list of values). */
function leafPath(node: DescriptionNode, path: string): string {
  return node.kind === 'multiple_structure' && node.content.kind === 'value' ? `${path}[]` : path;
}

/** The module name of a `mod_<name>` component, else undefined. */
export function moduleOf(component: string): string | undefined {
  return /^mod_([a-z0-9]+)$/.exec(component)?.[1];
}

/** The component whose COMPONENT_NAMES apply: the plugin, or core_<subsystem> from the function name for core. */
function scopeOf(fn: FunctionDescription): string {
  if (fn.component !== 'moodle') return fn.component;
  return /^core_[a-z0-9]+/.exec(fn.name)?.[0] ?? fn.component;
}

/**
 * References of one function by rule: EVERY argument whose name (and structure) says which entity it names,
 * course-bound or course-free. A course id beside a discussion id never hides the discussion id.
 * `levels` holds the paths of contextlevel arguments consumed by a context_instance pair.
 */
export function ruleReferences(fn: FunctionDescription): { references: EntityReference[]; levels: Set<string> } {
  const module = moduleOf(fn.component);
  const instanceNames = module ? new Set([`${module}id`, `${module}ids`, ...(INSTANCE_ALIASES[module] ?? [])]) : new Set<string>();
  const scoped = COMPONENT_NAMES[scopeOf(fn)] ?? {};
  const references: EntityReference[] = [];
  const levels = new Set<string>();
  const leaves = argumentLeaves(fn.parameters);
  for (const leaf of leaves) {
    const levelPath = Object.entries(leaf.siblings).find(([key]) => LEVEL_NAMES.has(key))?.[1];
    if (module && instanceNames.has(leaf.name)) {
      references.push({ path: leaf.path, entity: 'module_instance', module, source: 'rule:module-instance-id' });
    } else if (levelPath && LEVEL_INSTANCE_NAMES.has(leaf.name)) {
      levels.add(levelPath);
      references.push({ path: leaf.path, entity: 'context_instance', levelPath, source: 'rule:context-instance' });
    } else if (leaf.name === 'criterionid') {
      const entity = /(^|\.)guide\./.test(leaf.path) ? 'guide_criterion' : 'rubric_criterion';
      references.push({ path: leaf.path, entity, source: 'rule:grading-criterion' });
    } else if (Object.hasOwn(scoped, leaf.name)) {
      references.push({ path: leaf.path, entity: scoped[leaf.name]!, source: `rule:${scopeOf(fn)}` });
    } else if (fn.component.startsWith('enrol_') && leaf.name === 'instanceid') {
      references.push({ path: leaf.path, entity: 'enrol_instance', source: 'rule:enrol-instance' });
    } else if (leaf.name === 'context' && leaf.paramtype === 'PARAM_INT') {
      references.push({ path: leaf.path, entity: 'context', source: 'rule:context-id' });
    } else if (Object.hasOwn(NAMES, leaf.name)) {
      references.push({ path: leaf.path, entity: NAMES[leaf.name]!, source: `rule:${NAMES[leaf.name]!.replace(/_/g, '-')}-id` });
    } else if (CONTEXT_ITEM_NAMES.has(leaf.name) && hasContextSibling(leaf)) {
      references.push({ path: leaf.path, entity: 'context_item', source: 'rule:context-item' });
    }
  }
  // A contextlevel with no instance beside it names a level only.
  for (const leaf of leaves) {
    if (LEVEL_NAMES.has(leaf.name) && !levels.has(leaf.path)) {
      references.push({ path: leaf.path, entity: 'context_level', source: 'rule:context-level' });
    }
  }
  return { references, levels };
}

function hasContextSibling(leaf: Leaf): boolean {
  return Object.keys(leaf.siblings).some((key) => key === 'contextid' || key === 'contextlevel' || key === 'context');
}

/**
 * Output paths carrying course ids, by rule: integer keys named `courseid` or `course`, `id` of the items of a list
 * named `courses`, and `id` of a structure named `course`.
 */
export function ruleOutputCourseRefs(returns: DescriptionNode | null): string[] {
  const paths: string[] = [];
  const visit = (node: DescriptionNode, path: string, name: string, parent: string) => {
    if (node.kind === 'value') {
      const isCourse = (name === 'courseid' || name === 'course') || (name === 'id' && (parent === 'courses[]' || parent === 'course'));
      if (node.type === 'int' && isCourse) paths.push(path);
    } else if (node.kind === 'multiple_structure') {
      visit(node.content, `${path}[]`, `${name}[]`, parent);
    } else {
      for (const [key, child] of Object.entries(node.keys)) visit(child, path ? `${path}.${key}` : key, key, name);
    }
  };
  if (returns) visit(returns, '', '', '');
  return paths;
}
