<?php
// Runs local_moodlemcp\privacy\provider::get_metadata() against a double of core_privacy's metadata collection
// (the add_database_table / add_external_location_link signatures of Moodle's privacy API) and prints what it
// declared as JSON: [{"type", "name", "fields": {field: string id}, "summary"}]. Used only by test/codegen/php-connect.test.ts.

namespace {
    define('MOODLE_INTERNAL', true);
}

namespace core_privacy\local\metadata {
    interface provider {
    }
    class collection {
        public $items = [];
        public function add_database_table($name, array $privacyfields, $summary = '') {
            $this->items[] = ['type' => 'database_table', 'name' => $name, 'fields' => $privacyfields, 'summary' => $summary];
            return $this;
        }
        public function add_external_location_link($name, array $privacyfields, $summary = '') {
            $this->items[] = ['type' => 'external_location', 'name' => $name, 'fields' => $privacyfields, 'summary' => $summary];
            return $this;
        }
        public function add_subsystem_link($name, array $privacyfields = [], $summary = '') {
            $this->items[] = ['type' => 'subsystem_link', 'name' => $name, 'fields' => $privacyfields, 'summary' => $summary];
            return $this;
        }
    }
}

namespace core_privacy\local\request\plugin {
    interface provider {
    }
}

namespace core_privacy\local\request {
    interface core_userlist_provider {
    }
}

namespace {
    require(__DIR__ . '/../../../codegen/moodle/local_moodlemcp/classes/privacy/provider.php');
    $collection = \local_moodlemcp\privacy\provider::get_metadata(new \core_privacy\local\metadata\collection());
    echo json_encode($collection->items, JSON_UNESCAPED_SLASHES);
}
