-- Moodle's users, roles and role assignments as Moodle 4.x creates them on
-- MySQL (lib/db/install.xml; columns these tests do not use are left out
-- of mdl_user). contextid 1 is the system context; 2 and 3 are courses.
CREATE TABLE mdl_user (
  id bigint(10) NOT NULL AUTO_INCREMENT,
  auth varchar(20) NOT NULL DEFAULT 'manual',
  confirmed tinyint(1) NOT NULL DEFAULT 0,
  deleted tinyint(1) NOT NULL DEFAULT 0,
  suspended tinyint(1) NOT NULL DEFAULT 0,
  mnethostid bigint(10) NOT NULL DEFAULT 0,
  username varchar(100) NOT NULL DEFAULT '',
  firstname varchar(100) NOT NULL DEFAULT '',
  lastname varchar(100) NOT NULL DEFAULT '',
  email varchar(100) NOT NULL DEFAULT '',
  timemodified bigint(10) NOT NULL DEFAULT 0,
  PRIMARY KEY (id),
  UNIQUE KEY mdl_user_mneuse_uix (mnethostid, username),
  KEY mdl_user_del_ix (deleted),
  KEY mdl_user_aut_ix (auth)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE mdl_role (
  id bigint(10) NOT NULL AUTO_INCREMENT,
  name varchar(255) NOT NULL DEFAULT '',
  shortname varchar(100) NOT NULL DEFAULT '',
  description longtext NOT NULL,
  sortorder bigint(10) NOT NULL DEFAULT 0,
  archetype varchar(30) NOT NULL DEFAULT '',
  PRIMARY KEY (id),
  UNIQUE KEY mdl_role_sor_uix (sortorder),
  UNIQUE KEY mdl_role_sho_uix (shortname)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE mdl_role_assignments (
  id bigint(10) NOT NULL AUTO_INCREMENT,
  roleid bigint(10) NOT NULL DEFAULT 0,
  contextid bigint(10) NOT NULL DEFAULT 0,
  userid bigint(10) NOT NULL DEFAULT 0,
  timemodified bigint(10) NOT NULL DEFAULT 0,
  modifierid bigint(10) NOT NULL DEFAULT 0,
  component varchar(100) NOT NULL DEFAULT '',
  itemid bigint(10) NOT NULL DEFAULT 0,
  sortorder bigint(10) NOT NULL DEFAULT 0,
  PRIMARY KEY (id),
  KEY mdl_roleassi_sor_ix (sortorder),
  KEY mdl_roleassi_rolcon_ix (roleid, contextid),
  KEY mdl_roleassi_useconrol_ix (userid, contextid, roleid),
  KEY mdl_roleassi_comiteuse_ix (component, itemid, userid),
  KEY mdl_roleassi_rol_ix (roleid),
  KEY mdl_roleassi_con_ix (contextid),
  KEY mdl_roleassi_use_ix (userid)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

INSERT INTO mdl_user (id, auth, username, firstname, lastname, email, mnethostid) VALUES
  (1, 'manual', 'admin', 'Admin', 'User', 'admin@example.test', 1),
  (2, 'saml', 'alice', 'Alice', 'Ames', 'alice@example.test', 1),
  (3, 'saml', 'bob', 'Bob', 'Berg', 'bob@example.test', 1),
  (4, 'saml', 'carol', 'Carol', 'Cruz', 'carol@example.test', 1);

INSERT INTO mdl_role (id, name, shortname, description, sortorder, archetype) VALUES
  (1, '', 'manager', '', 1, 'manager'),
  (3, '', 'editingteacher', '', 3, 'editingteacher'),
  (5, '', 'student', '', 5, 'student');

-- Alice is a student at the system context and in courses 2 and 3; Bob is
-- a student in course 2 only and a teacher there; the local admin is a
-- system manager.
INSERT INTO mdl_role_assignments (id, roleid, contextid, userid, timemodified, modifierid) VALUES
  (1, 5, 1, 2, 1700000000, 1),
  (2, 5, 2, 2, 1700000000, 1),
  (3, 5, 3, 2, 1700000000, 1),
  (4, 5, 2, 3, 1700000000, 1),
  (5, 3, 2, 3, 1700000000, 1),
  (6, 1, 1, 1, 1700000000, 0);
