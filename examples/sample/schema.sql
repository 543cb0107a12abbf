-- The sample legacy app retroscim's own config.yaml maps: a multi-tenant
-- SaaS with its own users and roles tables, written long before SCIM.
-- Users that signed in through SSO were created by the app's JIT login
-- (auth_source = 'saml'); local accounts (break-glass admins, service
-- users) must stay invisible to SCIM.

CREATE TABLE organizations (
  id   INT UNSIGNED NOT NULL PRIMARY KEY,
  name VARCHAR(100) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE roles (
  id          INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  org_id      INT UNSIGNED NOT NULL,
  name        VARCHAR(64) NOT NULL,
  description VARCHAR(255) NULL,
  UNIQUE KEY uq_roles_org_name (org_id, name),
  KEY ix_roles_org_id (org_id, id),
  CONSTRAINT fk_roles_org FOREIGN KEY (org_id) REFERENCES organizations (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE users (
  id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  org_id        INT UNSIGNED NOT NULL,
  login         VARCHAR(190) NOT NULL,
  email         VARCHAR(190) NULL,
  first_name    VARCHAR(100) NULL,
  last_name     VARCHAR(100) NULL,
  display_name  VARCHAR(200) NULL,
  job_title     VARCHAR(100) NULL,
  phone         VARCHAR(40) NULL,
  department    VARCHAR(100) NULL,
  employee_no   VARCHAR(32) NULL,
  okta_id       VARCHAR(64) NULL,
  auth_source   ENUM('local','saml') NOT NULL DEFAULT 'local',
  is_active     TINYINT(1) NOT NULL DEFAULT 1,
  role_id       INT UNSIGNED NULL,
  password_hash VARCHAR(255) NULL,
  last_login_at DATETIME NULL,
  created_at    DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at    DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  UNIQUE KEY uq_users_org_login (org_id, login),
  KEY ix_users_org_id (org_id, id),
  KEY ix_users_okta_id (okta_id),
  KEY ix_users_email (email),
  CONSTRAINT fk_users_org FOREIGN KEY (org_id) REFERENCES organizations (id),
  CONSTRAINT fk_users_role FOREIGN KEY (role_id) REFERENCES roles (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE user_roles (
  user_id BIGINT UNSIGNED NOT NULL,
  role_id INT UNSIGNED NOT NULL,
  PRIMARY KEY (user_id, role_id),
  KEY ix_user_roles_role (role_id, user_id),
  CONSTRAINT fk_user_roles_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
  CONSTRAINT fk_user_roles_role FOREIGN KEY (role_id) REFERENCES roles (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

INSERT INTO organizations (id, name) VALUES (1, 'Acme Corp'), (2, 'Globex');

INSERT INTO roles (id, org_id, name, description) VALUES
  (1, 1, 'Admin',     'Full access'),
  (2, 1, 'Analyst',   'Read and analyse'),
  (3, 1, 'Developer', 'Build and deploy'),
  (4, 2, 'Admin',     'Full access'),
  (5, 2, 'Viewer',    'Read only');

INSERT INTO users (id, org_id, login, email, first_name, last_name, display_name, job_title, phone, department, employee_no, okta_id, auth_source, is_active, role_id, password_hash, created_at, updated_at) VALUES
  (1, 1, 'admin@acme.test',      'admin@acme.test',      'Local',  'Admin',   'Local Admin',   NULL,                 NULL,              'IT',          NULL,    NULL,                   'local', 1, 1,    '$2y$10$localadminhash', '2023-01-02 08:00:00', '2023-01-02 08:00:00.000000'),
  (2, 1, 'alice@acme.test',      'alice@acme.test',      'Alice',  'Anders',  'Alice Anders',  'Staff Engineer',     '+1 555 0100',     'Engineering', '1001',  '00u1alice00000000001', 'saml',  1, 1,    NULL,                    '2023-03-01 09:30:00', '2024-05-13 04:42:34.123456'),
  (3, 1, 'bob@acme.test',        'bob@acme.test',        'Bob',    'Brown',   'Bob Brown',     'Analyst',            NULL,              'Finance',     '1002',  '00u1bob000000000002',  'saml',  0, 2,    NULL,                    '2023-03-02 10:00:00', '2024-02-01 12:00:00.000000'),
  (4, 1, 'Carol.Chen@Acme.test', 'carol.chen@acme.test', 'Carol',  'Chen',    'Carol Chen',    'Engineering Manager', '+1 555 0102',    'Engineering', '1003',  '00u1carol00000000003', 'saml',  1, 3,    NULL,                    '2023-04-10 11:15:00', '2024-04-01 09:00:00.000000'),
  (5, 1, 'dave@acme.test',       NULL,                   NULL,     NULL,      NULL,            NULL,                 NULL,              NULL,          NULL,    NULL,                   'saml',  1, NULL, NULL,                    '2023-05-05 05:05:05', '2023-05-05 05:05:05.000000'),
  (6, 1, 'ops-bot@acme.test',    'ops-bot@acme.test',    'Ops',    'Bot',     'Ops Bot',       NULL,                 NULL,              'IT',          NULL,    NULL,                   'local', 1, NULL, '$2y$10$botpasswordhash',  '2023-01-03 08:00:00', '2023-01-03 08:00:00.000000'),
  (7, 1, 'eva@acme.test',        'eva+work@acme.test',   'Éva',    'Łukasz',  'Éva Łukasz',    'Designer',           NULL,              'Design',      '1004',  '00u1eva000000000007',  'saml',  1, 2,    NULL,                    '2023-06-06 06:06:06', '2024-01-01 00:00:00.000000'),
  (8, 2, 'frank@globex.test',    'frank@globex.test',    'Frank',  'Fischer', 'Frank Fischer', 'Engineer',           NULL,              'Engineering', '2001',  '00u2frank0000000008',  'saml',  1, 4,    NULL,                    '2023-07-07 07:07:07', '2024-03-03 03:03:03.000000'),
  (9, 2, 'admin@globex.test',    'admin@globex.test',    'Globex', 'Admin',   'Globex Admin',  NULL,                 NULL,              'IT',          NULL,    NULL,                   'local', 1, 4,    '$2y$10$globexadminhash', '2023-01-04 08:00:00', '2023-01-04 08:00:00.000000');

INSERT INTO user_roles (user_id, role_id) VALUES (1, 1), (2, 1), (2, 3), (3, 2), (4, 3), (7, 2), (8, 4), (9, 4);
