<?php
// This file is part of moodle-mcp (Apache-2.0), a Moodle local plugin used by the moodle-mcp gateway.

/**
 * JSON answers of the server-to-server pages (connectinfo.php, redeem.php, revoke.php).
 *
 * @package    local_moodlemcp
 * @license    http://www.apache.org/licenses/LICENSE-2.0 Apache-2.0
 */

namespace local_moodlemcp\connect;

/**
 * Sends JSON (never HTML) with no caching.
 */
class http {
    /**
     * Sends a JSON answer.
     *
     * @param int $status HTTP status
     * @param array $body
     */
    public static function send_json(int $status, array $body): void {
        http_response_code($status);
        header('Content-Type: application/json; charset=utf-8');
        header('Cache-Control: no-store');
        header('X-Content-Type-Options: nosniff');
        echo json_encode($body, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE);
    }

    /**
     * The form fields of a POST request, or null when the request is not a POST (fields in the query are ignored:
     * secrets and codes must not travel in URLs).
     *
     * @return array|null
     */
    public static function post_fields(): ?array {
        if (($_SERVER['REQUEST_METHOD'] ?? '') !== 'POST') {
            return null;
        }
        return $_POST;
    }

    /**
     * Runs a server-to-server handler: 405 unless POST, 500 server_error (logged, no details) on any fault.
     *
     * @param callable $handler fields => [status, body]
     */
    public static function serve_post(callable $handler): void {
        $fields = self::post_fields();
        if ($fields === null) {
            header('Allow: POST');
            self::send_json(405, ['error' => 'invalid_request', 'error_description' => 'Use POST with a form-encoded body.']);
            return;
        }
        try {
            [$status, $body] = $handler($fields);
        } catch (\Throwable $e) {
            error_log('local_moodlemcp ' . basename($_SERVER['SCRIPT_NAME'] ?? '') . ': ' . self::fault_summary($e));
            [$status, $body] = [500, ['error' => 'server_error', 'error_description' => 'The request could not be completed.']];
        }
        self::send_json($status, $body);
    }

    /**
     * What to log about a fault: its class, Moodle error code and where it was thrown, never its message (with debugging
     * on, a DML exception's message carries the query's parameters: a code hash, a token value).
     *
     * @param \Throwable $e
     * @return string
     */
    public static function fault_summary(\Throwable $e): string {
        $code = property_exists($e, 'errorcode') && is_string($e->errorcode) ? " ({$e->errorcode})" : '';
        return get_class($e) . $code . ' at ' . basename($e->getFile()) . ':' . $e->getLine();
    }

    /**
     * Forbids framing the page (the connect confirm page: a framed Connect button could be clicked by a page the person
     * is tricked into using). Moodle sends X-Frame-Options: sameorigin only while allowframembedding is off; this also
     * holds when it is on.
     */
    public static function forbid_framing(): void {
        header("Content-Security-Policy: frame-ancestors 'none'");
        header('X-Frame-Options: DENY');
    }
}
