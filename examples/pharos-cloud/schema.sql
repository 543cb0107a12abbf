-- Pharos Cloud (the example): a multi-tenant print-management service.
-- Every row belongs to a tenant (tenant_code). Users signing in through
-- OpenID Connect were created by the first login (source = 'oidc'), users
-- provisioned by SCIM have source = 'scim'; each tenant's local print
-- administrator (source = 'local') and users loaded from a CSV card import
-- (source = 'csv') stay invisible to SCIM. Users keep their badge card
-- numbers and PIN, which SCIM never touches.

CREATE TABLE tenants (
  tenant_code  VARCHAR(32)  NOT NULL PRIMARY KEY,
  company_name VARCHAR(120) NOT NULL,
  region       VARCHAR(10)  NOT NULL DEFAULT 'us'
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE print_users (
  user_id        INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  tenant_code    VARCHAR(32)  NOT NULL,
  login_name     VARCHAR(190) NOT NULL,
  given_name     VARCHAR(100) NULL,
  surname        VARCHAR(100) NULL,
  full_name      VARCHAR(200) NULL,
  email_address  VARCHAR(190) NULL,
  job_title      VARCHAR(100) NULL,
  office_phone   VARCHAR(40)  NULL,
  cost_center    VARCHAR(40)  NULL,
  idp_object_id  VARCHAR(64)  NULL,
  source         ENUM('local','csv','oidc','scim') NOT NULL DEFAULT 'local',
  is_enabled     CHAR(1)      NOT NULL DEFAULT 'Y',
  card_number    VARCHAR(32)  NULL,
  pin_hash       VARCHAR(100) NULL,
  created_utc    DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  modified_utc   DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  UNIQUE KEY uq_print_users_login (tenant_code, login_name),
  KEY ix_print_users_tenant (tenant_code, user_id),
  -- added for SCIM, as retroscim check advised: Okta and Entra look users
  -- up by email and by their object id
  KEY ix_print_users_email (tenant_code, email_address),
  KEY ix_print_users_idp_object (tenant_code, idp_object_id),
  CONSTRAINT fk_print_users_tenant FOREIGN KEY (tenant_code) REFERENCES tenants (tenant_code)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE user_groups (
  group_id     INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  tenant_code  VARCHAR(32)  NOT NULL,
  group_name   VARCHAR(120) NOT NULL,
  quota_pages  INT UNSIGNED NULL COMMENT 'monthly print quota of the group; not managed by SCIM',
  created_utc  DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  UNIQUE KEY uq_user_groups_name (tenant_code, group_name),
  KEY ix_user_groups_tenant (tenant_code, group_id),  -- for SCIM's paging, as retroscim check advised
  CONSTRAINT fk_user_groups_tenant FOREIGN KEY (tenant_code) REFERENCES tenants (tenant_code)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE user_group_members (
  group_id  INT UNSIGNED NOT NULL,
  user_id   INT UNSIGNED NOT NULL,
  PRIMARY KEY (group_id, user_id),
  KEY ix_user_group_members_user (user_id),
  CONSTRAINT fk_ugm_group FOREIGN KEY (group_id) REFERENCES user_groups (group_id) ON DELETE CASCADE,
  CONSTRAINT fk_ugm_user  FOREIGN KEY (user_id)  REFERENCES print_users (user_id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

INSERT INTO tenants (tenant_code, company_name, region) VALUES
  ('northwind', 'Northwind Traders', 'us'),
  ('contoso',   'Contoso Ltd',       'eu');

INSERT INTO user_groups (group_id, tenant_code, group_name, quota_pages) VALUES
  (1, 'northwind', 'Finance',       2000),
  (2, 'northwind', 'Color Printing', NULL),
  (3, 'contoso',   'Finance',       500),
  (4, 'contoso',   'Everyone',      NULL);

INSERT INTO print_users (user_id, tenant_code, login_name, given_name, surname, full_name, email_address, job_title, idp_object_id, source, is_enabled, card_number, pin_hash, created_utc, modified_utc) VALUES
  (1, 'northwind', 'printadmin',              'Print',   'Admin',    'Print Admin',    'printadmin@northwind.test', NULL,              NULL,                   'local', 'Y', NULL,       '$2b$10$adminpin', '2023-01-01 08:00:00.000000', '2023-01-01 08:00:00.000000'),
  (2, 'northwind', 'nancy@northwind.test',    'Nancy',   'Davolio',  'Nancy Davolio',  'nancy@northwind.test',      'Sales Rep',       '00u1nancy0000000002',  'oidc',  'Y', '04A1B2C3', NULL,              '2023-02-01 09:00:00.000000', '2024-02-01 09:00:00.000000'),
  (3, 'northwind', 'andrew@northwind.test',   'Andrew',  'Fuller',   'Andrew Fuller',  'andrew@northwind.test',     'VP Sales',        '00u1andrew000000003',  'scim',  'Y', '04A1B2C4', NULL,              '2023-02-02 09:00:00.000000', '2024-02-02 09:00:00.000000'),
  (4, 'northwind', 'janet@northwind.test',    'Janet',   'Leverling','Janet Leverling','janet@northwind.test',      'Sales Rep',       '00u1janet0000000004',  'scim',  'N', '04A1B2C5', NULL,              '2023-02-03 09:00:00.000000', '2024-01-15 09:00:00.000000'),
  (5, 'northwind', 'kiosk-lobby',             'Lobby',   'Kiosk',    'Lobby Kiosk',    NULL,                        NULL,              NULL,                   'csv',   'Y', '04FFFF01', NULL,              '2023-03-01 09:00:00.000000', '2023-03-01 09:00:00.000000'),
  (6, 'contoso',   'printadmin',              'Print',   'Admin',    'Print Admin',    'printadmin@contoso.test',   NULL,              NULL,                   'local', 'Y', NULL,       '$2b$10$adminpin2', '2023-01-01 08:00:00.000000', '2023-01-01 08:00:00.000000'),
  (7, 'contoso',   'ken@contoso.test',        'Ken',     'Kwan',     'Ken Kwan',       'ken@contoso.test',          'Accountant',      '00u2ken00000000007',   'oidc',  'Y', '09C0FFEE', NULL,              '2023-04-01 09:00:00.000000', '2024-04-01 09:00:00.000000');

INSERT INTO user_group_members (group_id, user_id) VALUES
  (1, 1), (1, 3),
  (2, 2),
  (3, 6), (3, 7),
  (4, 7);
