-- Zabbix 6.4's users and roles (database/mysql/schema.sql; users keeps the
-- columns these tests use). users.roleid is NOT NULL: every user has a
-- role, and Zabbix allocates userid itself (no AUTO_INCREMENT).
CREATE TABLE role (
  roleid bigint unsigned NOT NULL,
  name varchar(255) DEFAULT '' NOT NULL,
  type integer DEFAULT '0' NOT NULL,
  readonly integer DEFAULT '0' NOT NULL,
  PRIMARY KEY (roleid)
) ENGINE=InnoDB;
CREATE UNIQUE INDEX role_1 ON role (name);

CREATE TABLE users (
  userid bigint unsigned NOT NULL,
  username varchar(100) DEFAULT '' NOT NULL,
  name varchar(100) DEFAULT '' NOT NULL,
  surname varchar(100) DEFAULT '' NOT NULL,
  passwd varchar(60) DEFAULT '' NOT NULL,
  roleid bigint unsigned NOT NULL,
  userdirectoryid bigint unsigned DEFAULT NULL,
  ts_provisioned integer DEFAULT '0' NOT NULL,
  PRIMARY KEY (userid),
  CONSTRAINT c_users_1 FOREIGN KEY (roleid) REFERENCES role (roleid) ON DELETE CASCADE
) ENGINE=InnoDB;
CREATE UNIQUE INDEX users_1 ON users (username);
CREATE INDEX users_2 ON users (userdirectoryid);
CREATE INDEX users_3 ON users (roleid);

INSERT INTO role (roleid, name, type, readonly) VALUES
  (1, 'User role', 1, 0), (2, 'Admin role', 2, 0), (3, 'Super admin role', 3, 1), (4, 'Guest role', 1, 0);

-- Admin and guest are local; Alice and Bob came through SAML (user
-- directory 1).
INSERT INTO users (userid, username, name, surname, roleid, userdirectoryid) VALUES
  (1, 'Admin', 'Zabbix', 'Administrator', 3, NULL),
  (2, 'guest', '', '', 4, NULL),
  (3, 'alice', 'Alice', 'Ames', 2, 1),
  (4, 'bob', 'Bob', 'Berg', 1, 1);

-- User groups: users_groups.id has no AUTO_INCREMENT either; Zabbix
-- takes ids from its ids table, where nextid is the last id handed out.
CREATE TABLE usrgrp (
  usrgrpid bigint unsigned NOT NULL,
  name varchar(64) DEFAULT '' NOT NULL,
  gui_access integer DEFAULT '0' NOT NULL,
  users_status integer DEFAULT '0' NOT NULL,
  debug_mode integer DEFAULT '0' NOT NULL,
  userdirectoryid bigint unsigned NULL,
  PRIMARY KEY (usrgrpid)
) ENGINE=InnoDB;
CREATE UNIQUE INDEX usrgrp_1 ON usrgrp (name);

CREATE TABLE users_groups (
  id bigint unsigned NOT NULL,
  usrgrpid bigint unsigned NOT NULL,
  userid bigint unsigned NOT NULL,
  PRIMARY KEY (id)
) ENGINE=InnoDB;
CREATE UNIQUE INDEX users_groups_1 ON users_groups (usrgrpid, userid);
CREATE INDEX users_groups_2 ON users_groups (userid);

CREATE TABLE ids (
  table_name varchar(64) DEFAULT '' NOT NULL,
  field_name varchar(64) DEFAULT '' NOT NULL,
  nextid bigint unsigned NOT NULL,
  PRIMARY KEY (table_name, field_name)
) ENGINE=InnoDB;

INSERT INTO usrgrp (usrgrpid, name) VALUES (7, 'Zabbix administrators'), (8, 'Guests'), (9, 'Operators');
INSERT INTO users_groups (id, usrgrpid, userid) VALUES (4, 7, 1), (2, 8, 2);
INSERT INTO ids (table_name, field_name, nextid) VALUES ('users_groups', 'id', 10), ('usrgrp', 'usrgrpid', 9);
