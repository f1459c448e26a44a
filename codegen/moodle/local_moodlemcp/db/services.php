<?php
// This file is part of moodle-mcp (Apache-2.0), a Moodle local plugin used by the moodle-mcp code generator.

/**
 * Web-service function definitions.
 *
 * @package    local_moodlemcp
 * @license    http://www.apache.org/licenses/LICENSE-2.0 Apache-2.0
 */

defined('MOODLE_INTERNAL') || die();

$functions = [
    'local_moodlemcp_export_functions' => [
        'classname' => 'local_moodlemcp\external\export_functions',
        'methodname' => 'execute',
        'description' => 'Exports the description of every external function of this site (format moodle-external-functions/1) '
            . 'for the moodle-mcp code generator. Site administrators only.',
        'type' => 'read',
        'capabilities' => 'moodle/site:config',
        'ajax' => false,
        'loginrequired' => true,
    ],
    'local_moodlemcp_resolve_courses' => [
        'classname' => 'local_moodlemcp\external\resolve_courses',
        'methodname' => 'execute',
        'description' => 'Returns the course of each entity (course module, discussion, attempt, context, ...) in a batch of at '
            . 'most 100, as the calling user: the course only when the entity exists and the user can access that course, '
            . 'otherwise unknown (or nocourse for entities outside any course). Used by the moodle-mcp gateway to enforce '
            . 'course restrictions.',
        'type' => 'read',
        'ajax' => false,
        'loginrequired' => true,
    ],
];
