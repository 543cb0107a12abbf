-- Grafana's user table, as its MySQL migrations build it
-- (grafana/grafana pkg/services/sqlstore/migrations/user_mig.go: the
-- "create user table v2" columns plus the later help_flags1,
-- last_seen_at, is_disabled, is_service_account (made nullable), uid and
-- is_provisioned migrations, with the indexes they add). Written for this
-- example from that file; only the tables SCIM touches.
--
-- org and org_user follow pkg/services/sqlstore/migrations/org_mig.go
-- (grafana/grafana at commit 02a89c752b49, the version read): "create org
-- table" and "create org_user table" with the unique index
-- org_user_aid_uid (org_id, user_id). Grafana's migrator makes a column
-- NOT NULL unless it says Nullable, so org_user.role, created and updated
-- are NOT NULL without a default.
--
-- team and team_member follow pkg/services/sqlstore/migrations/team_mig.go
-- (grafana/grafana at commit 9384c1c6aa73, the version read): "create
-- team table" (name, org_id, created, updated NOT NULL), its unique
-- (org_id, name), the later uid, external_uid, is_provisioned and email
-- columns and the unique (org_id, uid); "create team member table" (org_id,
-- team_id, user_id, created, updated NOT NULL), the unique (org_id,
-- team_id, user_id), the team_id and (user_id, org_id) indexes, and the
-- later external and permission columns (permission 4 is a team admin, 0
-- or NULL a member). One index is not Grafana's, and says so:
-- team (org_id, external_uid), for Entra's lookup by externalId.
--
-- user_auth follows pkg/services/sqlstore/migrations/user_auth_mig.go
-- (grafana/grafana at commit 06d9ce80f2ab, the version read): "create user
-- auth table" v1, then auth_id widened to 190 by a MySQL MODIFY that
-- names no NOT NULL (so the column is NULL-able on MySQL), the OAuth token
-- columns (MEDIUMTEXT after the last migration), o_auth_expiry, the
-- user_id index, o_auth_id_token and external_uid. Grafana writes one row
-- per login method at the user's first login through it: auth.saml for
-- Okta SAML, auth.github for GitHub OAuth.
--
-- One row per login: people, the local server admin, and service accounts
-- (is_service_account = 1, login sa-<org>-<name>). name holds the whole
-- display name ("Alice Smith"); Grafana has no given/family name columns.

