-- Grafana's user table, as its MySQL migrations build it
-- (grafana/grafana pkg/services/sqlstore/migrations/user_mig.go: the
-- "create user table v2" columns plus the later help_flags1,
-- last_seen_at, is_disabled, is_service_account (made nullable), uid and
-- is_provisioned migrations, with the indexes they add). Written for this
-- example from that file; only the table SCIM touches.
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
  (8, 0, 'sa-1-alerting', 'sa-1-alerting', 'alerting', NULL, NULL, NULL, 1, 0, 0, '2025-03-02 08:00:00', '2025-03-02 08:00:00', 0, 1, 'u000000008');
