-- Nextcloud (the example): the two tables a user of the database backend
-- lives in, as Nextcloud's core migrations create them on MySQL/MariaDB
-- with the default table prefix oc_: oc_users and oc_preferences from
-- core/Migrations/Version13000Date20170718121200.php (Nextcloud 13), and
-- oc_users.uid_lower with its index from the Nextcloud 14 migration that
-- adds it for case-insensitive logins. The DDL is ours, the names and
-- types are Nextcloud's (Doctrine's string is varchar, text is longtext).
--
-- A user is a row of oc_users keyed by uid (the login). Everything else
-- about the user is key-value rows of oc_preferences: the e-mail is
-- appid 'settings', configkey 'email'; a disabled user has appid 'core',
-- configkey 'enabled' with configvalue 'false' (Nextcloud writes 'true'
-- when it enables the user again; no row means enabled).

CREATE TABLE oc_users (
  uid         varchar(64)  NOT NULL DEFAULT '',
  displayname varchar(64)  DEFAULT NULL,
  password    varchar(255) NOT NULL DEFAULT '',
  uid_lower   varchar(64)  DEFAULT '',
  PRIMARY KEY (uid),
  KEY user_uid_lower (uid_lower)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE oc_preferences (
  userid      varchar(64) NOT NULL DEFAULT '',
  appid       varchar(32) NOT NULL DEFAULT '',
  configkey   varchar(64) NOT NULL DEFAULT '',
  configvalue longtext    DEFAULT NULL,
  PRIMARY KEY (userid, appid, configkey),
  -- Not Nextcloud's: the two indexes retroscim check proposes, so that a
  -- read takes the e-mail from the index and Okta's lookup by e-mail
  -- does not scan the table.
  KEY ix_oc_preferences_userid_appid_configkey_configvalue (userid, appid, configkey, configvalue(191)),
  KEY ix_oc_preferences_configvalue_appid_configkey_userid (configvalue(191), appid, configkey, userid)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Groups of the database backend: oc_groups (gid, the primary key that
-- every other table refers to) and its members oc_group_user (gid, uid),
-- from the same Nextcloud 13 migration; oc_groups.displayname from the
-- Nextcloud 18 migration that adds it (core/Migrations/
-- Version18000Date20190920085628.php: NOT NULL, default 'name', then set
-- to the gid). oc_group_admin holds a group's sub-admins (Nextcloud 13),
-- which SCIM does not manage. The group 'admin' is the instance's
-- administrators.
CREATE TABLE oc_groups (
  gid         varchar(64)  NOT NULL DEFAULT '',
  displayname varchar(255) NOT NULL DEFAULT 'name',
  PRIMARY KEY (gid),
  -- Not Nextcloud's: the index retroscim check proposes for Okta's and
  -- Entra's lookup by name (displayName eq "...").
  KEY ix_oc_groups_displayname (displayname)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE oc_group_user (
  gid varchar(64) NOT NULL DEFAULT '',
  uid varchar(64) NOT NULL DEFAULT '',
  PRIMARY KEY (gid, uid),
  KEY gu_uid_index (uid)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE oc_group_admin (
  gid varchar(64) NOT NULL DEFAULT '',
  uid varchar(64) NOT NULL DEFAULT '',
  PRIMARY KEY (gid, uid),
  KEY group_admin_uid (uid)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The instance's admin (not SCIM's), three users of the company; Carol
-- was disabled in Nextcloud, Bob was disabled and enabled again (the
-- 'true' row Nextcloud leaves behind).
INSERT INTO oc_users (uid, displayname, password, uid_lower) VALUES
  ('admin', 'Administrator', '3|$argon2id$v=19$m=65536,t=4,p=1$c2FsdA$aGFzaA', 'admin'),
  ('alice', 'Alice Adams', '', 'alice'),
  ('bob',   'Bob Baker',   '', 'bob'),
  ('carol', 'Carol Clark', '', 'carol');
INSERT INTO oc_preferences (userid, appid, configkey, configvalue) VALUES
  ('admin', 'settings', 'email', 'admin@example.net'),
  ('alice', 'settings', 'email', 'alice@example.net'),
  ('alice', 'core', 'lang', 'en'),
  ('bob',   'settings', 'email', 'bob@example.net'),
  ('bob',   'core', 'enabled', 'true'),
  ('carol', 'settings', 'email', 'carol@example.net'),
  ('carol', 'core', 'enabled', 'false');

-- Groups made in Nextcloud's UI, whose gid is the name they were created
-- with; Sales was renamed since (its gid stays 'Sales'). The admin is in
-- 'admin' and, outside SCIM's scope, in Engineering; Bob is a sub-admin
-- of Engineering.
INSERT INTO oc_groups (gid, displayname) VALUES
  ('admin', 'admin'),
  ('Engineering', 'Engineering'),
  ('Sales', 'Sales & Marketing');
INSERT INTO oc_group_user (gid, uid) VALUES
  ('admin', 'admin'),
  ('Engineering', 'admin'),
  ('Engineering', 'alice'),
  ('Engineering', 'bob'),
  ('Sales', 'carol');
INSERT INTO oc_group_admin (gid, uid) VALUES
  ('Engineering', 'bob');
