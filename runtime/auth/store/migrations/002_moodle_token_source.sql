-- moodle-mcp auth store, schema version 2: where a connection's Moodle token came from (plugin | password | pasted).
ALTER TABLE connections ADD COLUMN moodle_token_source text CHECK (moodle_token_source IN ('plugin', 'password', 'pasted'));
