-- Persona (the example): the dashboard's own team members, roles and role
-- assignments, written long before SCIM. Team members who sign in through
-- SAML SSO have sign_in_method = 'saml' (created by the SSO login or by
-- an invitation); the organization owner who set Persona up with a
-- password stays invisible to SCIM. A member removed from the team is
-- archived (archived = 1), not deleted: the audit log refers to it.
-- Roles are the dashboard's roles: the defaults Admin, Analyst and
-- Developer and any custom ones, each with its permissions.

CREATE TABLE org_roles (
  id           BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  name         VARCHAR(80)  NOT NULL,
  description  VARCHAR(255) NULL,
  permissions  VARCHAR(2000) NOT NULL DEFAULT '',
  is_default   TINYINT(1)   NOT NULL DEFAULT 0,
  created_at   DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at   DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  UNIQUE KEY uq_org_roles_name (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE dashboard_users (
  id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  email           VARCHAR(190) NOT NULL COMMENT 'sign-in identity',
  first_name      VARCHAR(100) NULL,
  last_name       VARCHAR(100) NULL,
  display_name    VARCHAR(200) NULL,
  job_title       VARCHAR(120) NULL,
  idp_user_id     VARCHAR(64)  NULL COMMENT 'the identity provider''s id for the user',
  sign_in_method  ENUM('password','saml') NOT NULL DEFAULT 'password',
  archived        TINYINT(1)   NOT NULL DEFAULT 0,
  password_digest VARCHAR(255) NULL,
  last_sign_in_at DATETIME     NULL,
  created_at      DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at      DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  UNIQUE KEY uq_dashboard_users_email (email),
  KEY ix_dashboard_users_idp_user_id (idp_user_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE dashboard_user_roles (
  dashboard_user_id BIGINT UNSIGNED NOT NULL,
  org_role_id       BIGINT UNSIGNED NOT NULL,
  assigned_via      VARCHAR(20) NOT NULL DEFAULT 'dashboard',
  created_at        DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (dashboard_user_id, org_role_id),
  KEY ix_dashboard_user_roles_role (org_role_id, dashboard_user_id),
  CONSTRAINT fk_dur_user FOREIGN KEY (dashboard_user_id) REFERENCES dashboard_users (id) ON DELETE CASCADE,
  CONSTRAINT fk_dur_role FOREIGN KEY (org_role_id) REFERENCES org_roles (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

INSERT INTO org_roles (id, name, description, permissions, is_default, created_at, updated_at) VALUES
  (1, 'Admin',               'Full access to the organization',   'org:*',                          1, '2023-01-05 10:00:00.000000', '2023-01-05 10:00:00.000000'),
  (2, 'Analyst',             'Reviews inquiries and cases',       'inquiries:read,cases:write',     1, '2023-01-05 10:00:00.000000', '2023-01-05 10:00:00.000000'),
  (3, 'Developer',           'Manages templates and API keys',    'templates:write,api_keys:write', 1, '2023-01-05 10:00:00.000000', '2023-01-05 10:00:00.000000'),
  (4, 'Compliance Reviewer', 'Custom role: read-only case audit', 'cases:read,reports:read',        0, '2023-09-12 15:00:00.000000', '2023-09-12 15:00:00.000000');

INSERT INTO dashboard_users (id, email, first_name, last_name, display_name, job_title, idp_user_id, sign_in_method, archived, password_digest, last_sign_in_at, created_at, updated_at) VALUES
  (1, 'owner@acme.test',  'Olivia', 'Owner',  'Olivia Owner',  'CTO',                   NULL,                   'password', 0, '$2a$12$ownerpassworddigest', '2024-06-01 08:00:00', '2023-01-05 10:00:00.000000', '2023-01-05 10:00:00.000000'),
  (2, 'alice@acme.test',  'Alice',  'Adams',  'Alice Adams',   'Head of Trust & Safety', '00u1alice00000000001', 'saml',     0, NULL,                        '2024-06-03 09:00:00', '2023-02-01 09:00:00.000000', '2024-05-01 12:00:00.000000'),
  (3, 'bob@acme.test',    'Bob',    'Baker',  'Bob Baker',     'Fraud Analyst',          '00u1bob000000000002',  'saml',     0, NULL,                        '2024-06-02 14:00:00', '2023-02-02 09:00:00.000000', '2024-04-01 12:00:00.000000'),
  (4, 'carol@acme.test',  'Carol',  'Chen',   'Carol Chen',    'Software Engineer',      '00u1carol00000000003', 'saml',     0, NULL,                        '2024-05-30 11:00:00', '2023-03-10 09:00:00.000000', '2024-03-01 12:00:00.000000'),
  (5, 'dan@acme.test',    'Dan',    'Dorsey', 'Dan Dorsey',    'Fraud Analyst',          '00u1dan000000000004',  'saml',     1, NULL,                        '2023-11-30 16:00:00', '2023-04-01 09:00:00.000000', '2023-12-01 08:00:00.000000');

INSERT INTO dashboard_user_roles (dashboard_user_id, org_role_id, assigned_via) VALUES
  (1, 1, 'dashboard'),
  (2, 1, 'dashboard'),
  (3, 2, 'dashboard'),
  (4, 3, 'dashboard'),
  (5, 2, 'dashboard');
