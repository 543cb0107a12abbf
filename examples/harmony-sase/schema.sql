-- Harmony SASE (the example): the members of a SASE workspace, their
-- access groups and a licence pool, written long before SCIM. Members
-- provisioned from Okta have origin = 'okta'; the workspace owner and the
-- emergency local admin (origin = 'local') stay invisible to SCIM. A
-- member's e-mail is the workspace's unique identifier; a member holds a
-- licence seat as long as the row exists, so removing a member deletes
-- the row (its group memberships and sessions go with it).

CREATE TABLE access_groups (
  id           INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  name         VARCHAR(100) NOT NULL,
  description  VARCHAR(255) NULL,
  origin       ENUM('okta','local') NOT NULL DEFAULT 'local',
  created_at   DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
  UNIQUE KEY uq_access_groups_name (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE workspace_members (
  id            INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  email         VARCHAR(190) NOT NULL COMMENT 'the unique identifier of the member',
  first_name    VARCHAR(80)  NOT NULL,
  last_name     VARCHAR(80)  NOT NULL,
  origin        ENUM('okta','local') NOT NULL DEFAULT 'local',
  role          ENUM('member','admin','owner') NOT NULL DEFAULT 'member',
  license_tier  VARCHAR(20)  NOT NULL DEFAULT 'standard',
  created_at    DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at    DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  UNIQUE KEY uq_workspace_members_email (email)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE access_group_members (
  access_group_id INT UNSIGNED NOT NULL,
  member_id       INT UNSIGNED NOT NULL,
  added_by        VARCHAR(20) NOT NULL DEFAULT 'console',
  PRIMARY KEY (access_group_id, member_id),
  KEY ix_agm_member (member_id),
  CONSTRAINT fk_agm_group  FOREIGN KEY (access_group_id) REFERENCES access_groups (id) ON DELETE CASCADE,
  CONSTRAINT fk_agm_member FOREIGN KEY (member_id) REFERENCES workspace_members (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- VPN sessions of a member; they end with the member.
CREATE TABLE member_sessions (
  id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  member_id   INT UNSIGNED NOT NULL,
  gateway     VARCHAR(60) NOT NULL,
  started_at  DATETIME NOT NULL,
  CONSTRAINT fk_sessions_member FOREIGN KEY (member_id) REFERENCES workspace_members (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

INSERT INTO access_groups (id, name, description, origin) VALUES
  (1, 'All Members',  'Default group of the workspace', 'local'),
  (2, 'Engineering',  'Pushed from Okta',               'okta'),
  (3, 'Admins-Local', 'Console administrators',         'local');

INSERT INTO workspace_members (id, email, first_name, last_name, origin, role, created_at, updated_at) VALUES
  (1, 'owner@acme.test',      'Workspace', 'Owner',   'local', 'owner',  '2023-01-01 08:00:00.000000', '2023-01-01 08:00:00.000000'),
  (2, 'alice@acme.test',      'Alice',     'Adams',   'okta',  'member', '2023-05-01 09:00:00.000000', '2024-05-01 09:00:00.000000'),
  (3, 'bob@acme.test',        'Bob',       'Baker',   'okta',  'member', '2023-05-02 09:00:00.000000', '2024-04-01 09:00:00.000000'),
  (4, 'noa.levi@acme.test',   'נועה',      'לוי',     'okta',  'member', '2023-06-01 09:00:00.000000', '2024-03-01 09:00:00.000000'),
  (5, 'breakglass@acme.test', 'Emergency', 'Admin',   'local', 'admin',  '2023-01-01 08:05:00.000000', '2023-01-01 08:05:00.000000');

INSERT INTO access_group_members (access_group_id, member_id, added_by) VALUES
  (1, 1, 'console'), (1, 2, 'console'), (1, 3, 'console'), (1, 4, 'console'), (1, 5, 'console'),
  (2, 2, 'scim'), (2, 5, 'console'),
  (3, 1, 'console'), (3, 5, 'console');

INSERT INTO member_sessions (member_id, gateway, started_at) VALUES
  (2, 'fra-1', '2024-06-03 08:00:00'),
  (3, 'nyc-2', '2024-06-03 08:30:00');
