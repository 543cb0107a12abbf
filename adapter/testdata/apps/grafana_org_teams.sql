-- Grafana's teams (pkg/services/sqlstore/migrations/team_mig.go), loaded
-- after grafana_orgs.sql: sre is Acme's (org 1), finance Globex's (org 2).
-- Two team_member rows are stale, as an app leaves them when a user leaves
-- an organisation: alice (Acme only) in Globex's finance, carol (Globex
-- only) in Acme's sre. No organisation may list, count, match or remove
-- them.
CREATE TABLE team (
  id bigint NOT NULL AUTO_INCREMENT,
  name varchar(190) NOT NULL,
  org_id bigint NOT NULL,
  created datetime NOT NULL,
  updated datetime NOT NULL,
  uid varchar(40) DEFAULT NULL,
  external_uid varchar(256) DEFAULT NULL,
  email varchar(190) DEFAULT NULL,
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
  KEY IDX_team_member_team_id (team_id),
  KEY IDX_team_member_user_id_org_id (user_id, org_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

INSERT INTO team (id, name, org_id, created, updated) VALUES
  (1, 'sre', 1, '2020-01-01', '2020-01-01'),
  (2, 'finance', 2, '2020-01-01', '2020-01-01');

INSERT INTO team_member (org_id, team_id, user_id, created, updated, permission) VALUES
  (1, 1, 2, '2020-01-01', '2020-01-01', 4),
  (1, 1, 3, '2020-01-01', '2020-01-01', 0),
  (1, 1, 4, '2020-01-01', '2020-01-01', 0),
  (2, 2, 3, '2020-01-01', '2020-01-01', 0),
  (2, 2, 2, '2020-01-01', '2020-01-01', 0);