CREATE TABLE `user` (
  `id`                 BIGINT(20)   NOT NULL AUTO_INCREMENT,
  `version`            INT(11)      NOT NULL,
  `login`              VARCHAR(190) NOT NULL,
  `email`              VARCHAR(190) NOT NULL,
  `name`               VARCHAR(255) NULL,
  `password`           VARCHAR(255) NULL,
  `salt`               VARCHAR(50)  NULL,
  `rands`              VARCHAR(50)  NULL,
  `company`            VARCHAR(255) NULL,
  `org_id`             BIGINT(20)   NOT NULL,
  `is_admin`           TINYINT(1)   NOT NULL,
  `email_verified`     TINYINT(1)   NULL,
  `theme`              VARCHAR(255) NULL,
  `created`            DATETIME     NOT NULL,
  `updated`            DATETIME     NOT NULL,
  `help_flags1`        BIGINT(20)   NOT NULL DEFAULT 0,
  `last_seen_at`       DATETIME     NULL,
  `is_disabled`        TINYINT(1)   NOT NULL DEFAULT 0,
  `is_service_account` TINYINT(1)   NULL DEFAULT 0,
  `uid`                VARCHAR(40)  NULL,
  `is_provisioned`     TINYINT(1)   NOT NULL DEFAULT 0,
  PRIMARY KEY (`id`),
  UNIQUE KEY `UQE_user_login` (`login`),
  UNIQUE KEY `UQE_user_email` (`email`),
  KEY `IDX_user_login_email` (`login`, `email`),
  UNIQUE KEY `UQE_user_uid` (`uid`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

INSERT INTO `user` (`id`, `version`, `login`, `email`, `name`, `password`, `salt`, `rands`, `org_id`, `is_admin`, `email_verified`, `created`, `updated`, `is_disabled`, `is_service_account`, `uid`) VALUES
  -- The local server admin Grafana creates at first start: not an SSO user.
  (1, 0, 'admin', 'admin@localhost', 'Grafana Admin', 'x5f1b0c', 'Sa1t', 'R4nd', 1, 1, 0, '2025-03-01 08:00:00', '2025-03-01 08:00:00', 0, 0, 'u000000001'),
  -- People who signed in through Okta (SAML), created by Grafana on first login.
  (2, 0, 'alice', 'alice@acme.test', 'Alice Smith', NULL, 'Sa2t', 'R4n2', 1, 0, 1, '2025-04-02 09:00:00', '2025-06-01 10:00:00', 0, 0, 'u000000002'),
  (3, 0, 'bob', 'bob@acme.test', 'Bob Jones', NULL, 'Sa3t', 'R4n3', 1, 0, 1, '2025-04-03 09:00:00', '2025-04-03 09:00:00', 0, 0, 'u000000003'),
  (4, 0, 'mary', 'mary@acme.test', 'Mary Ann Smith', NULL, 'Sa4t', 'R4n4', 1, 0, 1, '2025-04-04 09:00:00', '2025-04-04 09:00:00', 0, 0, 'u000000004'),
  (5, 0, 'cher', 'cher@acme.test', 'Cher', NULL, 'Sa5t', 'R4n5', 1, 0, 1, '2025-04-05 09:00:00', '2025-04-05 09:00:00', 0, NULL, 'u000000005'),
  (6, 0, 'dave', 'dave@acme.test', 'Dave Null', NULL, 'Sa6t', 'R4n6', 1, 0, 1, '2025-04-06 09:00:00', '2025-05-06 09:00:00', 1, 0, 'u000000006'),
  -- Service accounts: API keys and provisioning, never people.
  (7, 0, 'sa-1-ci-bot', 'sa-1-ci-bot', 'ci-bot', NULL, NULL, NULL, 1, 0, 0, '2025-03-02 08:00:00', '2025-03-02 08:00:00', 0, 1, 'u000000007'),
  (8, 0, 'sa-1-alerting', 'sa-1-alerting', 'alerting', NULL, NULL, NULL, 1, 0, 0, '2025-03-02 08:00:00', '2025-03-02 08:00:00', 0, 1, 'u000000008'),
  -- A person who signs in with GitHub, not through Okta: not Okta's.
  (9, 0, 'gina', 'gina@acme.test', 'Gina Tran', NULL, 'Sa9t', 'R4n9', 1, 0, 1, '2025-04-09 09:00:00', '2025-04-09 09:00:00', 0, 0, 'u000000009'),
  -- People of the second organisation (Globex) only.
  (10, 0, 'erin', 'erin@globex.test', 'Erin Lee', NULL, 'Sa10', 'R410', 2, 0, 1, '2025-04-10 09:00:00', '2025-04-10 09:00:00', 0, 0, 'u000000010'),
  (11, 0, 'frank', 'frank@globex.test', 'Frank Ortiz', NULL, 'Sa11', 'R411', 2, 0, 1, '2025-04-11 09:00:00', '2025-04-11 09:00:00', 0, 0, 'u000000011');

CREATE TABLE `user_auth` (
  `id`                   BIGINT(20)   NOT NULL AUTO_INCREMENT,
  `user_id`              BIGINT(20)   NOT NULL,
  `auth_module`          VARCHAR(190) NOT NULL,
  `auth_id`              VARCHAR(190) NULL,
  `created`              DATETIME     NOT NULL,
  `o_auth_access_token`  MEDIUMTEXT   NULL,
  `o_auth_refresh_token` MEDIUMTEXT   NULL,
  `o_auth_token_type`    MEDIUMTEXT   NULL,
  `o_auth_expiry`        DATETIME     NULL,
  `o_auth_id_token`      MEDIUMTEXT   NULL,
  `external_uid`         TEXT         NULL,
  PRIMARY KEY (`id`),
  KEY `IDX_user_auth_auth_module_auth_id` (`auth_module`, `auth_id`),
  KEY `IDX_user_auth_user_id` (`user_id`),
  -- Not Grafana's: the index `retroscim check` proposes for the scope's
  -- EXISTS and the externalId read (user_id, auth_module, then auth_id).
  KEY `ix_user_auth_user_id_auth_module_auth_id` (`user_id`, `auth_module`, `auth_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The SAML subject (Okta's user id) of each person who signed in through
-- Okta; Gina's GitHub login; the server admin has none.
INSERT INTO `user_auth` (`id`, `user_id`, `auth_module`, `auth_id`, `created`) VALUES
  (1, 2, 'auth.saml', '00u2alice', '2025-04-02 09:00:00'),
  (2, 3, 'auth.saml', '00u3bob', '2025-04-03 09:00:00'),
  (3, 4, 'auth.saml', '00u4mary', '2025-04-04 09:00:00'),
  (4, 5, 'auth.saml', '00u5cher', '2025-04-05 09:00:00'),
  (5, 6, 'auth.saml', '00u6dave', '2025-04-06 09:00:00'),
  (6, 9, 'auth.github', '4711', '2025-04-09 09:00:00'),
  (7, 10, 'auth.saml', '00u10erin', '2025-04-10 09:00:00'),
  (8, 11, 'auth.saml', '00u11frank', '2025-04-11 09:00:00');

CREATE TABLE `org` (
  `id`            BIGINT(20)   NOT NULL AUTO_INCREMENT,
  `version`       INT(11)      NOT NULL,
  `name`          VARCHAR(255) NOT NULL,
  `address1`      VARCHAR(255) NULL,
  `address2`      VARCHAR(255) NULL,
  `city`          VARCHAR(255) NULL,
  `state`         VARCHAR(255) NULL,
  `zip_code`      VARCHAR(50)  NULL,
  `country`       VARCHAR(255) NULL,
  `billing_email` VARCHAR(255) NULL,
  `created`       DATETIME     NOT NULL,
  `updated`       DATETIME     NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `UQE_org_name` (`name`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

INSERT INTO `org` (`id`, `version`, `name`, `created`, `updated`) VALUES
  (1, 0, 'Main Org.', '2025-03-01 08:00:00', '2025-03-01 08:00:00'),
  (2, 0, 'Globex', '2025-03-05 08:00:00', '2025-03-05 08:00:00');

CREATE TABLE `org_user` (
  `id`      BIGINT(20)  NOT NULL AUTO_INCREMENT,
  `org_id`  BIGINT(20)  NOT NULL,
  `user_id` BIGINT(20)  NOT NULL,
  `role`    VARCHAR(20) NOT NULL,
  `created` DATETIME    NOT NULL,
  `updated` DATETIME    NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `UQE_org_user_org_id_user_id` (`org_id`, `user_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Main Org. holds everyone who signed in before Globex was added; Bob is
-- a member of both organisations, Erin and Frank of Globex only.
INSERT INTO `org_user` (`id`, `org_id`, `user_id`, `role`, `created`, `updated`) VALUES
  (1, 1, 1, 'Admin', '2025-03-01 08:00:00', '2025-03-01 08:00:00'),
  (2, 1, 2, 'Admin', '2025-04-02 09:00:00', '2025-04-02 09:00:00'),
  (3, 1, 3, 'Editor', '2025-04-03 09:00:00', '2025-04-03 09:00:00'),
  (4, 1, 4, 'Viewer', '2025-04-04 09:00:00', '2025-04-04 09:00:00'),
  (5, 1, 5, 'Viewer', '2025-04-05 09:00:00', '2025-04-05 09:00:00'),
  (6, 1, 6, 'Viewer', '2025-04-06 09:00:00', '2025-04-06 09:00:00'),
  (7, 1, 7, 'Viewer', '2025-03-02 08:00:00', '2025-03-02 08:00:00'),
  (8, 1, 8, 'Editor', '2025-03-02 08:00:00', '2025-03-02 08:00:00'),
  (9, 1, 9, 'Viewer', '2025-04-09 09:00:00', '2025-04-09 09:00:00'),
  (10, 2, 3, 'Viewer', '2025-05-01 09:00:00', '2025-05-01 09:00:00'),
  (11, 2, 10, 'Admin', '2025-04-10 09:00:00', '2025-04-10 09:00:00'),
  (12, 2, 11, 'Editor', '2025-04-11 09:00:00', '2025-04-11 09:00:00');

CREATE TABLE `team` (
  `id`             BIGINT(20)   NOT NULL AUTO_INCREMENT,
  `name`           VARCHAR(190) NOT NULL,
  `org_id`         BIGINT(20)   NOT NULL,
  `created`        DATETIME     NOT NULL,
  `updated`        DATETIME     NOT NULL,
  `uid`            VARCHAR(40)  NULL,
  `external_uid`   VARCHAR(256) NULL,
  `is_provisioned` TINYINT(1)   NULL,
  `email`          VARCHAR(190) NULL,
  PRIMARY KEY (`id`),
  KEY `IDX_team_org_id` (`org_id`),
  UNIQUE KEY `UQE_team_org_id_name` (`org_id`, `name`),
  UNIQUE KEY `UQE_team_org_id_uid` (`org_id`, `uid`),
  -- Not Grafana's: the index `retroscim check` proposes for Entra's
  -- lookup of a team by externalId (external_uid) in one organisation.
  KEY `ix_team_org_id_external_uid` (`org_id`, `external_uid`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Two teams of Main Org., one of Globex.
INSERT INTO `team` (`id`, `name`, `org_id`, `created`, `updated`, `uid`, `email`) VALUES
  (1, 'sre', 1, '2025-04-20 09:00:00', '2025-04-20 09:00:00', 't000000001', 'sre@acme.test'),
  (2, 'Developers', 1, '2025-04-21 09:00:00', '2025-04-21 09:00:00', 't000000002', NULL),
  (3, 'Analysts', 2, '2025-05-02 09:00:00', '2025-05-02 09:00:00', 't000000003', NULL);

CREATE TABLE `team_member` (
  `id`         BIGINT(20) NOT NULL AUTO_INCREMENT,
  `org_id`     BIGINT(20) NOT NULL,
  `team_id`    BIGINT(20) NOT NULL,
  `user_id`    BIGINT(20) NOT NULL,
  `created`    DATETIME   NOT NULL,
  `updated`    DATETIME   NOT NULL,
  `external`   TINYINT(1) NULL,
  `permission` SMALLINT   NULL,
  PRIMARY KEY (`id`),
  KEY `IDX_team_member_org_id` (`org_id`),
  UNIQUE KEY `UQE_team_member_org_id_team_id_user_id` (`org_id`, `team_id`, `user_id`),
  KEY `IDX_team_member_team_id` (`team_id`),
  KEY `IDX_team_member_user_id_org_id` (`user_id`, `org_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- sre: Alice (team admin), Bob, and the alerting service account, which
-- SCIM never lists or removes; Developers: Mary; Analysts (Globex): Bob
-- and Erin.
INSERT INTO `team_member` (`id`, `org_id`, `team_id`, `user_id`, `created`, `updated`, `permission`) VALUES
  (1, 1, 1, 2, '2025-04-20 09:00:00', '2025-04-20 09:00:00', 4),
  (2, 1, 1, 3, '2025-04-20 09:00:00', '2025-04-20 09:00:00', 0),
  (3, 1, 1, 8, '2025-04-20 09:00:00', '2025-04-20 09:00:00', 0),
  (4, 1, 2, 4, '2025-04-21 09:00:00', '2025-04-21 09:00:00', 0),
  (5, 2, 3, 3, '2025-05-02 09:00:00', '2025-05-02 09:00:00', 0),
  (6, 2, 3, 10, '2025-05-02 09:00:00', '2025-05-02 09:00:00', 0);
