-- Panther (the example): a security data lake whose console users were
-- stored long before SCIM. Users signing in through SAML SSO are created by
-- the console's just-in-time login (identity_provider = 'SAML'); the
-- break-glass root account and the CI service user log in through the
-- built-in user pool (identity_provider = 'COGNITO') and are invisible to
-- SCIM. Each user has one role, stored as a key into user_roles; a NULL
-- role means "the default SAML role chosen in the console".

CREATE TABLE user_roles (
  id            INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  role_name     VARCHAR(64)  NOT NULL,
  permissions   VARCHAR(1000) NOT NULL DEFAULT '',
  is_builtin    TINYINT(1)   NOT NULL DEFAULT 0,
  created_at    DATETIME     NOT NULL DEFAULT CURRENT_TIMESTAMP,
  UNIQUE KEY uq_user_roles_role_name (role_name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE panther_users (
  id                 BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  username           VARCHAR(190) NOT NULL COMMENT 'SAML NameID at the first login',
  email              VARCHAR(190) NOT NULL,
  given_name         VARCHAR(100) NULL,
  family_name        VARCHAR(100) NULL,
  role_id            INT UNSIGNED NULL COMMENT 'NULL: the default SAML role',
  identity_provider  ENUM('COGNITO','SAML') NOT NULL DEFAULT 'COGNITO',
  status             ENUM('ACTIVE','DEACTIVATED') NOT NULL DEFAULT 'ACTIVE',
  last_logged_in_at  DATETIME NULL,
  created_at         DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at         DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  row_version        INT UNSIGNED NOT NULL DEFAULT 1 COMMENT 'optimistic lock, +1 on every write',
  UNIQUE KEY uq_panther_users_username (username),
  KEY ix_panther_users_email (email),
  CONSTRAINT fk_panther_users_role FOREIGN KEY (role_id) REFERENCES user_roles (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

INSERT INTO user_roles (id, role_name, permissions, is_builtin) VALUES
  (1, 'Admin',              'all',                                 1),
  (2, 'Analyst',            'alerts:modify,rules:modify,data:read', 1),
  (3, 'ReadOnlyAnalyst',    'alerts:read,rules:read,data:read',     1),
  (4, 'Detection Engineer', 'rules:modify,data:read,policies:modify', 0);

INSERT INTO panther_users (id, username, email, given_name, family_name, role_id, identity_provider, status, last_logged_in_at, created_at, updated_at, row_version) VALUES
  (1, 'root@panther.acme.test',  'secops-root@acme.test', 'Root',   'Account', 1,    'COGNITO', 'ACTIVE',      '2024-06-01 08:00:00', '2022-11-01 08:00:00.000000', '2022-11-01 08:00:00.000000', 1),
  (2, 'alice@acme.test',         'alice@acme.test',       'Alice',  'Adams',   1,    'SAML',    'ACTIVE',      '2024-06-03 09:12:00', '2023-02-14 10:00:00.000000', '2024-05-01 12:00:00.000000', 4),
  (3, 'bob@acme.test',           'bob@acme.test',         'Bob',    'Baker',   2,    'SAML',    'ACTIVE',      '2024-06-02 14:30:00', '2023-03-01 11:00:00.000000', '2024-04-11 16:20:00.000000', 2),
  (4, 'carol@acme.test',         'carol@acme.test',       'Carol',  'Chen',    3,    'SAML',    'DEACTIVATED', '2023-12-20 17:45:00', '2023-03-08 09:30:00.000000', '2024-01-05 09:00:00.000000', 3),
  (5, 'dave@acme.test',          'dave@acme.test',        NULL,     NULL,      NULL, 'SAML',    'ACTIVE',      '2024-06-04 07:55:00', '2024-06-04 07:55:00.000000', '2024-06-04 07:55:00.000000', 1),
  (6, 'ci-detections@acme.test', 'ci@acme.test',          'CI',     'Deploy',  4,    'COGNITO', 'ACTIVE',      NULL,                  '2023-01-10 12:00:00.000000', '2023-01-10 12:00:00.000000', 1);
