<?php
// Runs local_moodlemcp\course_resolver (codegen/moodle/local_moodlemcp/classes/course_resolver.php) against a test
// double of Moodle's database: an in-memory SQLite database holding the Moodle tables the resolver reads (the
// columns it uses, named as in Moodle's install.xml files, with Moodle's "mdl_" prefix), behind a $DB-like object
// that implements get_records_sql() and get_in_or_equal() the way Moodle's DML API documents them.
// Used only by test/codegen/php-resolver.test.ts.
//
// Input (stdin, JSON): {"rows": {table: [row, ...]}, "userid": int, "accessible": [courseid, ...],
//                       "categories": [visible category id, ...], "batches": [[{"type", "id"}, ...], ...]}
// Output (stdout, JSON): {"batches": [{"results": [...], "queries": int}, ...]} or {"error": message} (exit 1).

define('MOODLE_INTERNAL', true);
define('SQL_PARAMS_NAMED', 1);
define('SITEID', 1);
define('CONTEXT_SYSTEM', 10);
define('CONTEXT_USER', 30);
define('CONTEXT_COURSECAT', 40);
define('CONTEXT_COURSE', 50);
define('CONTEXT_MODULE', 70);
define('CONTEXT_BLOCK', 80);

require(__DIR__ . '/sql-params.php');
require(__DIR__ . '/../../../codegen/moodle/local_moodlemcp/classes/course_access.php');
require(__DIR__ . '/../../../codegen/moodle/local_moodlemcp/classes/course_resolver.php');

/** The tables the resolver reads, with the columns it uses (Moodle names). */
const SCHEMA = [
    'analytics_predictions' => ['id', 'contextid'],
    'badge' => ['id', 'type', 'courseid'],
    'bigbluebuttonbn' => ['id', 'course'],
    'bigbluebuttonbn_recordings' => ['id', 'bigbluebuttonbnid', 'courseid'],
    'block_instances' => ['id', 'blockname', 'parentcontextid'],
    'book' => ['id', 'course'],
    'book_chapters' => ['id', 'bookid'],
    'competency_coursecomp' => ['id', 'courseid', 'competencyid'],
    'contentbank_content' => ['id', 'contextid'],
    'comments' => ['id', 'contextid'],
    'context' => ['id', 'contextlevel', 'instanceid', 'path', 'depth'],
    'course' => ['id', 'category', 'shortname', 'visible'],
    'course_modules' => ['id', 'course', 'module', 'instance'],
    'course_sections' => ['id', 'course', 'section'],
    'data' => ['id', 'course'],
    'data_fields' => ['id', 'dataid'],
    'data_records' => ['id', 'dataid'],
    'enrol' => ['id', 'enrol', 'courseid'],
    'event' => ['id', 'eventtype', 'courseid', 'categoryid', 'groupid', 'userid'],
    'event_subscriptions' => ['id', 'eventtype', 'courseid', 'categoryid', 'groupid', 'userid'],
    'forum' => ['id', 'course'],
    'forum_discussions' => ['id', 'course', 'forum'],
    'forum_posts' => ['id', 'discussion'],
    'glossary' => ['id', 'course'],
    'glossary_categories' => ['id', 'glossaryid'],
    'glossary_entries' => ['id', 'glossaryid'],
    'grade_items' => ['id', 'courseid'],
    'grade_categories' => ['id', 'courseid'],
    'grading_areas' => ['id', 'contextid'],
    'grading_definitions' => ['id', 'areaid'],
    'gradingform_guide_comments' => ['id', 'definitionid'],
    'gradingform_guide_criteria' => ['id', 'definitionid'],
    'gradingform_rubric_criteria' => ['id', 'definitionid'],
    'gradingform_rubric_levels' => ['id', 'criterionid'],
    'groupings' => ['id', 'courseid'],
    'groups' => ['id', 'courseid'],
    'h5pactivity' => ['id', 'course'],
    'h5pactivity_attempts' => ['id', 'h5pactivityid'],
    'lesson' => ['id', 'course'],
    'lesson_pages' => ['id', 'lessonid'],
    'lti_types' => ['id', 'course'],
    'message_conversation_members' => ['id', 'conversationid', 'userid'],
    'message_conversations' => ['id', 'type', 'contextid'],
    'messages' => ['id', 'conversationid', 'useridfrom'],
    'modules' => ['id', 'name'],
    'post' => ['id', 'module', 'userid', 'courseid', 'publishstate', 'usermodified'],
    'question_attempts' => ['id', 'questionusageid'],
    'question_bank_entries' => ['id', 'questioncategoryid'],
    'question_categories' => ['id', 'contextid'],
    'question_usages' => ['id', 'contextid'],
    'question_versions' => ['id', 'questionbankentryid', 'questionid'],
    'quiz' => ['id', 'course'],
    'quiz_attempts' => ['id', 'quiz', 'userid'],
    'quiz_grade_items' => ['id', 'quizid'],
    'quiz_overrides' => ['id', 'quiz'],
    'quiz_slots' => ['id', 'quizid'],
    'scale' => ['id', 'courseid'],
    'scorm' => ['id', 'course'],
    'scorm_scoes' => ['id', 'scorm'],
    'tool_dataprivacy_ctxexpired' => ['id', 'contextid'],
    'user_enrolments' => ['id', 'enrolid', 'userid'],
    'wiki' => ['id', 'course'],
    'wiki_pages' => ['id', 'subwikiid'],
    'wiki_subwikis' => ['id', 'wikiid'],
    'workshop' => ['id', 'course'],
    'workshop_assessments' => ['id', 'submissionid'],
    'workshop_submissions' => ['id', 'workshopid'],
];

