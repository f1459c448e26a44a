<?php
// This file is part of moodle-mcp (Apache-2.0), a Moodle local plugin used by the moodle-mcp gateway.

/**
 * Admin setting: the gateway callback URLs, one per line.
 *
 * @package    local_moodlemcp
 * @license    http://www.apache.org/licenses/LICENSE-2.0 Apache-2.0
 */

namespace local_moodlemcp\admin;

/**
 * A textarea whose every non-blank line must be an absolute http(s) URL without a fragment.
 */
class setting_return_urls extends \admin_setting_configtextarea {
    /**
     * Names the first line that cannot be used.
     *
     * @param string $data
     * @return true|string
     */
    public function validate($data) {
        foreach (preg_split('/\R/', (string)$data) as $number => $line) {
            $line = trim($line);
            if ($line === '') {
                continue;
            }
            $why = \local_moodlemcp\connect\settings::invalid_return_url($line);
            if ($why !== null) {
                return get_string('connectreturnurls_invalid', 'local_moodlemcp', (object)['line' => $number + 1, 'why' => $why]);
            }
        }
        return true;
    }
}
