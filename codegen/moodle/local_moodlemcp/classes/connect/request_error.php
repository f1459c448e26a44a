<?php
// This file is part of moodle-mcp (Apache-2.0), a Moodle local plugin used by the moodle-mcp gateway.

/**
 * A connect.php request that cannot be answered with a redirect (bad or missing parameter, return_to not allowed).
 *
 * @package    local_moodlemcp
 * @license    http://www.apache.org/licenses/LICENSE-2.0 Apache-2.0
 */

namespace local_moodlemcp\connect;

/**
 * Names the parameter and why it was refused; connect.php shows it on a Moodle error page, never redirects.
 */
class request_error extends \Exception {
    /** @var string the parameter at fault */
    public $field;

    /**
     * @param string $field parameter name
     * @param string $reason why it was refused
     */
    public function __construct(string $field, string $reason) {
        parent::__construct("{$field}: {$reason}");
        $this->field = $field;
    }
}
