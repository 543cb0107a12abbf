-- MediaWiki's user and user_groups tables as maintenance/tables.sql
-- creates them (MediaWiki 1.31 to 1.35; tables.json since keeps the same
-- columns; user keeps only the columns these tests use). Groups are
-- names with no table of their own; $wgGroupPermissions gives them
-- meaning. ug_expiry NULL is a membership that does not expire.
CREATE TABLE user (
  user_id int unsigned NOT NULL PRIMARY KEY AUTO_INCREMENT,
  user_name varchar(255) binary NOT NULL default '',
  user_real_name varchar(255) binary NOT NULL default '',
  user_email tinytext NOT NULL,
  UNIQUE KEY user_name (user_name)
) ENGINE=InnoDB DEFAULT CHARSET=binary;

CREATE TABLE user_groups (
  ug_user int unsigned NOT NULL default 0,
  ug_group varbinary(255) NOT NULL default '',
  ug_expiry varbinary(14) NULL default NULL,
  PRIMARY KEY (ug_user, ug_group)
) ENGINE=InnoDB DEFAULT CHARSET=binary;
CREATE INDEX ug_group ON user_groups (ug_group);
CREATE INDEX ug_expiry ON user_groups (ug_expiry);

INSERT INTO user (user_id, user_name, user_real_name, user_email) VALUES
  (1, 'Admin', 'Wiki Admin', 'admin@example.test'),
  (2, 'Alice', 'Alice Ames', 'alice@example.test'),
  (3, 'Bob', 'Bob Berg', 'bob@example.test'),
  (4, 'MaintenanceBot', '', 'bot@example.test');

INSERT INTO user_groups (ug_user, ug_group, ug_expiry) VALUES
  (1, 'sysop', NULL),
  (1, 'bureaucrat', NULL),
  (1, 'interface-admin', NULL),
  (3, 'sysop', '20300101000000'),
  (4, 'bot', NULL);
