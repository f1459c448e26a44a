<?php
// Test double of the few Moodle definitions the exporter uses (constants and core_external description classes),
// written from Moodle's documented constructor signatures. Used only by test/codegen/php-exporter.test.ts.

namespace {
    define('MOODLE_INTERNAL', true);
    define('VALUE_REQUIRED', 1);
    define('VALUE_OPTIONAL', 2);
    define('VALUE_DEFAULT', 0);
    define('NULL_NOT_ALLOWED', false);
    define('NULL_ALLOWED', true);
    foreach (['alpha', 'alphaext', 'alphanum', 'alphanumext', 'area', 'auth', 'base64', 'bool', 'capability', 'clean', 'cleanfile', 'cleanhtml',
            'component', 'email', 'file', 'float', 'host', 'int', 'lang', 'localisedfloat', 'localurl', 'notags', 'path', 'pem',
            'permission', 'plugin', 'raw', 'raw_trimmed', 'safedir', 'safepath', 'sequence', 'stringid', 'tag', 'taglist', 'text',
            'theme', 'timezone', 'url', 'username'] as $type) {
        define('PARAM_' . strtoupper($type), $type);
    }
    define('PARAM_INTEGER', 'int');
    define('PARAM_NUMBER', 'float');
    define('PARAM_ACTION', 'alphanumext');
    define('PARAM_FORMAT', 'alphanumext');
    define('PARAM_MULTILANG', 'text');

    class coding_exception extends \Exception {
    }
}

namespace core_external {
    abstract class external_description {
        public $desc;
        public $required;
        public $default;
        public $allownull;
        public function __construct($desc, $required, $default, $allownull = NULL_NOT_ALLOWED) {
            $this->desc = $desc;
            $this->required = $required;
            $this->default = $default;
            $this->allownull = $allownull;
        }
    }

    class external_value extends external_description {
        public $type;
        public function __construct($type, $desc = '', $required = VALUE_REQUIRED, $default = null, $allownull = NULL_ALLOWED) {
            parent::__construct($desc, $required, $default, $allownull);
            $this->type = $type;
        }
    }

    class external_single_structure extends external_description {
        public $keys;
        public function __construct(array $keys = [], $desc = '', $required = VALUE_REQUIRED, $default = null,
                $allownull = NULL_NOT_ALLOWED) {
            parent::__construct($desc, $required, $default, $allownull);
            $this->keys = $keys;
        }
    }

    class external_function_parameters extends external_single_structure {
    }

    class external_multiple_structure extends external_description {
        public $content;
        public function __construct(external_description $content, $desc = '', $required = VALUE_REQUIRED, $default = null,
                $allownull = NULL_NOT_ALLOWED) {
            parent::__construct($desc, $required, $default, $allownull);
            $this->content = $content;
        }
    }

    class external_api {
    }
}
