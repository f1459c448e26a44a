<?php
// This file is part of moodle-mcp (Apache-2.0), a Moodle local plugin used by the moodle-mcp gateway.

/**
 * Web-service function local_moodlemcp_resolve_courses: the course of each entity (discussion, attempt, context, ...)
 * in a batch, for the moodle-mcp gateway's course restrictions.
 *
 * @package    local_moodlemcp
 * @license    http://www.apache.org/licenses/LICENSE-2.0 Apache-2.0
 */

namespace local_moodlemcp\external;

use core_external\external_api;
use core_external\external_function_parameters;
use core_external\external_multiple_structure;
use core_external\external_single_structure;
use core_external\external_value;
use local_moodlemcp\course_resolver;
use local_moodlemcp\moodle_course_access;

/**
 * Resolves (entity type, id) pairs to course ids, as the calling user.
 */
class resolve_courses extends external_api {
    /**
     * A list of references (at most 100).
     *
     * @return external_function_parameters
     */
    public static function execute_parameters(): external_function_parameters {
        return new external_function_parameters([
            'refs' => new external_multiple_structure(new external_single_structure([
                'type' => new external_value(PARAM_ALPHANUMEXT, 'Entity type (course_module, forum_discussion, context, ..., '
                    . 'mod_<module> for an activity instance such as mod_forum); unknown types answer unknown'),
                'id' => new external_value(PARAM_INT, 'Entity id'),
            ]), 'References to resolve (at most ' . course_resolver::MAX_REFS . ')'),
        ]);
    }

    /**
     * The course of each reference, in the order given: 'course' (with its id) only when the entity exists and the
     * calling user can access its course; 'nocourse' when it exists outside any course and the user may see it;
     * otherwise 'unknown'.
     *
     * @param array $refs
     * @return array ['results' => [...]]
     */
    public static function execute(array $refs): array {
        global $DB;
        ['refs' => $refs] = self::validate_parameters(self::execute_parameters(), ['refs' => $refs]);
        self::validate_context(\context_system::instance());
        if (count($refs) > course_resolver::MAX_REFS) {
            throw new \invalid_parameter_exception('at most ' . course_resolver::MAX_REFS . ' refs per call');
        }
        $resolver = new course_resolver($DB, new moodle_course_access());
        return ['results' => $resolver->resolve($refs)];
    }

    /**
     * One result per reference.
     *
     * @return external_single_structure
     */
    public static function execute_returns(): external_single_structure {
        return new external_single_structure([
            'results' => new external_multiple_structure(new external_single_structure([
                'type' => new external_value(PARAM_ALPHANUMEXT, 'Entity type, as given'),
                'id' => new external_value(PARAM_INT, 'Entity id, as given'),
                'status' => new external_value(PARAM_ALPHA, 'course | nocourse | unknown'),
                'courseid' => new external_value(PARAM_INT, 'Course id when status is course, else 0'),
            ])),
        ]);
    }
}
