<?php
// This file is part of moodle-mcp (Apache-2.0), a Moodle local plugin used by the moodle-mcp gateway.

/**
 * Maps Moodle entity ids (a discussion, an attempt, a context, ...) to the course they belong to, for the moodle-mcp
 * gateway's course restrictions.
 *
 * One query per entity type in a batch (module instances: one per module name), one for the contexts the entities
 * point to, one for block parents, one for the courses; then the access check of each course. An entity is reported
 * as being in a course only when it exists and the user can access that course; as 'nocourse' only when it exists
 * outside any course and the user may see it; everything else (missing ids, other people's courses, unknown types)
 * is 'unknown', so the answer never tells whether an id the user cannot reach exists.
 *
 * @package    local_moodlemcp
 * @license    http://www.apache.org/licenses/LICENSE-2.0 Apache-2.0
 */

namespace local_moodlemcp;

/**
 * Batched entity → course resolution over Moodle's tables (DML API only).
 */
class course_resolver {
    /** Most refs one call may resolve. */
    public const MAX_REFS = 100;

    /** Answer: the entity exists in a course that the user can access. */
    public const COURSE = 'course';
    /** Answer: the entity exists outside any course (system, category, own user context, site-wide event) and the user may see it. */
    public const NOCOURSE = 'nocourse';
    /** Answer: anything else. */
    public const UNKNOWN = 'unknown';

    /**
     * Entity types whose rows name their course, directly or through the activity instance (or section, enrolment
     * method, grade item) they belong to. 'from' is joined as alias e (the entity), 'course' is the course id column.
     */
    private const COURSE_COLUMN = [
        'course' => ['from' => '{course} e', 'course' => 'e.id'],
        'course_module' => ['from' => '{course_modules} e', 'course' => 'e.course'],
        'course_section' => ['from' => '{course_sections} e', 'course' => 'e.course'],
        'group' => ['from' => '{groups} e', 'course' => 'e.courseid'],
        'grouping' => ['from' => '{groupings} e', 'course' => 'e.courseid'],
        'enrol_instance' => ['from' => '{enrol} e', 'course' => 'e.courseid'],
        'user_enrolment' => ['from' => '{user_enrolments} e JOIN {enrol} p ON p.id = e.enrolid', 'course' => 'p.courseid'],
        'grade_item' => ['from' => '{grade_items} e', 'course' => 'e.courseid'],
        'grade_category' => ['from' => '{grade_categories} e', 'course' => 'e.courseid'],
        'course_competency' => ['from' => '{competency_coursecomp} e', 'course' => 'e.courseid'],
        'bigbluebuttonbn_recording' => ['from' => '{bigbluebuttonbn_recordings} e JOIN {bigbluebuttonbn} p ON p.id = e.bigbluebuttonbnid',
            'course' => 'p.course'],
        'book_chapter' => ['from' => '{book_chapters} e JOIN {book} p ON p.id = e.bookid', 'course' => 'p.course'],
        'data_record' => ['from' => '{data_records} e JOIN {data} p ON p.id = e.dataid', 'course' => 'p.course'],
        'data_field' => ['from' => '{data_fields} e JOIN {data} p ON p.id = e.dataid', 'course' => 'p.course'],
        'forum_discussion' => ['from' => '{forum_discussions} e JOIN {forum} p ON p.id = e.forum', 'course' => 'p.course'],
        'forum_post' => ['from' => '{forum_posts} e JOIN {forum_discussions} d ON d.id = e.discussion JOIN {forum} p ON p.id = d.forum',
            'course' => 'p.course'],
        'glossary_entry' => ['from' => '{glossary_entries} e JOIN {glossary} p ON p.id = e.glossaryid', 'course' => 'p.course'],
        'glossary_category' => ['from' => '{glossary_categories} e JOIN {glossary} p ON p.id = e.glossaryid', 'course' => 'p.course'],
        'h5pactivity_attempt' => ['from' => '{h5pactivity_attempts} e JOIN {h5pactivity} p ON p.id = e.h5pactivityid',
            'course' => 'p.course'],
        'lesson_page' => ['from' => '{lesson_pages} e JOIN {lesson} p ON p.id = e.lessonid', 'course' => 'p.course'],
        'quiz_attempt' => ['from' => '{quiz_attempts} e JOIN {quiz} p ON p.id = e.quiz', 'course' => 'p.course'],
        'quiz_grade_item' => ['from' => '{quiz_grade_items} e JOIN {quiz} p ON p.id = e.quizid', 'course' => 'p.course'],
        'quiz_override' => ['from' => '{quiz_overrides} e JOIN {quiz} p ON p.id = e.quiz', 'course' => 'p.course'],
        'quiz_slot' => ['from' => '{quiz_slots} e JOIN {quiz} p ON p.id = e.quizid', 'course' => 'p.course'],
        'scorm_sco' => ['from' => '{scorm_scoes} e JOIN {scorm} p ON p.id = e.scorm', 'course' => 'p.course'],
        'wiki_subwiki' => ['from' => '{wiki_subwikis} e JOIN {wiki} p ON p.id = e.wikiid', 'course' => 'p.course'],
        'wiki_page' => ['from' => '{wiki_pages} e JOIN {wiki_subwikis} s ON s.id = e.subwikiid JOIN {wiki} p ON p.id = s.wikiid',
            'course' => 'p.course'],
        'workshop_submission' => ['from' => '{workshop_submissions} e JOIN {workshop} p ON p.id = e.workshopid', 'course' => 'p.course'],
        'workshop_assessment' => ['from' => '{workshop_assessments} e JOIN {workshop_submissions} s ON s.id = e.submissionid '
            . 'JOIN {workshop} p ON p.id = s.workshopid', 'course' => 'p.course'],
    ];

