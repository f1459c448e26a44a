import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { filterResultByCourses } from '../../runtime/policy/filter.ts';

describe('filterResultByCourses', () => {
  it('filters a top-level list ([].id) without touching the input', () => {
    const courses = [{ id: 1, fullname: 'Site' }, { id: 2 }, { id: 3 }, { id: 4 }];
    const { result, removed, blocked } = filterResultByCourses(courses, ['[].id'], [2, 4]);
    assert.deepEqual(result, [{ id: 2 }, { id: 4 }]);
    assert.equal(removed, 2);
    assert.deepEqual(blocked, []);
    assert.equal(courses.length, 4);
  });

  it('filters a named list (courses[].id) and keeps the rest of the result', () => {
    const r = filterResultByCourses({ total: 3, courses: [{ id: 2 }, { id: 5 }, { id: '3' }], warnings: [] }, ['courses[].id'], [2, 3]);
    assert.deepEqual(r.result, { total: 3, courses: [{ id: 2 }, { id: '3' }], warnings: [] });
    assert.equal(r.removed, 1);
  });

  it('filters nested lists item by item (groupedbycourse[].events[].course.id)', () => {
    const result = {
      groupedbycourse: [
        { courseid: 2, events: [{ id: 1, course: { id: 2 } }, { id: 2, course: { id: 9 } }] },
        { courseid: 9, events: [{ id: 3, course: { id: 9 } }] },
      ],
    };
    const r = filterResultByCourses(result, ['groupedbycourse[].events[].course.id', 'groupedbycourse[].courseid'], [2]);
    assert.deepEqual(r.result, { groupedbycourse: [{ courseid: 2, events: [{ id: 1, course: { id: 2 } }] }] });
    assert.equal(r.removed, 3);
  });

  it('keeps items without a course id, drops items whose course id is unreadable', () => {
    const r = filterResultByCourses({ events: [{ id: 1 }, { id: 2, courseid: 2 }, { id: 3, courseid: 'x' }, { id: 4, courseid: null }] }, ['events[].courseid'], [2]);
    assert.deepEqual(r.result.events.map((e) => e.id), [1, 2, 4]);
  });

  it('filters lists inside a list too long to spread into a call', () => {
    const groups = Array.from({ length: 300_000 }, (_, i) => ({ events: [{ courseid: 2 }, { courseid: i % 2 ? 2 : 3 }] }));
    const r = filterResultByCourses({ groups }, ['groups[].events[].courseid'], [2]);
    assert.equal(r.removed, 150_000);
    assert.equal(r.result.groups[0]!.events.length, 1);
    assert.equal(r.result.groups[1]!.events.length, 2);
  });

  it('copies only what changes: the input itself when nothing is removed, unchanged parts shared otherwise', () => {
    const result = { courses: [{ id: 2 }], groups: [{ events: [{ courseid: 2 }] }, { events: [{ courseid: 2 }, { courseid: 5 }] }], site: { name: 'x' } };
    const snapshot = structuredClone(result);
    assert.equal(filterResultByCourses(result, ['courses[].id', 'groups[].events[].courseid'], [2, 5]).result, result);
    const r = filterResultByCourses(result, ['courses[].id', 'groups[].events[].courseid'], [2]).result;
    assert.deepEqual(r.groups[1]!.events, [{ courseid: 2 }]);
    assert.equal(r.courses, result.courses);
    assert.equal(r.site, result.site);
    assert.equal(r.groups[0], result.groups[0]);
    assert.equal(r.groups[1]!.events[0], result.groups[1]!.events[0]);
    assert.deepEqual(result, snapshot);
  });

  it('filters lists nested directly in lists (ids[][])', () => {
    assert.deepEqual(filterResultByCourses({ ids: [[1, 2], [3]] }, ['ids[][]'], [2]).result, { ids: [[2], []] });
  });

  it('filters a plain list of course ids (ids[])', () => {
    assert.deepEqual(filterResultByCourses({ ids: [1, 2, 3] }, ['ids[]'], [3]).result, { ids: [3] });
  });

  it('reports single course ids of other courses as blocked', () => {
    assert.deepEqual(filterResultByCourses({ cm: { course: 5 } }, ['cm.course'], [2]).blocked, ['cm.course']);
    assert.deepEqual(filterResultByCourses({ cm: { course: 2 } }, ['cm.course'], [2]).blocked, []);
  });

  it('does nothing without a restriction or without output refs', () => {
    const value = [{ id: 7 }];
    assert.equal(filterResultByCourses(value, ['[].id'], null).result, value);
    assert.equal(filterResultByCourses(value, [], [1]).result, value);
    assert.deepEqual(filterResultByCourses(value, ['[].id'], []).result, []);
  });
});
