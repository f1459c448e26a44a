<?php
// Runs the connect flow of local_moodlemcp (codegen/moodle/local_moodlemcp/classes/connect/) against test doubles:
// the plugin's own tables in an in-memory SQLite database created from the plugin's db/install.xml, behind a $DB-like
// object implementing the DML methods the flow uses the way Moodle's DML API documents them; and an environment
// double (clock, site administrators, guests, capability holders, external services, external_tokens rows).
// Used only by test/codegen/php-connect.test.ts.
//
// Input (stdin, JSON): {"config": {connectreturnurls, connectsecret, connectservice, connectmaxdays},
//   "now": int, "services": [{id, shortname, enabled, requiredcapability, restrictedusers}],
//   "siteadmins": [userid], "guests": [userid], "loggedinas": bool (an administrator's "Log in as" session), "capable": [userid] (local/moodlemcp:connect),
//   "serviceusers": [userid] | null (who may use a service; null = everyone), "tokens": [external_tokens rows],
//   "steps": [{"op": ...}, ...]}
// Steps: info | request {params} | refusal {userid} | cancel {params} | connect {userid, params} | redeem {fields}
//   | redeem_race {fields} (a second redeem interleaved between the first one's lookup and claim) | revoke_all
//   | revoke {fields} | connections {userid} | revoke_own {userid, tokenid} | advance {seconds} | purge
//   | delete_token {tokenid}.
// A string value "@code:N", "@token:N" or "@tokenid:N" is replaced by the code (from the redirect), the token or its
// id (from the redeem answer) of step N.
// Output (stdout, JSON): {"steps": [...], "tokens": [...], "tables": {table: rows}} or {"error": message} (exit 1).

define('MOODLE_INTERNAL', true);
define('DAYSECS', 86400);

require(__DIR__ . '/sql-params.php');
$plugin = __DIR__ . '/../../../codegen/moodle/local_moodlemcp';
foreach (['request_error', 'settings', 'environment', 'request', 'flow'] as $class) {
    require($plugin . "/classes/connect/{$class}.php");
}

/**
 * Test double of moodle_database over SQLite, tables from install.xml ({name} → mdl_name, NOT NULL and unique
 * indexes as declared). Values come back as strings (or null), as from Moodle's drivers.
 */
class fake_moodle_database {
    /** @var PDO */
    private $pdo;
    /** @var array table => column names */
    public $schema = [];
    /** @var int open delegated transactions */
    public $transactions = 0;

    public function __construct(string $installxml) {
        $this->pdo = new PDO('sqlite::memory:', null, null, [PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION]);
        $xml = simplexml_load_file($installxml);
        foreach ($xml->TABLES->TABLE as $table) {
            $name = (string)$table['NAME'];
            $columns = [];
            foreach ($table->FIELDS->FIELD as $field) {
                $column = (string)$field['NAME'];
                $this->schema[$name][] = $column;
                if ((string)$field['SEQUENCE'] === 'true') {
                    $columns[] = "{$column} INTEGER PRIMARY KEY AUTOINCREMENT";
                    continue;
                }
                $type = (string)$field['TYPE'] === 'int' ? 'INTEGER' : 'TEXT';
                $notnull = (string)$field['NOTNULL'] === 'true' ? ' NOT NULL' : '';
                if ((string)$field['TYPE'] === 'char' && $field['LENGTH']) {
                    $columns[] = "{$column} {$type}{$notnull} CHECK (length({$column}) <= " . (int)$field['LENGTH'] . ')';
                } else {
                    $columns[] = "{$column} {$type}{$notnull}";
                }
            }
            $this->pdo->exec("CREATE TABLE mdl_{$name} (" . implode(', ', $columns) . ')');
            foreach ($table->INDEXES->INDEX ?? [] as $index) {
                $unique = (string)$index['UNIQUE'] === 'true' ? 'UNIQUE ' : '';
                $this->pdo->exec("CREATE {$unique}INDEX mdl_{$name}_{$index['NAME']} ON mdl_{$name} ({$index['FIELDS']})");
            }
        }
    }

