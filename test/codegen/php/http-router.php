<?php
// Router for PHP's built-in web server: serves local_moodlemcp\connect\http (codegen/moodle/local_moodlemcp/classes/
// connect/http.php) so that test/codegen/php-connect.test.ts can read the real response headers and the server's log.
//   GET  /framing  -> http::forbid_framing(), then a page
//   GET  /json     -> http::send_json(200, {"ok": true})
//   POST /fault    -> http::serve_post() with a handler that throws an exception whose message carries a secret
//   *    /echo     -> http::serve_post() answering the fields it was given

define('MOODLE_INTERNAL', true);
require(__DIR__ . '/../../../codegen/moodle/local_moodlemcp/classes/connect/http.php');

use local_moodlemcp\connect\http;

/** Like Moodle's dml_read_exception with debugging on: the message carries the query's parameters. */
class fake_dml_exception extends Exception {
    public $errorcode = 'dmlreadexception';
}

switch (parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH)) {
    case '/framing':
        http::forbid_framing();
        echo '<p>page</p>';
        break;
    case '/json':
        http::send_json(200, ['ok' => true]);
        break;
    case '/fault':
        http::serve_post(function(array $fields) {
            throw new fake_dml_exception("Error reading from database [array ('token' => '{$fields['token']}')]");
        });
        break;
    case '/echo':
        http::serve_post(fn(array $fields) => [200, ['fields' => $fields]]);
        break;
    default:
        http_response_code(404);
}
