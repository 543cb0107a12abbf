-- Grafana's users and teams as its MySQL migrations create them
-- (pkg/services/sqlstore/migrations: user, team, team_member; user keeps
-- the columns these tests use). team_member.created and updated are NOT
-- NULL without a default, and team_member.org_id repeats team.org_id.
CREATE TABLE `user` (
  id bigint NOT NULL AUTO_INCREMENT,
  version int NOT NULL,
  login varchar(190) NOT NULL,
  email varchar(190) NOT NULL,
  name varchar(255) DEFAULT NULL,
  org_id bigint NOT NULL,
  is_admin tinyint(1) NOT NULL,
  created datetime NOT NULL,
  updated datetime NOT NULL,
  is_disabled tinyint(1) NOT NULL DEFAULT 0,
  is_service_account tinyint(1) DEFAULT 0,
  uid varchar(40) DEFAULT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY UQE_user_login (login),
  UNIQUE KEY UQE_user_email (email)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE team (
  id bigint NOT NULL AUTO_INCREMENT,
  name varchar(190) NOT NULL,
  org_id bigint NOT NULL,
  created datetime NOT NULL,
  updated datetime NOT NULL,
  email varchar(190) DEFAULT NULL,
  uid varchar(40) DEFAULT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY UQE_team_org_id_name (org_id, name),
  KEY IDX_team_org_id (org_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE team_member (
  id bigint NOT NULL AUTO_INCREMENT,
  org_id bigint NOT NULL,
  team_id bigint NOT NULL,
  user_id bigint NOT NULL,
  created datetime NOT NULL,
  updated datetime NOT NULL,
  external tinyint(1) DEFAULT NULL,
  permission smallint DEFAULT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY UQE_team_member_org_id_team_id_user_id (org_id, team_id, user_id),
  KEY IDX_team_member_org_id (org_id),
  KEY IDX_team_member_team_id (team_id),
  KEY IDX_team_member_user_id_org_id (user_id, org_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

INSERT INTO `user` (id, version, login, email, name, org_id, is_admin, created, updated, is_service_account) VALUES
  (1, 0, 'admin', 'admin@localhost', 'admin', 1, 1, '2020-01-01', '2020-01-01', 0),
  (2, 0, 'alice', 'alice@example.test', 'Alice Ames', 1, 0, '2020-01-01', '2020-01-01', 0),
  (3, 0, 'bob', 'bob@example.test', 'Bob Berg', 2, 0, '2020-01-01', '2020-01-01', 0),
  (4, 0, 'sa-backup', 'sa-backup', 'backup', 1, 0, '2020-01-01', '2020-01-01', 1);

INSERT INTO team (id, name, org_id, created, updated, uid) VALUES
  (1, 'sre', 1, '2020-01-01', '2020-01-01', 'team-sre'),
  (2, 'finance', 2, '2020-01-01', '2020-01-01', 'team-finance');

INSERT INTO team_member (org_id, team_id, user_id, created, updated, permission) VALUES
  (1, 1, 1, '2020-01-01', '2020-01-01', 4);
