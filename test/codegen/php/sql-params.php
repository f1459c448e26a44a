<?php
// Shared by the PHP harnesses' stand-ins for Moodle's $DB: named parameters checked as Moodle's DML checks them.

/** Throws unless every :name in $sql is given in $params and no parameter is left unused. */
function harness_check_named_params(string $sql, array $params): void {
    preg_match_all('/(?<!:):([a-z][a-z0-9_]*)/', $sql, $used);
    $used = array_unique($used[1]);
    $missing = array_diff($used, array_keys($params));
    $extra = array_diff(array_keys($params), $used);
    if ($missing || $extra) {
        throw new RuntimeException('Incorrect number of query parameters: missing ' . implode(',', $missing)
            . '; not used ' . implode(',', $extra) . " in: {$sql}");
    }
}
