-- Atlan (the example): a data workspace whose users and groups live in an
-- identity store in the style of Keycloak: text (UUID) ids, one realm per
-- workspace, an "enabled" flag, groups with memberships. The workspace's
-- users are those of the 'default' realm that are not service accounts:
-- SSO users, and users invited with a password before SCIM (Okta matches
-- them by userName). The installation's super-admin (realm 'master') and
-- the service accounts of the workspace's integrations stay invisible.

CREATE TABLE realm (
  id    VARCHAR(36)  NOT NULL PRIMARY KEY,
  name  VARCHAR(255) NOT NULL,
  UNIQUE KEY uq_realm_name (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE user_entity (
  id                          VARCHAR(36)  NOT NULL PRIMARY KEY,
  realm_id                    VARCHAR(36)  NOT NULL,
  username                    VARCHAR(255) NOT NULL,
  email                       VARCHAR(255) NULL,
  email_verified              TINYINT(1)   NOT NULL DEFAULT 0,
  enabled                     TINYINT(1)   NOT NULL DEFAULT 1,
  first_name                  VARCHAR(255) NULL,
  last_name                   VARCHAR(255) NULL,
  federation_link             VARCHAR(255) NULL,
  service_account_client_link VARCHAR(255) NULL,
  created_timestamp           BIGINT       NULL COMMENT 'epoch milliseconds',
  not_before                  INT          NOT NULL DEFAULT 0,
  UNIQUE KEY uq_user_entity_username (realm_id, username),
  KEY ix_user_entity_email (realm_id, email),
  CONSTRAINT fk_user_entity_realm FOREIGN KEY (realm_id) REFERENCES realm (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE keycloak_group (
  id            VARCHAR(36)  NOT NULL PRIMARY KEY,
  name          VARCHAR(255) NOT NULL,
  parent_group  VARCHAR(36)  NOT NULL COMMENT 'a single space for top-level groups',
  realm_id      VARCHAR(36)  NOT NULL,
  UNIQUE KEY uq_keycloak_group_name (realm_id, parent_group, name),
  CONSTRAINT fk_keycloak_group_realm FOREIGN KEY (realm_id) REFERENCES realm (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE user_group_membership (
  group_id         VARCHAR(36)  NOT NULL,
  user_id          VARCHAR(36)  NOT NULL,
  membership_type  VARCHAR(255) NOT NULL,
  PRIMARY KEY (group_id, user_id),
  KEY ix_user_group_membership_user (user_id),
  CONSTRAINT fk_ugm_kc_group FOREIGN KEY (group_id) REFERENCES keycloak_group (id) ON DELETE CASCADE,
  CONSTRAINT fk_ugm_kc_user  FOREIGN KEY (user_id)  REFERENCES user_entity (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

INSERT INTO realm (id, name) VALUES ('master', 'master'), ('default', 'default');

INSERT INTO keycloak_group (id, name, parent_group, realm_id) VALUES
  ('6a1f2c3d-0000-4000-8000-000000000001', 'admins',       ' ', 'default'),
  ('6a1f2c3d-0000-4000-8000-000000000002', 'data-stewards', ' ', 'default'),
  ('6a1f2c3d-0000-4000-8000-000000000003', 'analysts',     ' ', 'default'),
  ('6a1f2c3d-0000-4000-8000-0000000000aa', 'master-admins', ' ', 'master');

INSERT INTO user_entity (id, realm_id, username, email, email_verified, enabled, first_name, last_name, federation_link, service_account_client_link, created_timestamp) VALUES
  ('0b7c9d10-0000-4000-8000-000000000001', 'master',  'admin',                         NULL,                 0, 1, NULL,    NULL,      NULL, NULL,                                   1672531200000),
  ('0b7c9d10-0000-4000-8000-000000000002', 'default', 'service-account-atlan-argo',    NULL,                 0, 1, NULL,    NULL,      NULL, 'a7d1e2f3-client-atlan-argo',           1672531300000),
  ('0b7c9d10-0000-4000-8000-000000000003', 'default', 'ada@acme.test',                 'ada@acme.test',      1, 1, 'Ada',   'Lovelace', NULL, NULL,                                   1675209600000),
  ('0b7c9d10-0000-4000-8000-000000000004', 'default', 'grace@acme.test',               'grace@acme.test',    1, 1, 'Grace', 'Hopper',   NULL, NULL,                                   1675296000000),
  ('0b7c9d10-0000-4000-8000-000000000005', 'default', 'sam@acme.test',                 'sam@acme.test',      1, 1, 'Sam',   'Smith',    NULL, NULL,                                   1680307200000),
  ('0b7c9d10-0000-4000-8000-000000000006', 'default', 'tim@acme.test',                 NULL,                 0, 0, 'Tim',   'Turner',   NULL, NULL,                                   1683000000000);

INSERT INTO user_group_membership (group_id, user_id, membership_type) VALUES
  ('6a1f2c3d-0000-4000-8000-000000000001', '0b7c9d10-0000-4000-8000-000000000002', 'UNMANAGED'),
  ('6a1f2c3d-0000-4000-8000-000000000001', '0b7c9d10-0000-4000-8000-000000000003', 'UNMANAGED'),
  ('6a1f2c3d-0000-4000-8000-000000000003', '0b7c9d10-0000-4000-8000-000000000004', 'UNMANAGED'),
  ('6a1f2c3d-0000-4000-8000-000000000003', '0b7c9d10-0000-4000-8000-000000000005', 'UNMANAGED'),
  ('6a1f2c3d-0000-4000-8000-0000000000aa', '0b7c9d10-0000-4000-8000-000000000001', 'UNMANAGED');
