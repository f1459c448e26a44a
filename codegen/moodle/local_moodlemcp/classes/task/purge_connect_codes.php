<?php
// This file is part of moodle-mcp (Apache-2.0), a Moodle local plugin used by the moodle-mcp gateway.

/**
 * Scheduled clean-up of the connect flow.
 *
 * @package    local_moodlemcp
 * @license    http://www.apache.org/licenses/LICENSE-2.0 Apache-2.0
 */

namespace local_moodlemcp\task;

/**
 * Deletes the tokens of one-time codes that expired unredeemed, and forgets tokens deleted in Moodle.
 */
class purge_connect_codes extends \core\task\scheduled_task {
    /**
     * Task name.
     *
     * @return string
     */
    public function get_name() {
        return get_string('taskpurgeconnectcodes', 'local_moodlemcp');
    }

    /**
     * Runs flow::purge().
     */
    public function execute() {
        $done = \local_moodlemcp\connect\flow::for_site()->purge();
        mtrace("local_moodlemcp: {$done['expired']} token(s) of expired codes deleted, {$done['gone']} deleted token(s) forgotten");
    }
}
