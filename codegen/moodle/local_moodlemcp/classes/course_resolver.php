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
        'grade_grade' => ['from' => '{grade_grades} e JOIN {grade_items} p ON p.id = e.itemid', 'course' => 'p.courseid'],
        'course_competency' => ['from' => '{competency_coursecomp} e', 'course' => 'e.courseid'],
        'course_module_competency' => ['from' => '{competency_modulecomp} e JOIN {course_modules} p ON p.id = e.cmid',
            'course' => 'p.course'],
        'course_completion_criterion' => ['from' => '{course_completion_criteria} e', 'course' => 'e.course'],
        'assign_submission' => ['from' => '{assign_submission} e JOIN {assign} p ON p.id = e.assignment', 'course' => 'p.course'],
        'assign_grade' => ['from' => '{assign_grades} e JOIN {assign} p ON p.id = e.assignment', 'course' => 'p.course'],
        'assign_override' => ['from' => '{assign_overrides} e JOIN {assign} p ON p.id = e.assignid', 'course' => 'p.course'],
        'bigbluebuttonbn_recording' => ['from' => '{bigbluebuttonbn_recordings} e JOIN {bigbluebuttonbn} p ON p.id = e.bigbluebuttonbnid',
            'course' => 'p.course'],
        'book_chapter' => ['from' => '{book_chapters} e JOIN {book} p ON p.id = e.bookid', 'course' => 'p.course'],
        'chat_message' => ['from' => '{chat_messages} e JOIN {chat} p ON p.id = e.chatid', 'course' => 'p.course'],
        'choice_option' => ['from' => '{choice_options} e JOIN {choice} p ON p.id = e.choiceid', 'course' => 'p.course'],
        'choice_answer' => ['from' => '{choice_answers} e JOIN {choice} p ON p.id = e.choiceid', 'course' => 'p.course'],
        'data_record' => ['from' => '{data_records} e JOIN {data} p ON p.id = e.dataid', 'course' => 'p.course'],
        'data_field' => ['from' => '{data_fields} e JOIN {data} p ON p.id = e.dataid', 'course' => 'p.course'],
        'data_content' => ['from' => '{data_content} e JOIN {data_records} r ON r.id = e.recordid JOIN {data} p ON p.id = r.dataid',
            'course' => 'p.course'],
        'feedback_item' => ['from' => '{feedback_item} e JOIN {feedback} p ON p.id = e.feedback', 'course' => 'p.course'],
        'feedback_completed' => ['from' => '{feedback_completed} e JOIN {feedback} p ON p.id = e.feedback', 'course' => 'p.course'],
        'forum_discussion' => ['from' => '{forum_discussions} e JOIN {forum} p ON p.id = e.forum', 'course' => 'p.course'],
        'forum_post' => ['from' => '{forum_posts} e JOIN {forum_discussions} d ON d.id = e.discussion JOIN {forum} p ON p.id = d.forum',
            'course' => 'p.course'],
        'glossary_entry' => ['from' => '{glossary_entries} e JOIN {glossary} p ON p.id = e.glossaryid', 'course' => 'p.course'],
        'glossary_category' => ['from' => '{glossary_categories} e JOIN {glossary} p ON p.id = e.glossaryid', 'course' => 'p.course'],
        'h5pactivity_attempt' => ['from' => '{h5pactivity_attempts} e JOIN {h5pactivity} p ON p.id = e.h5pactivityid',
            'course' => 'p.course'],
        'lesson_page' => ['from' => '{lesson_pages} e JOIN {lesson} p ON p.id = e.lessonid', 'course' => 'p.course'],
        'lesson_answer' => ['from' => '{lesson_answers} e JOIN {lesson} p ON p.id = e.lessonid', 'course' => 'p.course'],
        'lesson_attempt' => ['from' => '{lesson_attempts} e JOIN {lesson} p ON p.id = e.lessonid', 'course' => 'p.course'],
        'lesson_override' => ['from' => '{lesson_overrides} e JOIN {lesson} p ON p.id = e.lessonid', 'course' => 'p.course'],
        'quiz_attempt' => ['from' => '{quiz_attempts} e JOIN {quiz} p ON p.id = e.quiz', 'course' => 'p.course'],
        'quiz_slot' => ['from' => '{quiz_slots} e JOIN {quiz} p ON p.id = e.quizid', 'course' => 'p.course'],
        'quiz_section' => ['from' => '{quiz_sections} e JOIN {quiz} p ON p.id = e.quizid', 'course' => 'p.course'],
        'quiz_override' => ['from' => '{quiz_overrides} e JOIN {quiz} p ON p.id = e.quiz', 'course' => 'p.course'],
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
     * 'context' is the context id column.
     */
    private const CONTEXT_COLUMN = [
        'context' => ['from' => '{context} e', 'context' => 'e.id'],
        'block_instance' => ['from' => '{block_instances} e', 'context' => 'e.parentcontextid'],
        'question_usage' => ['from' => '{question_usages} e', 'context' => 'e.contextid'],
        'question_attempt' => ['from' => '{question_attempts} e JOIN {question_usages} p ON p.id = e.questionusageid',
            'context' => 'p.contextid'],
        'grading_area' => ['from' => '{grading_areas} e', 'context' => 'e.contextid'],
        'grading_definition' => ['from' => '{grading_definitions} e JOIN {grading_areas} p ON p.id = e.areaid',
            'context' => 'p.contextid'],
        'contentbank_content' => ['from' => '{contentbank_content} e', 'context' => 'e.contextid'],
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
     * Every entity type this resolver answers for ('module_instance' needs the module name).
     *
     * @return string[] sorted
     */
    public static function entity_types(): array {
        $types = array_merge(array_keys(self::COURSE_COLUMN), array_keys(self::CONTEXT_COLUMN), ['calendar_event', 'module_instance']);
        sort($types);
        return $types;
    }

    /**
     * Resolves a batch of references, answering in their order.
     *
     * @param array $refs list of ['type' => string, 'id' => int, 'module' => string (module_instance only)]
     * @return array list of ['type', 'id', 'status', 'courseid'] (courseid 0 unless status is 'course')
     */
    public function resolve(array $refs): array {
        // Where each distinct reference points: ['course', courseid] | ['context', contextid] | ['nocourse'] | null.
        $where = [];
        $byType = [];
        foreach ($refs as $ref) {
            $id = (int)$ref['id'];
            if ($id > 0) {
                $byType[self::group_key($ref)][$id] = $id;
            }
        }
        foreach ($byType as $key => $ids) {
            foreach ($this->locate($key, array_values($ids)) as $id => $place) {
                $where[$key][$id] = $place;
            }
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
        foreach ($where as $key => $places) {
            foreach ($places as $id => $place) {
                if ($place[0] === 'context') {
                    $place = $contexts[$place[1]] ?? null;
                    $where[$key][$id] = $place;
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
            $place = $id > 0 ? ($where[self::group_key($ref)][$id] ?? null) : null;
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
     * The batch a reference belongs to: its type, and for module instances the module name.
     *
     * @param array $ref
     * @return string
     */
    private static function group_key(array $ref): string {
        if ($ref['type'] === 'module_instance') {
            return 'module_instance:' . ($ref['module'] ?? '');
        }
        return (string)$ref['type'];
    }

    /**
     * Where the entities of one batch are, without any access check yet.
     *
     * @param string $key type (or module_instance:<module>)
     * @param int[] $ids
     * @return array id => ['course', courseid] | ['context', contextid] | ['nocourse']; missing ids are left out
     */
    private function locate(string $key, array $ids): array {
        if (isset(self::COURSE_COLUMN[$key])) {
            $spec = self::COURSE_COLUMN[$key];
            return $this->select_places($spec['from'], $spec['course'], 'course', $ids);
        }
        if (isset(self::CONTEXT_COLUMN[$key])) {
            $spec = self::CONTEXT_COLUMN[$key];
            return $this->select_places($spec['from'], $spec['context'], 'context', $ids);
        }
        if ($key === 'calendar_event') {
            return $this->locate_events($ids);
        }
        if (strpos($key, 'module_instance:') === 0) {
            return $this->locate_module_instances(substr($key, strlen('module_instance:')), $ids);
        }
        return [];
    }

    /**
     * One query: id and the column naming its course (or context) for the ids that exist.
     *
     * @param string $from table(s), the entity aliased e
     * @param string $column course or context id expression
     * @param string $kind 'course' or 'context'
     * @param int[] $ids
     * @return array id => [$kind, value]
     */
    private function select_places(string $from, string $column, string $kind, array $ids): array {
        [$insql, $params] = $this->db->get_in_or_equal($ids, SQL_PARAMS_NAMED, 'ref');
        $rows = $this->db->get_records_sql("SELECT e.id, {$column} AS place FROM {$from} WHERE e.id {$insql}", $params);
        $places = [];
        foreach ($rows as $row) {
            if ((int)$row->place > 0) {
                $places[(int)$row->id] = [$kind, (int)$row->place];
            }
        }
        return $places;
    }

    /**
     * Module instances (forum 5, quiz 2, ...) through their course module.
     *
     * @param string $module module name (forum, quiz, ...)
     * @param int[] $ids instance ids
     * @return array instance id => ['course', courseid]
     */
    private function locate_module_instances(string $module, array $ids): array {
        if (!preg_match('/^[a-z][a-z0-9_]*$/', $module)) {
            return [];
        }
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
     * Calendar events: course, group and activity events are in their course; site events, category events and the
     * user's own user events are in no course; other users' events are unknown.
     *
     * @param int[] $ids
     * @return array id => place
     */
    private function locate_events(array $ids): array {
        [$insql, $params] = $this->db->get_in_or_equal($ids, SQL_PARAMS_NAMED, 'ref');
        $rows = $this->db->get_records_sql("SELECT id, eventtype, courseid, categoryid, userid
                                              FROM {event}
                                             WHERE id {$insql}", $params);
        $places = [];
        foreach ($rows as $row) {
            if ($row->eventtype === 'site') {
                $places[(int)$row->id] = ['nocourse'];
            } else if ($row->eventtype === 'category' && (int)$row->categoryid > 0) {
                if ($this->access->can_see_category((int)$row->categoryid)) {
                    $places[(int)$row->id] = ['nocourse'];
                }
            } else if ((int)$row->courseid > 0) {
                $places[(int)$row->id] = ['course', (int)$row->courseid];
            } else if ($row->eventtype === 'user' && (int)$row->userid === $this->access->userid()) {
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
