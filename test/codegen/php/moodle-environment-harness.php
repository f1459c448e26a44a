<?php
// Runs local_moodlemcp\connect\moodle_environment::create_token() against doubles of the Moodle API it calls, written
// from Moodle 4.5's documented behaviour: \core_external\util::generate_token() inserts the token and leaves its id in
// $SESSION->webservicenewlycreatedtoken (Preferences > Security keys and Manage tokens then show that token's value
// once, to its creator). Used only by test/codegen/php-connect.test.ts.
//
// Input (stdin, JSON): {"session": {name: value} (the session before)}.
// Output (stdout, JSON): {"tokenid": int, "session": {...} (after), "calls": [generate_token arguments]}.

namespace {
    define('MOODLE_INTERNAL', true);
    define('EXTERNAL_TOKEN_PERMANENT', 0);
    define('MUST_EXIST', 2);

    class context_system {
        public $id = 1;
        public static function instance() {
            return new self();
        }
    }

    /** $DB double: external_tokens rows in memory. */
    class fake_db {
        public $tokens = [];
        public function get_field($table, $field, array $conditions, $strictness = 0) {
            foreach ($this->tokens as $row) {
                if (array_intersect_assoc($conditions, (array)$row) == $conditions) {
                    return $row->$field;
                }
            }
            return false;
        }
    }
}

namespace core_external {
    class util {
        public static $calls = [];
        public static function generate_token(int $tokentype, \stdClass $service, int $userid, \context_system $context,
                int $validuntil = 0, string $iprestriction = '', string $name = ''): string {
            global $DB, $SESSION;
            self::$calls[] = [$tokentype, (int)$service->id, $userid, $validuntil, $iprestriction, $name];
            $id = count($DB->tokens) + 100;
            $DB->tokens[] = (object)['id' => $id, 'token' => bin2hex(random_bytes(16)), 'userid' => $userid];
            $SESSION->webservicenewlycreatedtoken = $id;
            return end($DB->tokens)->token;
        }
    }
}

namespace {
    require(__DIR__ . '/../../../codegen/moodle/local_moodlemcp/classes/connect/environment.php');
    require(__DIR__ . '/../../../codegen/moodle/local_moodlemcp/classes/connect/moodle_environment.php');
    $input = json_decode(stream_get_contents(STDIN), true, 16, JSON_THROW_ON_ERROR);
    $DB = new fake_db();
    $SESSION = (object)($input['session'] ?? []);
    $tokenid = (new \local_moodlemcp\connect\moodle_environment())->create_token((object)['id' => 3, 'shortname' => 'mcp'], 6,
        1900000000, 'moodle-mcp: probe via gateway');
    echo json_encode(['tokenid' => $tokenid, 'session' => (object)(array)$SESSION, 'calls' => \core_external\util::$calls]);
}
