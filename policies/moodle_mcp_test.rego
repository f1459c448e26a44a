# Runs the shared decision table (policies/cases/decisions.json, also run through the compiled WASM by
# test/policy/parity.test.ts) against the policy. Each case's `input` and `data` are deep-merged
# (object.union) over the table's defaults.
package moodle_mcp_test

import data.moodle_mcp

table := data.decision_cases

case_input(c) := object.union(table.defaults.input, c.input) if is_object(c.input)

else := table.defaults.input

case_data(c) := object.union(table.defaults.data, c.data) if is_object(c.data)

else := table.defaults.data

decide(c) := got if {
	i := case_input(c)
	d := case_data(c)
	got := moodle_mcp.decision with input as i
		with data.mode as d.mode
		with data.profiles as d.profiles
		with data.site_level_functions as d.site_level_functions
}

# As the gateway evaluates it: with data.pattern_index worked out beforehand (entrypoint moodle_mcp/pattern_index).
decide_indexed(c) := got if {
	i := case_input(c)
	d := case_data(c)
	index := moodle_mcp.pattern_index with data.profiles as d.profiles
	got := moodle_mcp.decision with input as i
		with data.mode as d.mode
		with data.profiles as d.profiles
		with data.site_level_functions as d.site_level_functions
		with data.pattern_index as index
}

matches(expect, got) if {
	expect.allow == got.allow
	not "reasons" in object.keys(expect)
}

matches(expect, got) if {
	expect.allow == got.allow
	expect.reasons == got.reasons
}

failures contains {"case": c.name, "expected": c.expect, "got": got} if {
	some c in table.cases
	got := decide(c)
	not matches(c.expect, got)
}

failures contains {"case": c.name, "indexed": true, "expected": c.expect, "got": got} if {
	some c in table.cases
	got := decide_indexed(c)
	not matches(c.expect, got)
}

test_decision_table_is_not_empty if count(table.cases) > 0

test_decision_table if {
	print("failing cases:", failures)
	count(failures) == 0
}

test_every_case_is_decided if {
	every c in table.cases {
		is_boolean(decide(c).allow)
	}
}

test_decision_without_input_denies if {
	got := moodle_mcp.decision with input as {}
	got.allow == false
	count(got.reasons) > 0
}

# "rate_limited" (the gateway answers 429) marks exactly the denials a rate limit takes part in; it is true or absent.
is_rate_limited(d) := object.get(d, "rate_limited", false)

test_rate_limited_marks_exactly_the_rate_denials if {
	names := {c.name | some c in table.cases; is_rate_limited(decide(c))}
	names == {
		"a zero rate window is invalid input",
		"all failing reasons are collected in a fixed order",
		"both rate limits reached give both reasons",
		"course facts deferred: the connection rate limit still applies",
		"connection rate limit reached is denied",
		"per-function rate limit reached is denied",
		"rate limits scale with a longer limiter window: reached",
	}
	every c in table.cases {
		object.get(decide(c), "rate_limited", true) == true
		is_rate_limited(decide_indexed(c)) == is_rate_limited(decide(c))
	}
}
