<?php
// This file is part of moodle-mcp (Apache-2.0), a Moodle local plugin used by the moodle-mcp gateway.

/**
 * What the calling user may see, as the course resolver asks it.
 *
 * @package    local_moodlemcp
 * @license    http://www.apache.org/licenses/LICENSE-2.0 Apache-2.0
 */

namespace local_moodlemcp;

/**
 * The calling user's access checks used by course_resolver.
 */
interface course_access {
    /**
     * The calling user's id.
     *
     * @return int
     */
    public function userid(): int;

    /**
     * Whether the user can access the course (enrolled, viewing, guest access, ...).
     *
     * @param \stdClass $course course record
     * @return bool
     */
    public function can_access_course(\stdClass $course): bool;

    /**
     * Whether the course category exists and is visible to the user.
     *
     * @param int $categoryid
     * @return bool
     */
    public function can_see_category(int $categoryid): bool;
}