    /**
     * Entity types that belong to a context: they are where their context is (see resolve_contexts()).
     * 'context' is the context id column; 'key' the id column when it is not e.id.
     */
    private const CONTEXT_COLUMN = [
        'context' => ['from' => '{context} e', 'context' => 'e.id'],
        'block_instance' => ['from' => '{block_instances} e', 'context' => 'e.parentcontextid'],
        'analytics_prediction' => ['from' => '{analytics_predictions} e', 'context' => 'e.contextid'],
        'contentbank_content' => ['from' => '{contentbank_content} e', 'context' => 'e.contextid'],
        'comment' => ['from' => '{comments} e', 'context' => 'e.contextid'],
        'dataprivacy_expired_context' => ['from' => '{tool_dataprivacy_ctxexpired} e', 'context' => 'e.contextid'],
        'grading_definition' => ['from' => '{grading_definitions} e JOIN {grading_areas} a ON a.id = e.areaid', 'context' => 'a.contextid'],
        'guide_comment' => ['from' => '{gradingform_guide_comments} e JOIN {grading_definitions} d ON d.id = e.definitionid '
            . 'JOIN {grading_areas} a ON a.id = d.areaid', 'context' => 'a.contextid'],
        'guide_criterion' => ['from' => '{gradingform_guide_criteria} e JOIN {grading_definitions} d ON d.id = e.definitionid '
            . 'JOIN {grading_areas} a ON a.id = d.areaid', 'context' => 'a.contextid'],
        'rubric_criterion' => ['from' => '{gradingform_rubric_criteria} e JOIN {grading_definitions} d ON d.id = e.definitionid '
            . 'JOIN {grading_areas} a ON a.id = d.areaid', 'context' => 'a.contextid'],
        'rubric_level' => ['from' => '{gradingform_rubric_levels} e JOIN {gradingform_rubric_criteria} c ON c.id = e.criterionid '
            . 'JOIN {grading_definitions} d ON d.id = c.definitionid JOIN {grading_areas} a ON a.id = d.areaid',
            'context' => 'a.contextid'],
        'question' => ['from' => '{question_versions} e JOIN {question_bank_entries} b ON b.id = e.questionbankentryid '
            . 'JOIN {question_categories} c ON c.id = b.questioncategoryid', 'context' => 'c.contextid', 'key' => 'e.questionid'],
        'question_category' => ['from' => '{question_categories} e', 'context' => 'e.contextid'],
        'question_usage' => ['from' => '{question_usages} e', 'context' => 'e.contextid'],
        'question_attempt' => ['from' => '{question_attempts} e JOIN {question_usages} u ON u.id = e.questionusageid',
            'context' => 'u.contextid'],
    ];