    private function table(string $table): string {
        if (!isset($this->schema[$table])) {
            throw new RuntimeException("table {$table} is not in install.xml");
        }
        return 'mdl_' . $table;
    }

    /** Conditions array → SQL (null means IS NULL), as Moodle's where_clause() does. */
    private function where(string $table, ?array $conditions): array {
        if (!$conditions) {
            return ['1 = 1', []];
        }
        $sql = [];
        $params = [];
        foreach ($conditions as $column => $value) {
            if (!in_array($column, $this->schema[$table], true)) {
                throw new RuntimeException("unknown column {$column} of {$table}");
            }
            if ($value === null) {
                $sql[] = "{$column} IS NULL";
            } else {
                $sql[] = "{$column} = :w_{$column}";
                $params["w_{$column}"] = $value;
            }
        }
        return [implode(' AND ', $sql), $params];
    }

    /** Named parameters checked like Moodle: every :name given, none extra. */
    private function run(string $sql, array $params): PDOStatement {
        harness_check_named_params($sql, $params);
        $sql = preg_replace_callback('/\{([a-z][a-z0-9_]*)\}/', fn($m) => $this->table($m[1]), $sql);
        $statement = $this->pdo->prepare($sql);
        foreach ($params as $name => $value) {
            $statement->bindValue(':' . $name, $value, is_int($value) ? PDO::PARAM_INT : (is_null($value) ? PDO::PARAM_NULL : PDO::PARAM_STR));
        }
        $statement->execute();
        return $statement;
    }

    private static function record(array $row): stdClass {
        return (object)array_map(fn($v) => $v === null ? null : (string)$v, $row);
    }

    private function records(PDOStatement $statement): array {
        $records = [];
        while ($row = $statement->fetch(PDO::FETCH_ASSOC)) {
            $key = reset($row);
            if (array_key_exists($key, $records)) {
                throw new RuntimeException("duplicate first column value {$key}");
            }
            $records[$key] = self::record($row);
        }
        return $records;
    }

    public function insert_record($table, $dataobject, $returnid = true) {
        $row = (array)$dataobject;
        unset($row['id']);
        foreach (array_keys($row) as $column) {
            if (!in_array($column, $this->schema[$table] ?? [], true)) {
                throw new RuntimeException("unknown column {$column} of {$table}");
            }
        }
        $this->run('INSERT INTO {' . $table . '} (' . implode(', ', array_keys($row)) . ') VALUES ('
            . implode(', ', array_map(fn($c) => ':' . $c, array_keys($row))) . ')', $row);
        return (int)$this->pdo->lastInsertId();
    }

    public function get_record($table, array $conditions, $fields = '*') {
        [$where, $params] = $this->where($table, $conditions);
        $records = $this->records($this->run("SELECT {$fields} FROM {" . $table . "} WHERE {$where}", $params));
        if (count($records) > 1) {
            throw new RuntimeException("get_record() found more than one row in {$table}");
        }
        return $records ? reset($records) : false;
    }

    public function get_field($table, $field, array $conditions) {
        $record = $this->get_record($table, $conditions, $field);
        return $record ? $record->$field : false;
    }

    public function record_exists($table, array $conditions) {
        return $this->get_record($table, $conditions, 'id') !== false;
    }

    public function get_records($table, array $conditions = null, $sort = '', $fields = '*') {
        [$where, $params] = $this->where($table, $conditions);
        return $this->records($this->run("SELECT {$fields} FROM {" . $table . "} WHERE {$where}" . ($sort ? " ORDER BY {$sort}" : ''), $params));
    }

    public function get_records_select($table, $select, array $params = null, $sort = '', $fields = '*') {
        $this->table($table);
        return $this->records($this->run("SELECT {$fields} FROM {" . $table . "} WHERE " . ($select ?: '1 = 1')
            . ($sort ? " ORDER BY {$sort}" : ''), $params ?? []));
    }

    /** @var callable|null run once just before the next execute(): another request interleaving with this one */
    public $beforeexecute = null;

