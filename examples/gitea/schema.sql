-- Gitea (https://gitea.io), the open-source Git forge: the tables SCIM
-- touches, with the column names, types and index names Gitea's ORM
-- (xorm) gives them on MySQL/MariaDB. Followed: Gitea 1.16, whose
-- models/user/user.go (struct User), models/login/source.go (struct
-- Source, login types: 0 none, 1 plain, 2 LDAP, 3 SMTP, 4 PAM, 5 LDAP
-- simple, 6 OAuth2, 7 SSPI) and models/org_team.go (structs Team and
-- TeamUser) define them. Only the columns this example needs are here;
-- a real Gitea database has more (all with defaults), which retroscim
-- leaves alone.
--
-- The people who sign in through Okta (an OAuth2 login source) are
-- created by Gitea at their first login: login_type 6, login_source 1,
-- login_name the IdP's user id. The site admin, a local CI account and
-- the organization "acme" (organizations are rows of `user` too, type 1)
-- are not SCIM's.

CREATE TABLE login_source (
  id              BIGINT(20)   NOT NULL AUTO_INCREMENT PRIMARY KEY,
  type            INT(11)      NULL,
  name            VARCHAR(255) NULL,
  is_active       TINYINT(1)   NOT NULL DEFAULT 0,
  is_sync_enabled TINYINT(1)   NOT NULL DEFAULT 0,
  cfg             TEXT         NULL,
  created_unix    BIGINT(20)   NULL,
  updated_unix    BIGINT(20)   NULL,
  UNIQUE KEY UQE_login_source_name (name),
  KEY IDX_login_source_is_active (is_active)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;

CREATE TABLE `user` (
  id                 BIGINT(20)    NOT NULL AUTO_INCREMENT PRIMARY KEY,
  lower_name         VARCHAR(255)  NOT NULL,
  name               VARCHAR(255)  NOT NULL,
  full_name          VARCHAR(255)  NULL,
  email              VARCHAR(255)  NOT NULL,
  keep_email_private TINYINT(1)    NULL,
  passwd             VARCHAR(255)  NOT NULL,
  passwd_hash_algo   VARCHAR(255)  NOT NULL DEFAULT 'argon2',
  login_type         INT(11)       NULL,
  login_source       BIGINT(20)    NOT NULL DEFAULT 0,
  login_name         VARCHAR(255)  NULL,
  type               INT(11)       NULL,
  created_unix       BIGINT(20)    NULL,
  updated_unix       BIGINT(20)    NULL,
  last_login_unix    BIGINT(20)    NULL,
  is_active          TINYINT(1)    NULL,
  is_admin           TINYINT(1)    NULL,
  is_restricted      TINYINT(1)    NOT NULL DEFAULT 0,
  prohibit_login     TINYINT(1)    NOT NULL DEFAULT 0,
  avatar             VARCHAR(2048) NOT NULL,
  avatar_email       VARCHAR(255)  NOT NULL,
  UNIQUE KEY UQE_user_lower_name (lower_name),
  UNIQUE KEY UQE_user_name (name),
  KEY IDX_user_is_active (is_active),
  KEY IDX_user_created_unix (created_unix),
  KEY IDX_user_updated_unix (updated_unix),
  KEY IDX_user_last_login_unix (last_login_unix),
  KEY IDX_user_login_source (login_type, login_source)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;

CREATE TABLE team (
  id                        BIGINT(20)   NOT NULL AUTO_INCREMENT PRIMARY KEY,
  org_id                    BIGINT(20)   NULL,
  lower_name                VARCHAR(255) NULL,
  name                      VARCHAR(255) NULL,
  description               VARCHAR(255) NULL,
  authorize                 INT(11)      NULL,
  num_repos                 INT(11)      NULL,
  num_members               INT(11)      NULL,
  includes_all_repositories TINYINT(1)   NOT NULL DEFAULT 0,
  can_create_org_repo       TINYINT(1)   NOT NULL DEFAULT 0,
  KEY IDX_team_org_id (org_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;

-- Not Gitea's: the indexes retroscim check proposes for the lookups Okta
-- and Entra make (emails, externalId, a team by its name). Without them
-- each lookup scans the table; Gitea does not mind them.
CREATE INDEX ix_user_login_type_login_source_type_email ON `user` (login_type, login_source, type, email);
CREATE INDEX ix_user_login_type_login_source_type_login_name ON `user` (login_type, login_source, type, login_name);
CREATE INDEX ix_team_org_id_name ON team (org_id, name);

CREATE TABLE team_user (
  id      BIGINT(20) NOT NULL AUTO_INCREMENT PRIMARY KEY,
  org_id  BIGINT(20) NULL,
  team_id BIGINT(20) NULL,
  uid     BIGINT(20) NULL,
  UNIQUE KEY UQE_team_user_s (team_id, uid),
  KEY IDX_team_user_org_id (org_id),
  KEY IDX_team_user_uid (uid)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;

INSERT INTO login_source (id, type, name, is_active, is_sync_enabled, cfg, created_unix, updated_unix) VALUES
  (1, 6, 'okta', 1, 0, '{"Provider":"openidConnect","ClientID":"0oa1example","OpenIDConnectAutoDiscoveryURL":"https://acme.okta.com/.well-known/openid-configuration"}', 1700000000, 1700000000);

INSERT INTO `user` (id, lower_name, name, full_name, email, keep_email_private, passwd, passwd_hash_algo, login_type, login_source, login_name, type,
                    created_unix, updated_unix, last_login_unix, is_active, is_admin, is_restricted, prohibit_login, avatar, avatar_email) VALUES
  (1, 'gitea_admin', 'gitea_admin', 'Site Admin',  'admin@acme.test', 0, 'c2l0ZWFkbWluaGFzaA', 'pbkdf2', 0, 0, '',                     0, 1700000000, 1700000000, 1700000000, 1, 1, 0, 0, '', 'admin@acme.test'),
  (2, 'acme',        'acme',        'Acme Corp',   '',                0, '',                   'argon2', 0, 0, '',                     1, 1700000100, 1700000100, 0,          1, 0, 0, 0, '', ''),
  (3, 'alice',       'alice',       'Alice Anders','alice@acme.test', 0, '',                   'argon2', 6, 1, '00u1alice00000000001', 0, 1700000200, 1710000000, 1710000000, 1, 0, 0, 0, '', 'alice@acme.test'),
  (4, 'bob',         'bob',         'Bob Brown',   'bob@acme.test',   0, '',                   'argon2', 6, 1, '00u1bob000000000002',  0, 1700000300, 1705000000, 1705000000, 1, 0, 0, 1, '', 'bob@acme.test'),
  (5, 'carol',       'Carol',       'Carol Chen',  'carol@acme.test', 0, '',                   'argon2', 6, 1, '00u1carol00000000003', 0, 1700000400, 1709000000, 1709000000, 1, 0, 0, 0, '', 'carol@acme.test'),
  (6, 'ci-bot',      'ci-bot',      'CI Bot',      'ci@acme.test',    0, 'Y2lib3RoYXNo',       'pbkdf2', 1, 0, '',                     0, 1700000500, 1700000500, 0,          1, 0, 0, 0, '', 'ci@acme.test');

INSERT INTO team (id, org_id, lower_name, name, description, authorize, num_repos, num_members, includes_all_repositories, can_create_org_repo) VALUES
  (1, 2, 'owners',     'Owners',     '',                     4, 0, 1, 1, 1),
  (2, 2, 'developers', 'Developers', 'Push to every repo',   2, 0, 1, 1, 0),
  (3, 2, 'qa',         'QA',         'Read and file issues', 1, 0, 1, 1, 0);

INSERT INTO team_user (id, org_id, team_id, uid) VALUES (1, 2, 1, 1), (2, 2, 2, 3), (3, 2, 3, 4);
