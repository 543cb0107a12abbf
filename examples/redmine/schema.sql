-- Redmine (the example): the tables a user and a group live in, as
-- Redmine 5.1's migrations leave them on MySQL/MariaDB (db/migrate/
-- 001_setup.rb and the later migrations that change users;
-- 20090704172355_create_groups_users; 20150113194759
-- create_email_addresses and the migration that indexes
-- email_addresses.user_id; members and member_roles from 001_setup.rb,
-- 20090503121501_create_member_roles and the migrations after). Only the
-- columns that matter here and a few Redmine keeps for itself are
-- written out; the DDL is ours, the names and types are Redmine's.
--
-- users holds every principal (type 'User', 'Group', 'AnonymousUser',
-- 'GroupAnonymous', 'GroupNonMember'; app/models/principal.rb is the one
-- model over the table, Group and User its subclasses); status is 1
-- active, 2 registered (not yet activated), 3 locked. A group is a row
-- with type 'Group' whose lastname is the group's name (Group#name;
-- validated present, unique in any case, at most 255 characters) and
-- whose login, password and firstname are '' (Principal's
-- set_default_empty_values); its members are rows of groups_users. auth_source_id points to the external source a
-- user signs in through (here the company's SSO, auth_sources.id = 1);
-- local password accounts have none. A user's e-mail addresses are rows of
-- email_addresses; the one with is_default = 1 is the address Redmine
-- shows and mails (Redmine keeps one per user; the table has no unique key
-- to say so).

CREATE TABLE auth_sources (
  id                int(11)      NOT NULL AUTO_INCREMENT PRIMARY KEY,
  type              varchar(30)  NOT NULL DEFAULT '',
  name              varchar(60)  NOT NULL DEFAULT '',
  onthefly_register tinyint(1)   NOT NULL DEFAULT 0
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE users (
  id                 int(11)      NOT NULL AUTO_INCREMENT PRIMARY KEY,
  login              varchar(255) NOT NULL DEFAULT '',
  hashed_password    varchar(40)  NOT NULL DEFAULT '',
  firstname          varchar(30)  NOT NULL DEFAULT '',
  lastname           varchar(255) NOT NULL DEFAULT '',
  admin              tinyint(1)   NOT NULL DEFAULT 0,
  status             int(11)      NOT NULL DEFAULT 1,
  last_login_on      datetime     DEFAULT NULL,
  language           varchar(5)   DEFAULT '',
  auth_source_id     int(11)      DEFAULT NULL,
  created_on         datetime     DEFAULT NULL,
  updated_on         datetime     DEFAULT NULL,
  type               varchar(255) DEFAULT NULL,
  mail_notification  varchar(255) NOT NULL DEFAULT '',
  salt               varchar(64)  DEFAULT NULL,
  must_change_passwd tinyint(1)   NOT NULL DEFAULT 0,
  passwd_changed_on  datetime     DEFAULT NULL,
  twofa_scheme       varchar(255) DEFAULT NULL,
  twofa_required     tinyint(1)   DEFAULT 0,
  KEY index_users_on_id_and_type (id, type),
  KEY index_users_on_auth_source_id (auth_source_id),
  KEY index_users_on_type (type),
  -- Not Redmine's: the index retroscim check proposes for Okta's lookup
  -- by login inside the scope (Redmine checks login uniqueness itself).
  KEY ix_users_auth_source_id_login (auth_source_id, login),
  -- Not Redmine's: the index check proposes for Okta's and Entra's
  -- lookup of a group by name (displayName eq) among the groups.
  KEY ix_users_type_lastname (type, lastname)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE email_addresses (
  id         int(11)      NOT NULL AUTO_INCREMENT PRIMARY KEY,
  user_id    int(11)      NOT NULL,
  address    varchar(255) NOT NULL,
  is_default tinyint(1)   NOT NULL DEFAULT 0,
  notify     tinyint(1)   NOT NULL DEFAULT 1,
  created_on datetime     NOT NULL,
  updated_on datetime     NOT NULL,
  KEY index_email_addresses_on_user_id (user_id),
  -- Not Redmine's: the indexes retroscim check proposes, for reading the
  -- default address with the user (key, selector, value) and for Okta's
  -- match of imported users by e-mail (value, selector, key).
  KEY ix_email_addresses_user_id_is_default_address (user_id, is_default, address),
  KEY ix_email_addresses_address_is_default_user_id (address, is_default, user_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- A group's members (Group has_and_belongs_to_many :users through it).
CREATE TABLE groups_users (
  group_id int(11) NOT NULL,
  user_id  int(11) NOT NULL,
  UNIQUE KEY groups_users_ids (group_id, user_id),
  -- Not Redmine's: the index check proposes for a user's groups
  -- (groups[value eq ...], the groups of a user on request).
  KEY ix_groups_users_user_id_group_id (user_id, group_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- Project memberships of users and groups, with their roles. When a user
-- joins a group in Redmine, Group#user_added copies the group's project
-- roles into the user's own members/member_roles rows (inherited_from is
-- the group's member_roles.id); SCIM writes groups_users only and never
-- reads or changes these (the README says what that means).
CREATE TABLE members (
  id                int(11)    NOT NULL AUTO_INCREMENT PRIMARY KEY,
  user_id           int(11)    NOT NULL DEFAULT 0,
  project_id        int(11)    NOT NULL DEFAULT 0,
  created_on        datetime   DEFAULT NULL,
  mail_notification tinyint(1) NOT NULL DEFAULT 0,
  UNIQUE KEY index_members_on_user_id_and_project_id (user_id, project_id),
  KEY index_members_on_project_id (project_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE member_roles (
  id             int(11) NOT NULL AUTO_INCREMENT PRIMARY KEY,
  member_id      int(11) NOT NULL,
  role_id        int(11) NOT NULL,
  inherited_from int(11) DEFAULT NULL,
  KEY index_member_roles_on_member_id (member_id),
  KEY index_member_roles_on_role_id (role_id),
  KEY index_member_roles_on_inherited_from (inherited_from)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

INSERT INTO auth_sources (id, type, name, onthefly_register) VALUES
  (1, 'AuthSourceLdap', 'Company SSO', 1);

-- 1: the admin Redmine's installer creates (local password, outside SCIM).
-- 2-4: SSO users (alice active, bob active with a second address, carol
-- locked). 5: a local account (a contractor with a password). 6 and 8:
-- groups; 7: the anonymous user; 9 and 10: the built-in groups Redmine
-- creates on first use (GroupBuiltin.load_instance: type GroupAnonymous
-- and GroupNonMember, lastname the class name), which hold the
-- permissions of anonymous users and non-members and can have no members.
-- All are principals in the same table and never SCIM users.
INSERT INTO users (id, login, hashed_password, firstname, lastname, admin, status, language, auth_source_id, created_on, updated_on, type, mail_notification, salt) VALUES
  (1, 'admin', 'a6c2b3d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5', 'Redmine', 'Admin', 1, 1, 'en', NULL, '2023-01-10 09:00:00', '2023-01-10 09:00:00', 'User', 'all', '0d1e2f3a'),
  (2, 'alice', '', 'Alice', 'Anders', 0, 1, 'en', 1, '2023-02-01 10:00:00', '2024-03-01 10:00:00', 'User', 'only_my_events', NULL),
  (3, 'bob', '', 'Bob', 'Baker', 0, 1, 'en', 1, '2023-02-02 10:00:00', '2024-03-02 10:00:00', 'User', 'only_my_events', NULL),
  (4, 'carol', '', 'Carol', 'Chen', 0, 3, 'en', 1, '2023-02-03 10:00:00', '2024-03-03 10:00:00', 'User', 'only_my_events', NULL),
  (5, 'contractor', 'f0e1d2c3b4a5968778695a4b3c2d1e0f9a8b7c6d', 'Dan', 'Dale', 0, 1, 'en', NULL, '2023-02-04 10:00:00', '2024-03-04 10:00:00', 'User', 'only_my_events', '1a2b3c4d'),
  (6, '', '', '', 'Developers', 0, 1, '', NULL, '2023-01-10 09:00:00', '2023-01-10 09:00:00', 'Group', '', NULL),
  (7, '', '', '', 'Anonymous', 0, 0, '', NULL, '2023-01-10 09:00:00', '2023-01-10 09:00:00', 'AnonymousUser', '', NULL),
  (8, '', '', '', 'Reporters', 0, 1, '', NULL, '2023-01-11 09:00:00', '2023-01-11 09:00:00', 'Group', '', NULL),
  (9, '', '', '', 'GroupAnonymous', 0, 1, '', NULL, '2023-01-10 09:00:00', '2023-01-10 09:00:00', 'GroupAnonymous', '', NULL),
  (10, '', '', '', 'GroupNonMember', 0, 1, '', NULL, '2023-01-10 09:00:00', '2023-01-10 09:00:00', 'GroupNonMember', '', NULL);

INSERT INTO email_addresses (id, user_id, address, is_default, notify, created_on, updated_on) VALUES
  (1, 1, 'admin@example.net', 1, 1, '2023-01-10 09:00:00', '2023-01-10 09:00:00'),
  (2, 2, 'alice@example.net', 1, 1, '2023-02-01 10:00:00', '2023-02-01 10:00:00'),
  (3, 3, 'bob@example.net', 1, 1, '2023-02-02 10:00:00', '2023-02-02 10:00:00'),
  (4, 3, 'bob.baker@old.example.net', 0, 0, '2023-02-02 10:00:00', '2023-02-02 10:00:00'),
  (5, 4, 'carol@example.net', 1, 1, '2023-02-03 10:00:00', '2023-02-03 10:00:00'),
  (6, 5, 'dan@contractor.example', 1, 1, '2023-02-04 10:00:00', '2023-02-04 10:00:00');

-- Developers (6): Alice and the contractor (a local account SCIM does not
-- see); Reporters (8): Bob.
INSERT INTO groups_users (group_id, user_id) VALUES (6, 2), (6, 5), (8, 3);

-- Developers are members of project 1 with role 4 (Developer); Alice and
-- the contractor inherited it when they joined (inherited_from 1).
INSERT INTO members (id, user_id, project_id, created_on, mail_notification) VALUES
  (1, 6, 1, '2023-01-12 09:00:00', 0),
  (2, 2, 1, '2023-02-01 10:00:00', 0),
  (3, 5, 1, '2023-02-04 10:00:00', 0);
INSERT INTO member_roles (id, member_id, role_id, inherited_from) VALUES
  (1, 1, 4, NULL),
  (2, 2, 4, 1),
  (3, 3, 4, 1);