    public function execute($sql, array $params = null) {
        if ($this->beforeexecute !== null) {
            $interleaved = $this->beforeexecute;
            $this->beforeexecute = null;
            $interleaved();
        }
        $this->run($sql, $params ?? []);
        return true;
    }

    public function delete_records($table, array $conditions = null) {
        [$where, $params] = $this->where($table, $conditions);
        $this->run("DELETE FROM {" . $table . "} WHERE {$where}", $params);
        return true;
    }

    public function start_delegated_transaction() {
        $this->pdo->beginTransaction();
        $this->transactions++;
        $pdo = $this->pdo;
        $db = $this;
        return new class($pdo, $db) {
            private $pdo;
            private $db;
            public function __construct($pdo, $db) {
                $this->pdo = $pdo;
                $this->db = $db;
            }
            public function allow_commit() {
                $this->pdo->commit();
                $this->db->transactions--;
            }
        };
    }

    /** Every row of a table, for the test's assertions. */
    public function dump(string $table): array {
        return array_values(array_map(fn($r) => (array)$r, $this->get_records($table, null, 'id')));
    }
}

/** Test double of the site. */
class fake_environment implements \local_moodlemcp\connect\environment {
    public $now;
    public $tokens = [];
    private $input;
    private $nextid = 100;

    public function __construct(array $input) {
        $this->input = $input;
        $this->now = (int)$input['now'];
        foreach ($input['tokens'] ?? [] as $token) {
            $this->tokens[(int)$token['id']] = $token;
        }
    }

    public function now(): int {
        return $this->now;
    }

    public function enabled_service(string $shortname): ?\stdClass {
        foreach ($this->input['services'] ?? [] as $service) {
            if ($service['shortname'] === $shortname && !empty($service['enabled'])) {
                return (object)$service;
            }
        }
        return null;
    }

    public function is_guest(int $userid): bool {
        return in_array($userid, $this->input['guests'] ?? [], true);
    }

    public function logged_in_as(): bool {
        return (bool)($this->input['loggedinas'] ?? false);
    }

    public function is_siteadmin(int $userid): bool {
        return in_array($userid, $this->input['siteadmins'] ?? [], true);
    }

    public function can_connect(int $userid): bool {
        return in_array($userid, $this->input['capable'] ?? [], true);
    }

    public function can_use_service(\stdClass $service, int $userid): bool {
        $allowed = $this->input['serviceusers'] ?? null;
        return $allowed === null || in_array($userid, $allowed, true);
    }

    public function create_token(\stdClass $service, int $userid, int $validuntil, string $name): int {
        $id = ++$this->nextid;
        $this->tokens[$id] = ['id' => $id, 'token' => bin2hex(random_bytes(16)), 'userid' => $userid, 'tokentype' => 0,
            'externalserviceid' => (int)$service->id, 'contextid' => 1, 'validuntil' => $validuntil, 'name' => $name,
            'timecreated' => $this->now];
        return $id;
    }

    public function token(int $tokenid): ?\stdClass {
        return isset($this->tokens[$tokenid]) ? (object)$this->tokens[$tokenid] : null;
    }

    public function token_id(string $token): ?int {
        foreach ($this->tokens as $id => $row) {
            if ($row['token'] === $token) {
                return $id;
            }
        }
        return null;
    }

    public function delete_token(int $tokenid): void {
        unset($this->tokens[$tokenid]);
    }

    public function existing_token_ids(array $tokenids): array {
        return array_values(array_filter($tokenids, fn($id) => isset($this->tokens[$id])));
    }
}

/** "@code:N" / "@token:N" / "@tokenid:N" → value from the output of step N. */
function substitute($value, array $outputs) {
    if (is_array($value)) {
        return array_map(fn($v) => substitute($v, $outputs), $value);
    }
    if (!is_string($value) || !preg_match('/^@(code|token|tokenid):(\d+)$/', $value, $m)) {
        return $value;
    }
    $out = $outputs[(int)$m[2]] ?? null;
    if ($m[1] === 'code') {
        parse_str((string)parse_url($out['redirect'] ?? '', PHP_URL_QUERY), $query);
        return $query['code'] ?? '';
    }
    if ($m[1] === 'token') {
        return $out['body']['token'] ?? '';
    }
    return $out['tokenid'] ?? 0;
}

