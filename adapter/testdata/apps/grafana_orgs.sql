-- Grafana's users and organisations as its MySQL migrations create them
-- (grafana/grafana pkg/services/sqlstore/migrations: user_mig.go for
-- user, org_mig.go for org and org_user, Grafana 10/11; user keeps the
-- columns these tests use). A user row is global; org_user(org_id,
-- user_id, role) says which organisations hold it, with the role
-- (Admin, Editor, Viewer) per organisation. created and updated are NOT
-- NULL without a default.
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
  PRIMARY KEY (id),
  UNIQUE KEY UQE_user_login (login),
  UNIQUE KEY UQE_user_email (email)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE org (
  id bigint NOT NULL AUTO_INCREMENT,
  version int NOT NULL,
  name varchar(190) NOT NULL,
  created datetime NOT NULL,
  updated datetime NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY UQE_org_name (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE org_user (
  id bigint NOT NULL AUTO_INCREMENT,
  org_id bigint NOT NULL,
  user_id bigint NOT NULL,
  role varchar(20) NOT NULL,
  created datetime NOT NULL,
  updated datetime NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY UQE_org_user_org_id_user_id (org_id, user_id),
  KEY IDX_org_user_org_id (org_id),
  KEY IDX_org_user_user_id (user_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

INSERT INTO org (id, version, name, created, updated) VALUES
  (1, 0, 'Acme', '2020-01-01', '2020-01-01'),
  (2, 0, 'Globex', '2020-01-01', '2020-01-01');

-- alice is Acme's, carol Globex's, bob both organisations'; the admin and
-- the service account are outside the scope.
INSERT INTO `user` (id, version, login, email, name, org_id, is_admin, created, updated, is_service_account) VALUES
  (1, 0, 'admin', 'admin@localhost', 'admin', 1, 1, '2020-01-01', '2020-01-01', 0),
  (2, 0, 'alice', 'alice@acme.test', 'Alice Ames', 1, 0, '2020-01-01', '2020-01-01', 0),
  (3, 0, 'bob', 'bob@acme.test', 'Bob Berg', 1, 0, '2020-01-01', '2020-01-01', 0),
  (4, 0, 'carol', 'carol@globex.test', 'Carol Chen', 2, 0, '2020-01-01', '2020-01-01', 0),
  (5, 0, 'sa-backup', 'sa-backup', 'backup', 2, 0, '2020-01-01', '2020-01-01', 1);

INSERT INTO org_user (org_id, user_id, role, created, updated) VALUES
  (1, 1, 'Admin', '2020-01-01', '2020-01-01'),
  (1, 2, 'Editor', '2020-01-01', '2020-01-01'),
  (1, 3, 'Viewer', '2020-01-01', '2020-01-01'),
  (2, 3, 'Admin', '2020-01-01', '2020-01-01'),
  (2, 4, 'Viewer', '2020-01-01', '2020-01-01'),
  (2, 5, 'Viewer', '2020-01-01', '2020-01-01');
