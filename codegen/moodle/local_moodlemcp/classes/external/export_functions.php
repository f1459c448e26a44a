<?php
// This file is part of moodle-mcp (Apache-2.0), a Moodle local plugin used by the moodle-mcp code generator.

/**
 * Web-service function local_moodlemcp_export_functions: the exporter over REST, for site administrators.
 *
 * @package    local_moodlemcp
 * @license    http://www.apache.org/licenses/LICENSE-2.0 Apache-2.0
 */

namespace local_moodlemcp\external;

use core_external\external_api;
use core_external\external_function_parameters;
use core_external\external_single_structure;
use core_external\external_value;
use local_moodlemcp\exporter;

/**
 * Returns the moodle-external-functions/1 document of this site as a JSON string.
 */
class export_functions extends external_api {
    /**
     * No parameters.
     *
     * @return external_function_parameters
     */
    public static function execute_parameters(): external_function_parameters {
        return new external_function_parameters([]);
    }

    /**
     * Exports every external function description. Site administrators only.
     *
     * @return array ['format' => string, 'json' => string]
     */
    public static function execute(): array {
        self::validate_parameters(self::execute_parameters(), []);
        $context = \context_system::instance();
        self::validate_context($context);
        require_capability('moodle/site:config', $context);
        if (!is_siteadmin()) {
            throw new \required_capability_exception($context, 'moodle/site:config', 'nopermissions', '');
        }
        \core_php_time_limit::raise(600);
        raise_memory_limit(MEMORY_HUGE);
        return ['format' => exporter::FORMAT, 'json' => exporter::to_json(exporter::export())];
    }

    /**
     * The document format and the document itself as a JSON string.
     *
     * @return external_single_structure
     */
    public static function execute_returns(): external_single_structure {
        return new external_single_structure([
            'format' => new external_value(PARAM_RAW, 'Document format: moodle-external-functions/1'),
            'json' => new external_value(PARAM_RAW, 'The moodle-external-functions/1 document, JSON-encoded'),
        ]);
    }
}