try {
    $input = json_decode(stream_get_contents(STDIN), true, 64, JSON_THROW_ON_ERROR);
    $db = new fake_moodle_database($plugin . '/db/install.xml');
    $env = new fake_environment($input);
    $settings = \local_moodlemcp\connect\settings::from_config((object)($input['config'] ?? []));
    $flow = new \local_moodlemcp\connect\flow($db, $env, $settings);
    $outputs = [];
    foreach ($input['steps'] as $i => $step) {
        $step = substitute($step, $outputs);
        $out = ['op' => $step['op']];
        try {
            switch ($step['op']) {
                case 'info':
                    $out['enabled'] = $flow->enabled();
                    $out['returnurls'] = $settings->returnurls;
                    break;
                case 'request':
                    $request = \local_moodlemcp\connect\request::from_params($step['params'], $settings, $env->now());
                    $out['request'] = $request->params();
                    $out['tokenname'] = $flow->token_name($request);
                    break;
                case 'refusal':
                    $out['refusal'] = $flow->refusal((int)$step['userid']);
                    break;
                case 'cancel':
                    $request = \local_moodlemcp\connect\request::from_params($step['params'], $settings, $env->now());
                    $out['redirect'] = $flow->error_url($request, 'access_denied', 'The person cancelled the connection.');
                    break;
                case 'connect':
                    $request = \local_moodlemcp\connect\request::from_params($step['params'], $settings, $env->now());
                    $before = array_keys($env->tokens);
                    $out['redirect'] = $flow->connect($request, (int)$step['userid']);
                    $created = array_values(array_diff(array_keys($env->tokens), $before));
                    $out['tokenid'] = $created[0] ?? null;
                    break;
                case 'redeem':
                    [$out['status'], $out['body']] = $flow->redeem($step['fields']);
                    $out['tokenid'] = isset($out['body']['token']) ? $env->token_id($out['body']['token']) : null;
                    break;
                case 'redeem_race':
                    // Two redeems of the same code: the second runs whole between the first one's lookup and its claim.
                    $db->beforeexecute = function() use ($flow, $step, &$out) {
                        [$status, $body] = $flow->redeem($step['fields']);
                        $out['second'] = ['status' => $status, 'body' => $body];
                    };
                    [$out['status'], $out['body']] = $flow->redeem($step['fields']);
                    break;
                case 'revoke':
                    [$out['status'], $out['body']] = $flow->revoke($step['fields']);
                    break;
                case 'connections':
                    $out['connections'] = $flow->connections((int)$step['userid']);
                    break;
                case 'revoke_own':
                    $out['revoked'] = $flow->revoke_own((int)$step['userid'], (int)$step['tokenid']);
                    break;
                case 'advance':
                    $env->now += (int)$step['seconds'];
                    break;
                case 'revoke_all':
                    $out['revoked_all'] = $flow->revoke_all();
                    break;
                case 'purge':
                    $out['purged'] = $flow->purge();
                    break;
                case 'delete_token':
                    $env->delete_token((int)$step['tokenid']);
                    break;
                default:
                    throw new RuntimeException("unknown step {$step['op']}");
            }
        } catch (\local_moodlemcp\connect\request_error $e) {
            $out['request_error'] = ['field' => $e->field, 'message' => $e->getMessage()];
        }
        $out['open_transactions'] = $db->transactions;
        $outputs[$i] = $out;
    }
    echo json_encode(['steps' => $outputs, 'tokens' => array_values($env->tokens),
        'tables' => ['local_moodlemcp_tokens' => $db->dump('local_moodlemcp_tokens'), 'local_moodlemcp_codes' => $db->dump('local_moodlemcp_codes')]],
        JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE);
} catch (Throwable $e) {
    echo json_encode(['error' => get_class($e) . ': ' . $e->getMessage() . ' at ' . basename($e->getFile()) . ':' . $e->getLine()]);
    exit(1);
}
