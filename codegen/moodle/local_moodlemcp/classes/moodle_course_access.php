<?php
// This file is part of moodle-mcp (Apache-2.0), a Moodle local plugin used by the moodle-mcp gateway.

/**
 * The calling user's access checks, answered by Moodle's access API.
 *
 * @package    local_moodlemcp
 * @license    http://www.apache.org/licenses/LICENSE-2.0 Apache-2.0
 */

namespace local_moodlemcp;

/**
 * course_access for the logged-in user ($USER): can_access_course() and core_course_category visibility.
 */
class moodle_course_access implements course_access {
    /**
     * The calling user's id.
     *
     * @return int
     */
    public function userid(): int {
        global $USER;
        return (int)$USER->id;
    }

    /**
     * Moodle's can_access_course() for the calling user.
     *
     * @param \stdClass $course course record
     * @return bool
     */
    public function can_access_course(\stdClass $course): bool {
        return can_access_course($course);
    }

    /**
     * Whether the category exists and the calling user may see it (hidden ones need moodle/category:viewhiddencategories).
     *
     * @param int $categoryid
     * @return bool
     */
    public function can_see_category(int $categoryid): bool {
        return \core_course_category::get($categoryid, IGNORE_MISSING) !== null;
    }
}
