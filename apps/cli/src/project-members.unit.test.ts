// The member arithmetic of `beamline project create|set-member|remove-member`: parsing, one role
// per member, replacing a role in place, and never leaving a project without an owner.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { membersOf, parseMember, withMember, withoutMember } from './commands/project.ts';

describe('project members', () => {
  const alice = parseMember('alice@lab.org', 'owner');
  const physics = parseMember('group:physics', 'member');

  test('a user or group:NAME, the prefix-free name the identity provider gives', () => {
    assert.deepEqual(alice, { kind: 'User', name: 'alice@lab.org', role: 'owner' });
    assert.deepEqual(physics, { kind: 'Group', name: 'physics', role: 'member' });
    assert.deepEqual(parseMember('user:bob', 'viewer'), { kind: 'User', name: 'bob', role: 'viewer' });
    assert.throws(() => parseMember('group:', 'member'), /invalid --member "group:"/);
  });

  test('create needs an owner and one role per member', () => {
    assert.throws(() => membersOf({ member: ['bob'] }), /a project needs an owner/);
    assert.throws(() => membersOf({ owner: ['a'], viewer: ['a'] }), /user "a" is given twice/);
    assert.equal(membersOf({ owner: ['a'], member: ['group:a'] }).length, 2, 'a user and a group may share a name');
  });

  test('set-member replaces a role in place or appends', () => {
    assert.deepEqual(withMember([alice, physics], { ...physics, role: 'viewer' }), [alice, { ...physics, role: 'viewer' }]);
    const bob = parseMember('bob@lab.org', 'member');
    assert.deepEqual(withMember([alice], bob), [alice, bob]);
  });

  test('remove-member refuses a stranger and the last owner', () => {
    assert.deepEqual(withoutMember([alice, physics], 'Group', 'physics'), [alice]);
    assert.throws(() => withoutMember([alice], 'User', 'carol'), /user "carol" is not a member/);
    assert.throws(() => withoutMember([alice, physics], 'User', 'alice@lab.org'), /keeps at least one owner/);
    assert.throws(() => withoutMember([alice], 'Group', 'alice@lab.org'), /group "alice@lab.org" is not a member/, 'kind matters');
  });
});