    /**
     * Entity types that may be in a course or in none (site badges, standard scales, site tools, ...): see
     * locate_course_or_site(). 'site' is an SQL condition (parameters :siteid, :userid) under which the entity is in
     * no course and visible to the user; otherwise 'course' is its course.
     */
    private const COURSE_OR_SITE = [
        'badge' => ['from' => '{badge} e', 'course' => 'e.courseid', 'site' => 'e.type = 1'],
        'lti_tool_type' => ['from' => '{lti_types} e', 'course' => 'e.course', 'site' => 'e.course = :siteid'],
        'note' => ['from' => "{post} e", 'course' => 'e.courseid', 'module' => 'notes',
            'site' => "e.courseid = :siteid AND (e.publishstate = 'site' OR e.usermodified = :userid)"],
        'scale' => ['from' => '{scale} e', 'course' => 'e.courseid', 'site' => 'e.courseid = 0'],
    ];

    /** @var object Moodle's $DB (moodle_database) or a test double with get_records_sql() and get_in_or_equal(). */
    private $db;

    /** @var course_access Who is asking and what they may see. */
    private $access;

    /**
     * @param object $db Moodle's $DB
     * @param course_access $access the calling user's access checks
     */
    public function __construct($db, course_access $access) {
        $this->db = $db;
        $this->access = $access;
    }

    /**
     * Every entity type this resolver answers for. Module instances are sent as mod_<module> (mod_forum: a forum id),
     * listed here as 'mod_*'.
     *
     * @return string[] sorted
     */
    public static function entity_types(): array {
        $types = array_merge(array_keys(self::COURSE_COLUMN), array_keys(self::CONTEXT_COLUMN), array_keys(self::COURSE_OR_SITE),
            ['calendar_event', 'calendar_subscription', 'message', 'message_conversation', 'mod_*']);
        sort($types);
        return $types;
    }

    /**
     * Resolves a batch of references, answering in their order.
     *
     * @param array $refs list of ['type' => string, 'id' => int]
     * @return array list of ['type', 'id', 'status', 'courseid'] (courseid 0 unless status is 'course')
     */
    public function resolve(array $refs): array {
        // Where each distinct reference points: ['course', courseid] | ['context', contextid] | ['nocourse'].
        $where = [];
        $bytype = [];
        foreach ($refs as $ref) {
            $id = (int)$ref['id'];
            if ($id > 0) {
                $bytype[(string)$ref['type']][$id] = $id;
            }
        }
        foreach ($bytype as $type => $ids) {
            $where[$type] = $this->locate((string)$type, array_values($ids));
        }

        // Contexts (of context-bound entities) → course or 'nocourse'.
        $contextids = [];
        foreach ($where as $places) {
            foreach ($places as $place) {
                if ($place[0] === 'context') {
                    $contextids[$place[1]] = $place[1];
                }
            }
        }
        $contexts = $contextids ? $this->resolve_contexts(array_values($contextids)) : [];

        // Courses → may the user access them?
        $courseids = [];
        foreach ($where as $type => $places) {
            foreach ($places as $id => $place) {
                if ($place[0] === 'context') {
                    $place = $contexts[$place[1]] ?? null;
                    $where[$type][$id] = $place;
                }
                if ($place !== null && $place[0] === 'course') {
                    $courseids[$place[1]] = $place[1];
                }
            }
        }
        $accessible = $courseids ? $this->accessible_courses(array_values($courseids)) : [];

        $results = [];
        foreach ($refs as $ref) {
            $id = (int)$ref['id'];
            $place = $id > 0 ? ($where[(string)$ref['type']][$id] ?? null) : null;
            $status = self::UNKNOWN;
            $courseid = 0;
            if ($place !== null && $place[0] === 'nocourse') {
                $status = self::NOCOURSE;
            } else if ($place !== null && $place[0] === 'course' && isset($accessible[$place[1]])) {
                $status = self::COURSE;
                $courseid = (int)$place[1];
            }
            $results[] = ['type' => (string)$ref['type'], 'id' => $id, 'status' => $status, 'courseid' => $courseid];
        }
        return $results;
    }

