-- Redmine (the example): the two tables a user lives in, as Redmine 5.1's
-- migrations leave them on MySQL/MariaDB (db/migrate/001_setup.rb and the
-- later migrations that change users; 20150113194759 create_email_addresses
-- and the migration that indexes email_addresses.user_id). Only the
-- columns of users that matter here and a few it keeps for itself are
-- written out; the DDL is ours, the names and types are Redmine's.
--
-- users holds every principal (type 'User', 'Group', 'AnonymousUser',
-- 'GroupAnonymous', ...); status is 1 active, 2 registered (not yet
-- activated), 3 locked. auth_source_id points to the external source a
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
  KEY ix_users_auth_source_id_login (auth_source_id, login)
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

INSERT INTO auth_sources (id, type, name, onthefly_register) VALUES
  (1, 'AuthSourceLdap', 'Company SSO', 1);

-- 1: the admin Redmine's installer creates (local password, outside SCIM).
-- 2-4: SSO users (alice active, bob active with a second address, carol
-- locked). 5: a local account (a contractor with a password). 6: a group,
-- 7: the anonymous user: principals in the same table, never SCIM users.
INSERT INTO users (id, login, hashed_password, firstname, lastname, admin, status, language, auth_source_id, created_on, updated_on, type, mail_notification, salt) VALUES
  (1, 'admin', 'a6c2b3d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5', 'Redmine', 'Admin', 1, 1, 'en', NULL, '2023-01-10 09:00:00', '2023-01-10 09:00:00', 'User', 'all', '0d1e2f3a'),
  (2, 'alice', '', 'Alice', 'Anders', 0, 1, 'en', 1, '2023-02-01 10:00:00', '2024-03-01 10:00:00', 'User', 'only_my_events', NULL),
  (3, 'bob', '', 'Bob', 'Baker', 0, 1, 'en', 1, '2023-02-02 10:00:00', '2024-03-02 10:00:00', 'User', 'only_my_events', NULL),
  (4, 'carol', '', 'Carol', 'Chen', 0, 3, 'en', 1, '2023-02-03 10:00:00', '2024-03-03 10:00:00', 'User', 'only_my_events', NULL),
  (5, 'contractor', 'f0e1d2c3b4a5968778695a4b3c2d1e0f9a8b7c6d', 'Dan', 'Dale', 0, 1, 'en', NULL, '2023-02-04 10:00:00', '2024-03-04 10:00:00', 'User', 'only_my_events', '1a2b3c4d'),
  (6, '', '', '', 'Developers', 0, 1, '', NULL, '2023-01-10 09:00:00', '2023-01-10 09:00:00', 'Group', '', NULL),
  (7, '', '', '', 'Anonymous', 0, 0, '', NULL, '2023-01-10 09:00:00', '2023-01-10 09:00:00', 'AnonymousUser', '', NULL);

INSERT INTO email_addresses (id, user_id, address, is_default, notify, created_on, updated_on) VALUES
  (1, 1, 'admin@example.net', 1, 1, '2023-01-10 09:00:00', '2023-01-10 09:00:00'),
  (2, 2, 'alice@example.net', 1, 1, '2023-02-01 10:00:00', '2023-02-01 10:00:00'),
  (3, 3, 'bob@example.net', 1, 1, '2023-02-02 10:00:00', '2023-02-02 10:00:00'),
  (4, 3, 'bob.baker@old.example.net', 0, 0, '2023-02-02 10:00:00', '2023-02-02 10:00:00'),
  (5, 4, 'carol@example.net', 1, 1, '2023-02-03 10:00:00', '2023-02-03 10:00:00'),
  (6, 5, 'dan@contractor.example', 1, 1, '2023-02-04 10:00:00', '2023-02-04 10:00:00');