/**
 * Test double of moodle_database: {table} → mdl_table, named parameters checked like Moodle does (every :name
 * given, no extra ones), rows keyed by their first column (a duplicate key is an error, where Moodle would warn).
 */
class fake_moodle_database {
    /** @var PDO */
    private $pdo;
    /** @var int */
    public $queries = 0;
    /** @var int */
    private $inparam = 0;

    public function __construct(array $rows) {
        $this->pdo = new PDO('sqlite::memory:', null, null, [PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION]);
        foreach (SCHEMA as $table => $columns) {
            $this->pdo->exec("CREATE TABLE mdl_{$table} (" . implode(', ', array_map(fn($c) => $c === 'id' ? 'id INTEGER PRIMARY KEY' : $c, $columns)) . ')');
        }
        foreach ($rows as $table => $list) {
            if (!isset(SCHEMA[$table])) {
                throw new RuntimeException("unknown table {$table}");
            }
            foreach ($list as $row) {
                $unknown = array_diff(array_keys($row), SCHEMA[$table]);
                if ($unknown) {
                    throw new RuntimeException("unknown column(s) " . implode(', ', $unknown) . " in {$table}");
                }
                $columns = array_keys($row);
                $statement = $this->pdo->prepare("INSERT INTO mdl_{$table} (" . implode(', ', $columns) . ') VALUES ('
                    . implode(', ', array_map(fn($c) => ':' . $c, $columns)) . ')');
                self::execute($statement, $row);
            }
        }
    }

    /** Binds integers as integers (SQLite compares '1' and 1 as different values, unlike Moodle's databases). */
    private static function execute(PDOStatement $statement, array $values): void {
        foreach ($values as $name => $value) {
            $statement->bindValue(':' . $name, $value, is_int($value) ? PDO::PARAM_INT : (is_null($value) ? PDO::PARAM_NULL : PDO::PARAM_STR));
        }
        $statement->execute();
    }

    public function get_in_or_equal($items, $type = SQL_PARAMS_NAMED, $prefix = 'param') {
        if ($type !== SQL_PARAMS_NAMED) {
            throw new RuntimeException('the resolver uses named parameters only');
        }
        if (!is_array($items) || !$items) {
            throw new RuntimeException('get_in_or_equal() does not accept empty arrays');
        }
        $params = [];
        foreach (array_values($items) as $item) {
            $params[$prefix . (++$this->inparam)] = $item;
        }
        $names = array_map(fn($n) => ':' . $n, array_keys($params));
        $sql = count($names) === 1 ? "= {$names[0]}" : 'IN (' . implode(',', $names) . ')';
        return [$sql, $params];
    }

    public function get_records_sql($sql, array $params = null) {
        $this->queries++;
        $params = $params ?? [];
        harness_check_named_params($sql, $params);
        $sql = preg_replace_callback('/\{([a-z][a-z0-9_]*)\}/', function($m) {
            if (!isset(SCHEMA[$m[1]])) {
                throw new RuntimeException("table {$m[1]} is not in the test schema");
            }
            return 'mdl_' . $m[1];
        }, $sql);
        $statement = $this->pdo->prepare($sql);
        self::execute($statement, $params);
        $records = [];
        while ($row = $statement->fetch(PDO::FETCH_ASSOC)) {
            $key = reset($row);
            if (array_key_exists($key, $records)) {
                throw new RuntimeException("duplicate first column value {$key} in: {$sql}");
            }
            // Moodle's drivers return every value as a string (or null).
            $records[$key] = (object)array_map(fn($v) => $v === null ? null : (string)$v, $row);
        }
        return $records;
    }
}

/** Test double of the calling user's access. */
class fake_course_access implements \local_moodlemcp\course_access {
    private $userid;
    private $accessible;
    private $categories;

    public function __construct(int $userid, array $accessible, array $categories) {
        $this->userid = $userid;
        $this->accessible = array_map('intval', $accessible);
        $this->categories = array_map('intval', $categories);
    }

    public function userid(): int {
        return $this->userid;
    }

    public function can_access_course(\stdClass $course): bool {
        return in_array((int)$course->id, $this->accessible, true);
    }

    public function can_see_category(int $categoryid): bool {
        return in_array($categoryid, $this->categories, true);
    }
}

try {
    $input = json_decode(stream_get_contents(STDIN), true, 64, JSON_THROW_ON_ERROR);
    if (($input['list_types'] ?? false) === true) {
        echo json_encode(['types' => \local_moodlemcp\course_resolver::entity_types()]);
        exit(0);
    }
    $out = [];
    foreach ($input['batches'] as $refs) {
        // A fresh database per batch, so that each batch's query count is its own.
        $db = new fake_moodle_database($input['rows']);
        $access = new fake_course_access($input['userid'], $input['accessible'], $input['categories']);
        $results = (new \local_moodlemcp\course_resolver($db, $access))->resolve($refs);
        $out[] = ['results' => $results, 'queries' => $db->queries];
    }
    echo json_encode(['batches' => $out]);
} catch (Throwable $e) {
    echo json_encode(['error' => get_class($e) . ': ' . $e->getMessage()]);
    exit(1);
}