    /**
     * Where the entities of one type are, without any access check yet.
     *
     * @param string $type entity type
     * @param int[] $ids
     * @return array id => ['course', courseid] | ['context', contextid] | ['nocourse']; missing ids are left out
     */
    private function locate(string $type, array $ids): array {
        if (isset(self::COURSE_COLUMN[$type])) {
            $spec = self::COURSE_COLUMN[$type];
            return $this->select_places($spec['from'], 'e.id', $spec['course'], 'course', $ids);
        }
        if (isset(self::CONTEXT_COLUMN[$type])) {
            $spec = self::CONTEXT_COLUMN[$type];
            return $this->select_places($spec['from'], $spec['key'] ?? 'e.id', $spec['context'], 'context', $ids);
        }
        if (isset(self::COURSE_OR_SITE[$type])) {
            return $this->locate_course_or_site(self::COURSE_OR_SITE[$type], $ids);
        }
        switch ($type) {
            case 'calendar_event':
                return $this->locate_calendar('{event}', $ids);
            case 'calendar_subscription':
                return $this->locate_calendar('{event_subscriptions}', $ids);
            case 'message_conversation':
                return $this->locate_conversations('{message_conversations} c', 'c.id', $ids);
            case 'message':
                return $this->locate_conversations('{messages} e JOIN {message_conversations} c ON c.id = e.conversationid', 'e.id', $ids);
        }
        if (preg_match('/^mod_([a-z][a-z0-9_]*)$/', $type, $match)) {
            return $this->locate_module_instances($match[1], $ids);
        }
        return [];
    }

    /**
     * One query: id and the column naming its course (or context) for the ids that exist.
     *
     * @param string $from table(s), the entity aliased e
     * @param string $key the id column
     * @param string $column course or context id expression
     * @param string $kind 'course' or 'context'
     * @param int[] $ids
     * @return array id => [$kind, value]
     */
    private function select_places(string $from, string $key, string $column, string $kind, array $ids): array {
        [$insql, $params] = $this->db->get_in_or_equal($ids, SQL_PARAMS_NAMED, 'ref');
        $rows = $this->db->get_records_sql("SELECT {$key} AS id, {$column} AS place FROM {$from} WHERE {$key} {$insql}", $params);
        $places = [];
        foreach ($rows as $row) {
            if ((int)$row->place > 0) {
                $places[(int)$row->id] = [$kind, (int)$row->place];
            }
        }
        return $places;
    }

    /**
     * Entities in a course or in none (COURSE_OR_SITE): in no course when the spec's 'site' condition holds.
     *
     * @param array $spec
     * @param int[] $ids
     * @return array id => place
     */
    private function locate_course_or_site(array $spec, array $ids): array {
        [$insql, $params] = $this->db->get_in_or_equal($ids, SQL_PARAMS_NAMED, 'ref');
        // Moodle refuses named parameters that the query does not use.
        foreach (['siteid' => SITEID, 'userid' => $this->access->userid()] as $name => $value) {
            if (strpos($spec['site'], ':' . $name) !== false) {
                $params[$name] = $value;
            }
        }
        $where = "e.id {$insql}";
        if (isset($spec['module'])) {
            $where .= ' AND e.module = :module';
            $params['module'] = $spec['module'];
        }
        $rows = $this->db->get_records_sql("SELECT e.id, {$spec['course']} AS courseid, CASE WHEN {$spec['site']} THEN 1 ELSE 0 END AS site
                                              FROM {$spec['from']}
                                             WHERE {$where}", $params);
        $places = [];
        foreach ($rows as $row) {
            if ((int)$row->site === 1) {
                $places[(int)$row->id] = ['nocourse'];
            } else if ((int)$row->courseid > 0 && (int)$row->courseid !== (int)SITEID) {
                $places[(int)$row->id] = ['course', (int)$row->courseid];
            }
        }
        return $places;
    }

    /**
     * Module instances (mod_forum 5 = forum 5) through their course module.
     *
     * @param string $module module name (forum, quiz, ...)
     * @param int[] $ids instance ids
     * @return array instance id => ['course', courseid]
     */
    private function locate_module_instances(string $module, array $ids): array {
        [$insql, $params] = $this->db->get_in_or_equal($ids, SQL_PARAMS_NAMED, 'ref');
        $params['modulename'] = $module;
        $rows = $this->db->get_records_sql("SELECT cm.instance, cm.course
                                              FROM {course_modules} cm
                                              JOIN {modules} m ON m.id = cm.module
                                             WHERE m.name = :modulename AND cm.instance {$insql}", $params);
        $places = [];
        foreach ($rows as $row) {
            $places[(int)$row->instance] = ['course', (int)$row->course];
        }
        return $places;
    }

    /**
     * Calendar events and subscriptions: course, group and activity ones are in their course; site ones, those of
     * a category the user can see and the user's own user ones are in no course; other users' are unknown.
     *
     * @param string $table {event} or {event_subscriptions}
     * @param int[] $ids
     * @return array id => place
     */
    private function locate_calendar(string $table, array $ids): array {
        [$insql, $params] = $this->db->get_in_or_equal($ids, SQL_PARAMS_NAMED, 'ref');
        $rows = $this->db->get_records_sql("SELECT id, eventtype, courseid, categoryid, userid
                                              FROM {$table}
                                             WHERE id {$insql}", $params);
        $places = [];
        foreach ($rows as $row) {
            $courseid = (int)$row->courseid;
            if ($row->eventtype === 'site') {
                $places[(int)$row->id] = ['nocourse'];
            } else if ($row->eventtype === 'category') {
                if ((int)$row->categoryid > 0 && $this->access->can_see_category((int)$row->categoryid)) {
                    $places[(int)$row->id] = ['nocourse'];
                }
            } else if ($courseid > 0 && $courseid !== (int)SITEID) {
                $places[(int)$row->id] = ['course', $courseid];
            } else if ($row->eventtype === 'user' && (int)$row->userid === $this->access->userid()) {
                $places[(int)$row->id] = ['nocourse'];
            }
        }
        return $places;
    }

    /**
     * Message conversations (and messages, through their conversation): a conversation with a context (course
     * group conversations) is where that context is; one without (individual, self) is in no course for its
     * members and unknown to everyone else.
     *
     * @param string $from table(s), the conversation aliased c
     * @param string $key the id column
     * @param int[] $ids
     * @return array id => place
     */
    private function locate_conversations(string $from, string $key, array $ids): array {
        [$insql, $params] = $this->db->get_in_or_equal($ids, SQL_PARAMS_NAMED, 'ref');
        $params['userid'] = $this->access->userid();
        $rows = $this->db->get_records_sql("SELECT {$key} AS id, c.contextid, mm.id AS membership
                                              FROM {$from}
                                         LEFT JOIN {message_conversation_members} mm ON mm.conversationid = c.id AND mm.userid = :userid
                                             WHERE {$key} {$insql}", $params);
        $places = [];
        foreach ($rows as $row) {
            if ((int)$row->contextid > 0) {
                $places[(int)$row->id] = ['context', (int)$row->contextid];
            } else if ($row->membership) {
                $places[(int)$row->id] = ['nocourse'];
            }
        }
        return $places;
    }

    /**
     * Contexts → course: a course context is its course, a module context the course of its course module, a block
     * context wherever its parent context is; the system context, visible categories and the user's own user
     * context are in no course; anything else is unknown (left out).
     *
     * @param int[] $contextids
     * @return array contextid => ['course', courseid] | ['nocourse']
     */
    private function resolve_contexts(array $contextids): array {
        $places = [];
        $blockparents = [];
        foreach ($this->read_contexts($contextids) as $context) {
            if ((int)$context->contextlevel === CONTEXT_BLOCK) {
                $path = explode('/', trim((string)$context->path, '/'));
                if (count($path) >= 2) {
                    $blockparents[(int)$context->id] = (int)$path[count($path) - 2];
                }
                continue;
            }
            $place = $this->context_place($context);
            if ($place !== null) {
                $places[(int)$context->id] = $place;
            }
        }
        if ($blockparents) {
            $parents = [];
            foreach ($this->read_contexts(array_values(array_unique($blockparents))) as $context) {
                // A block's parent is never a block; anything else resolves as above.
                if ((int)$context->contextlevel !== CONTEXT_BLOCK) {
                    $parents[(int)$context->id] = $this->context_place($context);
                }
            }
            foreach ($blockparents as $blockcontextid => $parentid) {
                if (isset($parents[$parentid])) {
                    $places[$blockcontextid] = $parents[$parentid];
                }
            }
        }
        return $places;
    }

    /**
     * One query: contexts with the course of module contexts.
     *
     * @param int[] $contextids
     * @return array of context rows (id, contextlevel, instanceid, path, cmcourse)
     */
    private function read_contexts(array $contextids): array {
        [$insql, $params] = $this->db->get_in_or_equal($contextids, SQL_PARAMS_NAMED, 'ctx');
        $params['modulelevel'] = CONTEXT_MODULE;
        return $this->db->get_records_sql("SELECT ctx.id, ctx.contextlevel, ctx.instanceid, ctx.path, cm.course AS cmcourse
                                             FROM {context} ctx
                                        LEFT JOIN {course_modules} cm ON ctx.contextlevel = :modulelevel AND cm.id = ctx.instanceid
                                            WHERE ctx.id {$insql}", $params);
    }

    /**
     * Where a (non-block) context is.
     *
     * @param object $context row from read_contexts()
     * @return array|null ['course', courseid] | ['nocourse'] | null (unknown)
     */
    private function context_place($context): ?array {
        switch ((int)$context->contextlevel) {
            case CONTEXT_SYSTEM:
                return ['nocourse'];
            case CONTEXT_COURSECAT:
                return $this->access->can_see_category((int)$context->instanceid) ? ['nocourse'] : null;
            case CONTEXT_USER:
                return (int)$context->instanceid === $this->access->userid() ? ['nocourse'] : null;
            case CONTEXT_COURSE:
                return ['course', (int)$context->instanceid];
            case CONTEXT_MODULE:
                return $context->cmcourse ? ['course', (int)$context->cmcourse] : null;
            default:
                return null;
        }
    }

    /**
     * The courses (of the given ids) that exist and that the user can access.
     *
     * @param int[] $courseids
     * @return array courseid => true
     */
    private function accessible_courses(array $courseids): array {
        [$insql, $params] = $this->db->get_in_or_equal($courseids, SQL_PARAMS_NAMED, 'course');
        $accessible = [];
        foreach ($this->db->get_records_sql("SELECT * FROM {course} WHERE id {$insql}", $params) as $course) {
            if ($this->access->can_access_course($course)) {
                $accessible[(int)$course->id] = true;
            }
        }
        return $accessible;
    }
}
